using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using Microsoft.Extensions.Configuration;

namespace EdgeGuard.Configuration;

/// <summary>
/// Reads and validates the <c>EdgeGuard</c> configuration section by walking it by hand (no
/// reflection-based binding, so it stays trim- and Native-AOT-safe) and collects <em>every</em>
/// problem, each with the configuration path of the offending key, instead of stopping at the first.
/// </summary>
/// <remarks>
/// <para>Rules, as a technician meets them:</para>
/// <list type="bullet">
/// <item>Keys are case-insensitive (<c>debounceMS</c> is <c>debounceMs</c>); enum values too
/// (<c>DoorContact</c> is <c>doorContact</c>). A key the schema does not know is an error that lists
/// the known keys and, when one is close, suggests it.</item>
/// <item>Ids of the site, gateway, zones, points and outputs become MQTT topic levels: 1 to
/// <see cref="MaxIdLength"/> characters of <c>a-z 0-9 - _</c>. Points and outputs share one id
/// namespace; zones have their own.</item>
/// <item>Numbers are whole numbers; booleans are <c>true</c>/<c>false</c> only (<c>yes</c> and
/// <c>1</c> are errors); lists must be JSON arrays (a blank value is an empty list).</item>
/// <item>Point defaults: <c>pull</c> = <c>none</c>; <c>debounceMs</c> by kind — see
/// <see cref="DefaultDebounce"/>. Output defaults (locks only): <c>egress</c> = false,
/// <c>normallyLocked</c> = false; <c>failMode</c> has no default. Zone <c>name</c> defaults to its id.
/// <c>lockdown</c>: <c>zones</c> empty = every zone, <c>sirenSeconds</c> = 180, no clear keyswitches.
/// <c>mqtt</c>: blank host = none, port 1883. <c>simulation.controlSocket</c>: blank =
/// <c>$TMPDIR/edgeguard-{gateway}.sock</c>.</item>
/// <item>Errors come in schema order (the order of the sample <c>appsettings.json</c>: site, gateway,
/// stateDirectory, hardware, zones, points, outputs, lockdown, simulation, mqtt; inside an item its
/// unknown keys first, then its keys in schema order), list items in index order. A problem that
/// only follows from another one already reported (a reference to a zone when no zone list could be
/// read, keyswitch checks on a point whose kind is invalid) is not reported twice.</item>
/// </list>
/// </remarks>
public static class GatewayConfigReader
{
    /// <summary>The configuration section this reader owns.</summary>
    public const string SectionName = "EdgeGuard";

    /// <summary>Highest GPIO line offset accepted.</summary>
    public const int MaxLine = 1023;

    /// <summary>Longest debounce accepted, in milliseconds.</summary>
    public const int MaxDebounceMs = 10_000;

    /// <summary>Longest id accepted.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Siren duration when <c>lockdown.sirenSeconds</c> is not set.</summary>
    public const int DefaultSirenSeconds = 180;

    /// <summary>Broker port when <c>mqtt.port</c> is not set.</summary>
    public const int DefaultMqttPort = 1883;

    /// <summary>Longest Unix socket path (<c>sun_path</c> is 108 bytes including the terminator).</summary>
    public const int MaxSocketPathBytes = 107;

    private static readonly string[] RootKeys =
        ["site", "gateway", "stateDirectory", "hardware", "zones", "points", "outputs", "lockdown", "simulation", "mqtt"];
    private static readonly string[] HardwareKeys = ["driver", "chip"];
    private static readonly string[] ZoneKeys = ["id", "name"];
    private static readonly string[] PointKeys = ["id", "kind", "line", "activeLevel", "pull", "debounceMs", "zone"];
    private static readonly string[] OutputKeys = ["id", "kind", "line", "activeLevel", "zone", "failMode", "egress", "normallyLocked"];
    private static readonly string[] LockdownKeys = ["zones", "sirenSeconds", "clearKeyswitches"];
    private static readonly string[] SimulationKeys = ["controlSocket"];
    private static readonly string[] MqttKeys = ["host", "port"];

    private static readonly (string, GpioDriverKind)[] Drivers =
        [("simulated", GpioDriverKind.Simulated), ("libgpiod", GpioDriverKind.LibGpiod), ("libgpiodV2", GpioDriverKind.LibGpiodV2)];

