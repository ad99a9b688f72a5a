using System.Diagnostics;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Journal;
using Microsoft.Extensions.Configuration;

namespace EdgeGuard.Configuration;

// The reader is split by responsibility: this file holds the public surface and the top-level read;
// the schema tables, each group of sections and the cross-checks live in GatewayConfigReader.*.cs.
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
/// <item>Point defaults: <c>pull</c> = <c>none</c>, which then needs <c>externalPull</c> (the
/// resistor outside the gateway) so that what a cut cable reads can be checked; <c>debounceMs</c> by
/// kind — see <see cref="DefaultDebounce"/> (at most <see cref="MaxRequestToExitDebounceMs"/> for an
/// exit button). Output defaults (locks only): <c>egress</c> = false,
/// <c>normallyLocked</c> = false, <c>hardwiredExit</c> = false; <c>failMode</c> has no default. An
/// egress lock must be the lock of a door with a request-to-exit point unless <c>hardwiredExit</c>. Zone <c>name</c> defaults to its id.
/// <c>lockdown</c>: <c>zones</c> empty = every zone, <c>sirenSeconds</c> = 180, no clear keyswitches
/// (allowed only where nothing on site starts a lockdown).
/// <c>mqtt</c>: blank host = none, port 1883. <c>simulation.controlSocket</c>: blank =
/// <c>$TMPDIR/edgeguard-{gateway}.sock</c>.</item>
/// <item>Whole-site rules, checked once the sections are read (GatewayConfigReader.SafetyChecks.cs):
/// a lockdown or shelter covers at least one lock, a lockdown started on site can be cleared on site,
/// and a fire input has an egress lock to release. Reported after the life-safety section, at the
/// key to change; skipped while an output has an error of its own (a misspelt lock or egress key).</item>
/// <item>Errors come in schema order (the order of the sample <c>appsettings.json</c>: site, gateway,
/// stateDirectory, hardware, zones, points, outputs, lockdown, simulation, mqtt; inside an item its
/// unknown keys first, then its keys in schema order), list items in index order. A problem that
/// only follows from another one already reported (a reference to a zone when no zone list could be
/// read, keyswitch checks on a point whose kind is invalid) is not reported twice.</item>
/// </list>
/// </remarks>
public static partial class GatewayConfigReader
{
    /// <summary>The configuration section this reader owns.</summary>
    public const string SectionName = "EdgeGuard";

    /// <summary>Highest GPIO line offset accepted.</summary>
    public const int MaxLine = 1023;

    /// <summary>Longest debounce accepted, in milliseconds.</summary>
    public const int MaxDebounceMs = 10_000;

    /// <summary>
    /// Longest debounce accepted for a request-to-exit point, in milliseconds: a press counts only
    /// after it held this long, so a person must keep the exit button pressed that long to get out.
    /// </summary>
    public const int MaxRequestToExitDebounceMs = 500;

    /// <summary>Longest id accepted.</summary>
    public const int MaxIdLength = 64;

    /// <summary>Siren duration when <c>lockdown.sirenSeconds</c> is not set.</summary>
    public const int DefaultSirenSeconds = 180;

    /// <summary>
    /// Broker port when <c>mqtt.port</c> is not set and the host is blank (the embedded broker); with a
    /// host it is <see cref="EdgeGuard.Mqtt.Publishing.MqttPublisherOptions.DefaultPort(bool)"/>: 8883 with TLS, 1883 without.
    /// </summary>
    public const int DefaultMqttPort = 1883;

    /// <summary>MQTT keep-alive when <c>mqtt.keepAliveSeconds</c> is not set.</summary>
    public const int DefaultKeepAliveSeconds = 10;

    /// <summary>Journal size when <c>journal.maxRecords</c> is not set.</summary>
    public const int DefaultJournalMaxRecords = (int)JournalLimits.DefaultMaxRecords;

    /// <summary>Days delivered events are kept when <c>journal.maxDeliveredAgeDays</c> is not set (EN 50131: at least 30).</summary>
    public const int DefaultJournalMaxDeliveredAgeDays = 30;