    private static readonly (string, PointKind)[] PointKinds =
    [
        ("doorContact", PointKind.DoorContact), ("perimeter", PointKind.Perimeter), ("panicButton", PointKind.PanicButton),
        ("tamper", PointKind.Tamper), ("keyswitch", PointKind.Keyswitch), ("requestToExit", PointKind.RequestToExit),
    ];

    private static readonly (string, OutputKind)[] OutputKinds =
        [("lock", OutputKind.Lock), ("siren", OutputKind.Siren), ("strobe", OutputKind.Strobe), ("indicator", OutputKind.Indicator)];

    private static readonly (string, bool)[] Levels = [("high", true), ("low", false)];

    private static readonly (string, LinePull)[] Pulls = [("none", LinePull.None), ("up", LinePull.Up), ("down", LinePull.Down)];

    private static readonly (string, LockFailMode)[] FailModes =
        [("failSafe", LockFailMode.FailSafe), ("failSecure", LockFailMode.FailSecure)];

    /// <summary>
    /// The debounce a point gets when <c>debounceMs</c> is not set. For contacts it is how long a new
    /// level must hold before it counts; for panic buttons (which act on the leading edge, adding no
    /// delay) it is the lock-out after a press.
    /// <list type="table">
    /// <item><term>doorContact</term><description>25 ms</description></item>
    /// <item><term>perimeter</term><description>200 ms (fence and beam sensors chatter in wind)</description></item>
    /// <item><term>panicButton</term><description>500 ms lock-out</description></item>
    /// <item><term>tamper</term><description>50 ms</description></item>
    /// <item><term>keyswitch</term><description>50 ms</description></item>
    /// <item><term>requestToExit</term><description>25 ms</description></item>
    /// </list>
    /// </summary>
    public static TimeSpan DefaultDebounce(PointKind kind) => TimeSpan.FromMilliseconds(DefaultDebounceMs(kind));

    /// <summary>
    /// Reads the <see cref="SectionName"/> section of <paramref name="configuration"/>.
    /// </summary>
    /// <param name="configuration">The configuration root (file, environment, overrides).</param>
    /// <param name="simulate">
    /// Simulate mode: the hardware driver is forced to <see cref="GpioDriverKind.Simulated"/>, so a
    /// missing <c>hardware.driver</c> or <c>hardware.chip</c> is fine (a misspelled driver is still
    /// reported, since it would break the real run).
    /// </param>
    /// <returns>A built <see cref="GatewayConfig"/> with no errors, or a null config and every problem.</returns>
    public static ConfigResult Read(IConfiguration configuration, bool simulate = false)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return new Run(simulate).Read(configuration.GetSection(SectionName));
    }

    private static int DefaultDebounceMs(PointKind kind) => kind switch
    {
        PointKind.DoorContact => 25,
        PointKind.Perimeter => 200,
        PointKind.PanicButton => 500,
        PointKind.Tamper => 50,
        PointKind.Keyswitch => 50,
        PointKind.RequestToExit => 25,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static string Name<T>(IEnumerable<(string Name, T Value)> names, T value) =>
        names.First(n => EqualityComparer<T>.Default.Equals(n.Value, value)).Name;

    /// <summary>State of one read: the walker plus what has been declared so far, for cross-checks.</summary>
    private sealed class Run(bool simulate)
    {
        private readonly ConfigWalker _w = new();

        /// <summary>Zone id → path of its id key. Null while no zone list could be read.</summary>
        private Dictionary<string, string>? _zones;

        /// <summary>Point and output ids (one namespace) → description and path.</summary>
        private readonly Dictionary<string, (string Description, string Path)> _ids = new(StringComparer.Ordinal);

        /// <summary>Point id → kind (null when the kind was invalid), for lockdown keyswitches.</summary>
        private readonly Dictionary<string, PointKind?> _pointKinds = new(StringComparer.Ordinal);

        /// <summary>False while no point list could be read: keyswitch references are then not checked.</summary>
        private bool _pointsKnown;

        /// <summary>GPIO line → who uses it.</summary>
        private readonly Dictionary<int, (string Description, string Path, bool Input)> _lines = [];

        public ConfigResult Read(IConfigurationSection section)
        {
            var root = new ConfigNode(section, SectionName, SectionName);
            if (!section.Exists())
            {
                _w.Error(root, null, $"the '{SectionName}' configuration section is missing");
                return Result(null);
            }

            if (!_w.Object(root, null, RootKeys))
            {
                return Result(null);
            }

            var site = Id(root.Child("site"), null, required: true);
            var gateway = Id(root.Child("gateway"), null, required: true);
            var stateDirectory = _w.Scalar(root.Child("stateDirectory"), null, required: true,
                " (the directory for the journal and the persisted safety state)")?.Trim();
            var hardware = Hardware(root.Child("hardware"));
            var zones = Zones(root.Child("zones"));
            var points = Points(root.Child("points"));
            var outputs = Outputs(root.Child("outputs"));
            var lockdown = Lockdown(root.Child("lockdown"));
            var simulation = Simulation(root.Child("simulation"), gateway);
            var mqtt = Mqtt(root.Child("mqtt"));

            if (_w.ErrorCount > 0)
            {
                return Result(null);
            }

            if (site is null || gateway is null || stateDirectory is null || hardware is null || zones is null
                || points is null || outputs is null || lockdown is null || simulation is null || mqtt is null)
            {
                throw new UnreachableException("A configuration value is missing but no error was recorded.");
            }

            var definition = new SiteDefinition(site, gateway, zones, points, outputs, lockdown);
            return Result(new GatewayConfig(definition, hardware, stateDirectory, simulation, mqtt));
        }

        private ConfigResult Result(GatewayConfig? config) =>
            _w.ErrorCount == 0 ? new ConfigResult(config, []) : new ConfigResult(null, _w.Errors.ToArray());

        /// <summary>An id usable as an MQTT topic level. Returned as typed even when invalid, for cross-checks.</summary>
        private string? Id(ConfigNode node, string? subject, bool required)
        {
            var id = _w.Scalar(node, subject, required);
            if (id is null)
            {
                return null;
            }

            if (id.Length > MaxIdLength || !id.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_'))
            {
                var lower = id.Trim().ToLowerInvariant();
                var hint = lower != id && lower.Length > 0 && lower.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_')
                    ? $" (did you mean '{lower}'?)" : "";
                var why = id.Length > MaxIdLength
                    ? $"it is longer than {MaxIdLength} characters"
                    : "use only lowercase letters a-z, digits 0-9, '-' and '_'";
                _w.Error(node, subject,
                    $"{node.Key} '{id}' is not a valid id{hint}: {why} (ids become MQTT topic levels, where '+', '#', '/' and spaces are not allowed)");
            }

            return id;
        }

        private HardwareOptions? Hardware(ConfigNode node)
        {
            if (!_w.Object(node, null, HardwareKeys))
            {
                return null;
            }

            var driverNode = node.Child("driver");
            GpioDriverKind? driver;
            if (simulate)
            {
                // Forced to Simulated; a misspelled driver is still reported since it would break the real run.
                _w.Enum(driverNode, null, required: false, Drivers);
                driver = GpioDriverKind.Simulated;
            }
            else
            {
                driver = _w.Enum(driverNode, null, required: true, Drivers);
            }

            var realDriver = driver is GpioDriverKind.LibGpiod or GpioDriverKind.LibGpiodV2;
            var chipHint = driver is { } d && realDriver
                ? $" for the {Name(Drivers, d)} driver: a chip number (0), device name (gpiochip4) or label (pinctrl-rp1)"
                : null;
            var chip = _w.Scalar(node.Child("chip"), null, required: realDriver, chipHint);

            if (driver is null || (realDriver && chip is null))
            {
                return null;
            }

            return new HardwareOptions(driver.Value, chip?.Trim() ?? "0");
        }

        private List<ZoneDefinition>? Zones(ConfigNode node)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                return null; // _zones stays null: zone references are not checked against a list we could not read
            }

            _zones = new Dictionary<string, string>(StringComparer.Ordinal);
            if (items.Count == 0)
            {
                _w.Error(node, null, "at least one zone is required (zones: [ { \"id\": \"lobby\", \"name\": \"Public lobby\" } ])");
                _zones = null;
                return null;
            }

            var zones = new List<ZoneDefinition>();
            foreach (var item in items)
            {
                var subject = Subject("zone", item);
                if (!_w.Object(item, subject, ZoneKeys))
                {
                    continue;
                }

                var idNode = item.Child("id");
                var id = Id(idNode, subject, required: true);
                if (id is not null)
                {
                    if (_zones.TryGetValue(id, out var previous))
                    {
                        _w.Error(idNode, subject, $"zone id '{id}' is already defined at {previous}");
                    }
                    else
                    {
                        _zones.Add(id, idNode.Path);
                    }
                }

                var name = _w.Scalar(item.Child("name"), subject, required: false);
                if (id is not null)
                {
                    zones.Add(new ZoneDefinition(id, name?.Trim() ?? id));
                }
            }

            return zones;
        }

        private List<PointDefinition>? Points(ConfigNode node)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                return null;
            }

            if (items.Count == 0)
            {
                _w.Error(node, null, "at least one point is required: a gateway without inputs cannot detect anything");
                return null;
            }

            _pointsKnown = true;

            var points = new List<PointDefinition>();
            foreach (var item in items)
            {
                var subject = Subject("point", item);
                if (!_w.Object(item, subject, PointKeys))
                {
                    continue;
                }

                var description = subject ?? "a point without an id";
                var id = Id(item.Child("id"), subject, required: true);
                RegisterId(item.Child("id"), subject, id, description);
                var kind = _w.Enum(item.Child("kind"), subject, required: true, PointKinds);
                if (id is not null)
                {
                    _pointKinds.TryAdd(id, kind);
                }

                var line = Line(item.Child("line"), subject, description, input: true);
                var activeHigh = _w.Enum(item.Child("activeLevel"), subject, required: true, Levels);
                var pull = _w.Enum(item.Child("pull"), subject, required: false, Pulls, LinePull.None);
                var debounceNode = item.Child("debounceMs");
                var debounceMs = kind is { } k
                    ? _w.Int(debounceNode, subject, required: false, 0, MaxDebounceMs, DefaultDebounceMs(k))
                    : _w.Int(debounceNode, subject, required: false, 0, MaxDebounceMs, 0);
                var zone = ZoneRef(item.Child("zone"), subject);

                if (id is not null && kind is not null && line is not null && activeHigh is not null && pull is not null
                    && debounceMs is not null && zone is not null)
                {
                    points.Add(new PointDefinition(id, kind.Value, line.Value, activeHigh.Value, pull.Value,
                        TimeSpan.FromMilliseconds(debounceMs.Value), zone));
                }
            }

            return points;
        }

        private List<OutputDefinition>? Outputs(ConfigNode node)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                return null;
            }

            var outputs = new List<OutputDefinition>();
            foreach (var item in items)
            {
                var subject = Subject("output", item);
                if (!_w.Object(item, subject, OutputKeys))
                {
                    continue;
                }

                var description = subject ?? "an output without an id";
                var id = Id(item.Child("id"), subject, required: true);
                RegisterId(item.Child("id"), subject, id, description);
                var kind = _w.Enum(item.Child("kind"), subject, required: true, OutputKinds);
                var line = Line(item.Child("line"), subject, description, input: false);
                var activeHigh = _w.Enum(item.Child("activeLevel"), subject, required: true, Levels);
                var zone = ZoneRef(item.Child("zone"), subject);

                var failModeNode = item.Child("failMode");
                var egressNode = item.Child("egress");
                var normallyLockedNode = item.Child("normallyLocked");
                LockFailMode? failMode = LockFailMode.FailSafe;
                bool? egress = false;
                bool? normallyLocked = false;
                if (kind is OutputKind.Lock)
                {
                    failMode = _w.Enum(failModeNode, subject, required: true, FailModes);
                    egress = _w.Bool(egressNode, subject, fallback: false);
                    normallyLocked = _w.Bool(normallyLockedNode, subject, fallback: false);
                    if (egress == true && failMode == LockFailMode.FailSecure)
                    {
                        _w.Error(failModeNode, subject,
                            "an egress lock must not be failSecure: a door on an escape route must release when power is lost "
                            + "(fire, power cut, cut cable) so people can get out; use a failSafe lock (e.g. a maglock), "
                            + "or set egress to false if this door is not an escape route");
                    }
                }
                else if (kind is { } other)
                {
                    var noun = Name(OutputKinds, other);
                    foreach (var lockOnly in new[] { failModeNode, egressNode, normallyLockedNode })
                    {
                        if (lockOnly.IsPresent)
                        {
                            _w.Error(lockOnly, subject, $"{lockOnly.Key} applies only to locks, and this output is a {noun}; remove it");
                        }
                    }
                }
                else
                {
                    // Kind is missing or invalid (already reported): still check the values themselves.
                    _w.Enum(failModeNode, subject, required: false, FailModes);
                    _w.Bool(egressNode, subject, fallback: false);
                    _w.Bool(normallyLockedNode, subject, fallback: false);
                }

                if (id is not null && kind is not null && line is not null && activeHigh is not null && zone is not null
                    && failMode is not null && egress is not null && normallyLocked is not null)
                {
                    outputs.Add(new OutputDefinition(id, kind.Value, line.Value, activeHigh.Value, zone,
                        failMode.Value, egress.Value, normallyLocked.Value));
                }
            }

            return outputs;
        }

        private LockdownPolicy? Lockdown(ConfigNode node)
        {
            if (!_w.Object(node, null, LockdownKeys))
            {
                return null;
            }

            var ok = true;
            var zonesNode = node.Child("zones");
            var scope = new List<string>();
            var zoneItems = _w.List(zonesNode, null);
            if (zoneItems is null)
            {
                ok = false;
            }
            else
            {
                foreach (var item in zoneItems)
                {
                    var zone = ZoneRef(item, null);
                    if (zone is null)
                    {
                        ok = false;
                    }
                    else if (scope.Contains(zone, StringComparer.Ordinal))
                    {
                        _w.Error(item, null, $"zone '{zone}' is listed twice");
                        ok = false;
                    }
                    else
                    {
                        scope.Add(zone);
                    }
                }
            }

            var sirenSeconds = _w.Int(node.Child("sirenSeconds"), null, required: false, 1, 3600, DefaultSirenSeconds);

            var keyswitches = new List<string>();
            var keyItems = _w.List(node.Child("clearKeyswitches"), null);
            if (keyItems is null)
            {
                ok = false;
            }
            else
            {
                foreach (var item in keyItems)
                {
                    if (!Keyswitch(item, keyswitches))
                    {
                        ok = false;
                    }
                }
            }

            return ok && sirenSeconds is not null
                ? new LockdownPolicy(scope, TimeSpan.FromSeconds(sirenSeconds.Value), keyswitches)
                : null;
        }

        private bool Keyswitch(ConfigNode item, List<string> keyswitches)
        {
            var id = _w.Scalar(item, null, required: true, " (the id of a keyswitch point)");
            if (id is null)
            {
                return false;
            }

            if (!_pointsKnown)
            {
                return false; // no point list to check against; that is reported once, at points
            }

            if (!_pointKinds.TryGetValue(id, out var kind))
            {
                if (_ids.TryGetValue(id, out var other))
                {
                    _w.Error(item, null, $"'{id}' is {other.Description}, not a keyswitch point; only keyswitch points can clear a lockdown");
                }
                else
                {
                    var hint = ConfigWalker.Suggest(id, _pointKinds.Keys.Where(k => _pointKinds[k] == PointKind.Keyswitch)) is { } s
                        ? $" (did you mean '{s}'?)" : "";
                    var known = string.Join(", ", _pointKinds.Where(p => p.Value == PointKind.Keyswitch).Select(p => p.Key));
                    _w.Error(item, null, $"no point '{id}' is defined{hint}; keyswitch points: {(known.Length == 0 ? "none" : known)}");
                }

                return false;
            }

            if (kind is null)
            {
                return false; // its kind is invalid, which is already reported
            }

            if (kind != PointKind.Keyswitch)
            {
                _w.Error(item, null,
                    $"point '{id}' is a {Name(PointKinds, kind.Value)}, not a keyswitch; only keyswitch points can clear a lockdown");
                return false;
            }

            if (keyswitches.Contains(id, StringComparer.Ordinal))
            {
                _w.Error(item, null, $"keyswitch '{id}' is listed twice");
                return false;
            }

            keyswitches.Add(id);
            return true;
        }

        private SimulationOptions? Simulation(ConfigNode node, string? gateway)
        {
            if (!_w.Object(node, null, SimulationKeys))
            {
                return null;
            }

            var socketNode = node.Child("controlSocket");
            var socket = _w.Scalar(socketNode, null, required: false)?.Trim();
            if (socket is not null)
            {
                CheckSocketPath(socketNode, socket, configured: true);
                return new SimulationOptions(socket);
            }

            if (gateway is null)
            {
                return null;
            }

            var fallback = Path.Combine(Path.GetTempPath(), $"edgeguard-{gateway}.sock");
            if (simulate)
            {
                CheckSocketPath(socketNode, fallback, configured: false);
            }

            return new SimulationOptions(fallback);
        }

        private void CheckSocketPath(ConfigNode node, string path, bool configured)
        {
            var bytes = Encoding.UTF8.GetByteCount(path);
            if (bytes > MaxSocketPathBytes)
            {
                var what = configured ? $"controlSocket '{path}'" : $"the default control socket path '{path}' (from TMPDIR)";
                _w.Error(node, null,
                    $"{what} is {bytes} bytes long; a Unix socket path may be at most {MaxSocketPathBytes} bytes{(configured ? "" : ", so set controlSocket to a shorter path")}");
            }
        }

        private MqttOptions? Mqtt(ConfigNode node)
        {
            if (!_w.Object(node, null, MqttKeys))
            {
                return null;
            }

            var hostNode = node.Child("host");
            var host = _w.Scalar(hostNode, null, required: false)?.Trim();
            var hostOk = true;
            if (host is not null && (host.Contains("://", StringComparison.Ordinal) || host.Any(char.IsWhiteSpace) || host.Contains('/', StringComparison.Ordinal)))
            {
                _w.Error(hostNode, null, $"host '{host}' must be a host name or an IP address, not a URL or a path (set the port with mqtt.port)");
                hostOk = false;
            }

            var port = _w.Int(node.Child("port"), null, required: false, 1, 65535, DefaultMqttPort);
            return hostOk && port is not null ? new MqttOptions(host, port.Value) : null;
        }

        /// <summary>A GPIO line offset, checked against every line used so far.</summary>
        private int? Line(ConfigNode node, string? subject, string description, bool input)
        {
            var line = _w.Int(node, subject, required: true, 0, MaxLine);
            if (line is null)
            {
                return null;
            }

            if (_lines.TryGetValue(line.Value, out var user))
            {
                var lineText = line.Value.ToString(CultureInfo.InvariantCulture);
                var why = (user.Input, input) switch
                {
                    (true, true) => "two inputs cannot share a line",
                    (false, false) => "two outputs cannot share a line",
                    _ => "a line cannot be both an input and an output",
                };
                var userText = user.Input && !input ? $"input {user.Description}" : user.Description;
                _w.Error(node, subject, $"line {lineText} is already used by {userText} ({user.Path}); {why}");
                return null;
            }

            _lines.Add(line.Value, (description, node.Path, input));
            return line;
        }

        private void RegisterId(ConfigNode node, string? subject, string? id, string description)
        {
            if (id is null)
            {
                return;
            }

            if (_ids.TryGetValue(id, out var previous))
            {
                _w.Error(node, subject,
                    $"id '{id}' is already used by {previous.Description} ({previous.Path}); points and outputs share one id namespace");
                return;
            }

            _ids.Add(id, (description, node.Path));
        }

        /// <summary>A required reference to a declared zone.</summary>
        private string? ZoneRef(ConfigNode node, string? subject)
        {
            var zone = _w.Scalar(node, subject, required: true, " (the id of a zone in zones)");
            if (zone is null || _zones is null)
            {
                return zone; // no zone list to check against; that is reported once, at zones
            }

            if (!_zones.ContainsKey(zone))
            {
                var hint = ConfigWalker.Suggest(zone, _zones.Keys) is { } s ? $" (did you mean '{s}'?)" : "";
                _w.Error(node, subject, $"zone '{zone}' is not defined{hint}; defined zones: {string.Join(", ", _zones.Keys)}");
                return null;
            }

            return zone;
        }

        private static string? Subject(string noun, ConfigNode item)
        {
            var id = item.Section.GetSection("id").Value;
            return string.IsNullOrWhiteSpace(id) ? null : $"{noun} '{id}'";
        }
    }
}