    /// <summary>Longest Unix socket path (<c>sun_path</c> is 108 bytes including the terminator).</summary>
    public const int MaxSocketPathBytes = 107;

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
    /// <param name="loadFiles">
    /// Also open the TLS files and load them as the broker connection will (<c>validate</c>, which
    /// provisioning runs as the service's user); a missing one is an error. <c>run</c> does neither:
    /// a key that went missing, unreadable or corrupt after provisioning (a botched rotation) must
    /// not keep the gateway from protecting the site locally. A missing file is a
    /// <see cref="ConfigResult.Warnings">warning</see> naming it; the connection is not attempted
    /// without it and says why (<c>fault.broker</c>, the systemd status line).
    /// </param>
    /// <param name="baseDirectory">
    /// What a relative path in the configuration (<c>stateDirectory</c>, <c>simulation.controlSocket</c>,
    /// the TLS files, operator key files) is taken from: the configuration file's folder
    /// (<see cref="LoadedConfiguration.Directory"/>), so that <c>validate</c> in a technician's shell and
    /// <c>run</c> under systemd find the same files. Null: the working directory now (a configuration
    /// not read from a file). Either way every path of the returned config is absolute.
    /// </param>
    /// <param name="use">
    /// What the verb does with the configuration: with <paramref name="simulate"/>, every GPIO line must be
    /// one of the simulated chip's, except for <see cref="ConfigUse.Paths"/> (a configuration that chooses
    /// the simulated driver itself is checked so whatever the use). On simulated hardware (forced or
    /// chosen), <see cref="ConfigUse.Gateway"/> (the default) also needs <c>mqtt.host</c> blank or on
    /// loopback (GatewayConfigReader.Simulated.cs).
    /// </param>
    /// <returns>A built <see cref="GatewayConfig"/> with no errors, or a null config and every problem.</returns>
    /// <remarks>
    /// The <c>Logging</c> section is checked too (GatewayConfigReader.Logging.cs): a level the
    /// host's logging cannot parse would otherwise stop <c>run</c> after <c>validate</c> passed.
    /// </remarks>
    public static ConfigResult Read(IConfiguration configuration, bool simulate = false, bool loadFiles = false, string? baseDirectory = null,
        ConfigUse use = ConfigUse.Gateway)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var run = new Run(simulate, loadFiles, Path.GetFullPath(baseDirectory ?? Environment.CurrentDirectory), use);
        run.Logging(configuration.GetSection(LoggingSectionName));
        return run.Read(configuration.GetSection(SectionName));
    }

    private static int DefaultDebounceMs(PointKind kind) => kind switch
    {
        PointKind.DoorContact => 25,
        PointKind.Perimeter => 200,
        PointKind.PanicButton => 500,
        PointKind.Tamper => 50,
        PointKind.Keyswitch => 50,
        PointKind.RequestToExit => 25,
        // Acts on the leading edge; this is only the lock-out against contact bounce afterwards.
        PointKind.FireAlarm => 100,
        // A maglock's bond sensor chatters as the armature seats; the monitor has a 3 s grace anyway.
        PointKind.LockMonitor => 100,
        // A mains flicker the supply rides through is no loss; its own relay often waits too.
        PointKind.PowerTrouble => 1000,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    // All of the read's state is declared here, so every other part of Run only reads and fills it.
    /// <summary>State of one read: the walker plus what has been declared so far, for cross-checks.</summary>
    private sealed partial class Run(bool simulate, bool loadFiles, string baseDirectory, ConfigUse use)
    {
        /// <summary>
        /// A problem <c>validate</c> (which loads the files) refuses, and <c>run</c> starts with, saying
        /// what it does instead in <paramref name="runWarning"/>: the site's protection never waits for
        /// a file the office link or an operator needs.
        /// </summary>
        private void RefusedByValidate(ConfigNode node, string? subject, string error, string runWarning)
        {
            if (loadFiles)
            {
                _w.Error(node, subject, error);
            }
            else
            {
                _w.Warning(node, runWarning);
            }
        }

        private readonly ConfigWalker _w = new();

        /// <summary>Zone id → path of its id key. Null while no zone list could be read.</summary>
        private Dictionary<string, string>? _zones;

        /// <summary>Point and output ids (one namespace) → description and path.</summary>
        private readonly Dictionary<string, (string Description, string Path)> _ids = new(StringComparer.Ordinal);

        /// <summary>Point id → kind (null when the kind was invalid), for lockdown keyswitches.</summary>
        private readonly Dictionary<string, PointKind?> _pointKinds = new(StringComparer.Ordinal);

        /// <summary>Silent hold-up buttons, which may not start scenarios.</summary>
        private readonly HashSet<string> _silentPanics = new(StringComparer.Ordinal);

        /// <summary>False while no point list could be read: keyswitch references are then not checked.</summary>
        private bool _pointsKnown;

        /// <summary>How many items <c>points</c> and <c>outputs</c> list, for the dropped-item guard.</summary>
        private int _pointItems;
        private int _outputItems;

        /// <summary>Egress locks read without error and without <c>hardwiredExit</c>: each needs a door with an exit button.</summary>
        private readonly List<(string Id, ConfigNode Egress, string? Subject)> _egressLocksWithoutHardwiredExit = [];

        /// <summary>Every door item as far as it was read, for the egress-exit check.</summary>
        private readonly List<DoorExit> _doorExits = [];

        /// <summary>lockMonitor points a door names (read or not), so one left unnamed is reported.</summary>
        private readonly HashSet<string> _monitorsNamed = new(StringComparer.Ordinal);

        /// <summary>Scenario id → its item, for the whole-site checks that report at its keys.</summary>
        private readonly Dictionary<string, ConfigNode> _scenarioItems = new(StringComparer.Ordinal);

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

            // Sections are read in schema order, which is the order their errors are reported in; the
            // cross-checks also depend on it (zones before the references to them, points before the
            // lockdown keyswitches).
            var site = Id(root.Child("site"), null, required: true);
            var gateway = Id(root.Child("gateway"), null, required: true);
            _identity = (site, gateway);
            var stateDirectory = FilePath(root.Child("stateDirectory"), null, required: true,
                " (the directory for the journal and the persisted safety state)");
            if (stateDirectory is not null)
            {
                JournalDirectory(root.Child("stateDirectory"), stateDirectory);
            }

            Boards(root.Child("board"), root.Child("ioBoard"));
            var hardware = Hardware(root.Child("hardware"));
            var expanders = Expanders(root.Child("expanders"));
            var adcs = Adcs(root.Child("adcs"));
            InterruptLinesOffTheBuses();
            var zones = Zones(root.Child("zones"));
            var points = Points(root.Child("points"));
            var outputs = Outputs(root.Child("outputs"));
            var doors = Doors(root.Child("doors"), outputs);
            EgressExits(doors);
            LockMonitorsWithoutDoor(root.Child("doors").IsPresent);
            var lockdown = Lockdown(root.Child("lockdown"));
            var lockdownDrillTriggers = new List<string>();
            var lockdownDrillOk = DistinctRefs(root.Child("lockdown").Child("drillTriggers"), "keyswitch", n => KeyswitchRef(n, "start a drill"), lockdownDrillTriggers);
            var scenarios = Scenarios(root.Child("scenarios"), lockdown);
            CheckStartEndKeys(root.Child("lockdown"), lockdown, lockdownDrillTriggers, scenarios);
            var muted = DrillMutedOutputs(root.Child("drill"), outputs);
            var threat = ThreatLevels(root.Child("threatLevels"));
            CheckThreatKeys(threat?.Levels, lockdown, lockdownDrillTriggers, scenarios);
            var lifeSafety = LifeSafety(root.Child("lifeSafety"), points);
            CheckLifeSafetyKeys(root, lifeSafety, doors, lockdown, lockdownDrillTriggers, scenarios, threat?.Levels);
            SiteSafety(root, points, outputs, lockdown, lockdownDrillTriggers, scenarios, threat?.Levels);
            var supervision = Supervision(root.Child("supervision"), points);
            var simulation = Simulation(root.Child("simulation"), gateway);
            var mqtt = Mqtt(root.Child("mqtt"));
            var periodicTest = PeriodicTestInterval(root.Child("mqtt"));
            var journal = Journal(root.Child("journal"));
            var commands = Commands(root.Child("commands"));

            if (_w.ErrorCount > 0)
            {
                return Result(null);
            }

            if (site is null || gateway is null || stateDirectory is null || hardware is null || zones is null
                || points is null || outputs is null || doors is null || lockdown is null || !lockdownDrillOk || scenarios is null || muted is null || threat is null || lifeSafety is null || supervision is null || simulation is null || mqtt is null || periodicTest is null || journal is null)
            {
                throw new UnreachableException("A configuration value is missing but no error was recorded.");
            }

            // An item is left out only after an error was reported for it. One dropped silently would be a panic
            // button or a siren missing from a config that validates: never start like that.
            if (points.Count != _pointItems || outputs.Count != _outputItems)
            {
                throw new UnreachableException($"{_pointItems - points.Count} point(s) and {_outputItems - outputs.Count} output(s) were left out of the site without an error.");
            }

            points = WithLineAddresses(points);
            outputs = WithLineAddresses(outputs);
            var definition = new SiteDefinition(site, gateway, zones, points, outputs, lockdown, lifeSafety, doors)
            {
                Supervision = supervision,
                ExtraScenarios = scenarios,
                LockdownDrillTriggers = lockdownDrillTriggers,
                DrillMutedOutputs = muted,
                ThreatLevels = threat.Value.Levels,
                InitialThreatLevel = threat.Value.Initial,
                TimeZone = threat.Value.TimeZone,
                AllClearWindow = commands?.AllClearWindow ?? Core.Commands.TwoPersonApproval.DefaultWindow,
                PeriodicTestInterval = periodicTest.Value,
            };
            return Result(new GatewayConfig(definition, hardware, stateDirectory, simulation, mqtt, journal) { Board = Board(expanders, adcs), Commands = commands ?? throw new UnreachableException("commands missing without an error") });
        }

        /// <summary>
        /// A file or directory the gateway opens: <see cref="ConfigWalker.PathValue"/>, trimmed, and made
        /// absolute against the configuration file's folder. Every such path is read here (the one
        /// exception, <c>journal.fallbackDirectory</c>, must be absolute), so no verb depends on its
        /// working directory: provisioning validated from a shell in /etc/edgeguard while systemd ran the
        /// gateway in /var/lib/edgeguard, and a relative key file found by one was missing for the other.
        /// </summary>
        private string? FilePath(ConfigNode node, string? subject, bool required, string? requiredHint = null) =>
            _w.PathValue(node, subject, required, requiredHint)?.Trim() is { Length: > 0 } path
                ? Path.GetFullPath(path, baseDirectory)
                : null;

        private ConfigResult Result(GatewayConfig? config) =>
            _w.ErrorCount == 0 ? new ConfigResult(config, []) { Warnings = _w.Warnings.ToArray() } : new ConfigResult(null, _w.Errors.ToArray());
    }
}
