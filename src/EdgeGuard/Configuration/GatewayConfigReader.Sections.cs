using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Configuration;

// The single-object sections: hardware, lockdown, simulation and mqtt (with tls); journal in
// GatewayConfigReader.Journal.cs.
public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        private HardwareOptions? Hardware(ConfigNode node)
        {
            // Forced by --simulate whatever the section holds (also when it is no object).
            _simulatedDriver = simulate;
            if (!_w.Object(node, null, HardwareKeys))
            {
                return null;
            }

            var driverNode = node.Child("driver");
            GpioDriverKind? driver;
            if (simulate)
            {
                // Forced to Simulated; a misspelled driver is still reported since it would break the real run.
                var chosen = _w.Enum(driverNode, null, required: false, Drivers) == GpioDriverKind.Simulated;
                // run and walktest --simulate open these lines on the simulated chip: one it lacks passed
                // validate --simulate and failed the run. The journal and sim verbs open none (ConfigUse.Paths).
                _simulatedChip = chosen || use != ConfigUse.Paths;
                driver = GpioDriverKind.Simulated;
            }
            else
            {
                driver = _w.Enum(driverNode, null, required: true, Drivers);
                _simulatedChip = driver == GpioDriverKind.Simulated;
                _simulatedDriver = _simulatedChip;
            }

            var realDriver = driver is GpioDriverKind.LibGpiod or GpioDriverKind.LibGpiodV2;
            var chipHint = driver is { } d && realDriver
                ? $" for the {Name(Drivers, d)} driver: a chip number (0), device name (gpiochip4) or label (pinctrl-rp1)"
                : null;
            // A host board profile knows its header chip (by label, which survives kernel renumbering).
            var named = _w.Scalar(node.Child("chip"), null, required: realDriver && _board is null, chipHint);
            var chip = named ?? _board?.ChipLabel;
            // The board profile's line count and reserved lines are its header chip's: not another chip's named here.
            _boardChip = named is null || string.Equals(named.Trim(), _board?.ChipLabel, StringComparison.Ordinal) ? _board : null;

            if (driver is null || (realDriver && chip is null))
            {
                return null;
            }

            return new HardwareOptions(driver.Value, chip?.Trim() ?? "0");
        }

        private LockdownPolicy? Lockdown(ConfigNode node)
        {
            if (!_w.Object(node, null, LockdownKeys))
            {
                return null;
            }

            // Each part is read even when an earlier one failed, so all of their problems are reported.
            var scope = new List<string>();
            var scopeOk = DistinctRefs(node.Child("zones"), "zone", item => ZoneRef(item, null), scope);
            var sirenSeconds = _w.Int(node.Child("sirenSeconds"), null, required: false, 1, 3600, DefaultSirenSeconds);
            var keyswitches = new List<string>();
            var keyswitchesOk = DistinctRefs(node.Child("clearKeyswitches"), "keyswitch", item => KeyswitchRef(item, "clear a lockdown"), keyswitches);

            return scopeOk && keyswitchesOk && sirenSeconds is not null
                ? new LockdownPolicy(scope, TimeSpan.FromSeconds(sirenSeconds.Value), keyswitches)
                : null;
        }

        /// <summary>
        /// Reads a list of references into <paramref name="into"/>, each item through <paramref name="read"/>
        /// (null when it is wrong, after reporting why), and reports a reference listed twice. False when
        /// the list or any item was wrong.
        /// </summary>
        private bool DistinctRefs(ConfigNode node, string noun, Func<ConfigNode, string?> read, List<string> into)
        {
            var items = _w.List(node, null);
            if (items is null)
            {
                return false;
            }

            var ok = true;
            foreach (var item in items)
            {
                var reference = read(item);
                if (reference is null)
                {
                    ok = false;
                }
                else if (into.Contains(reference, StringComparer.Ordinal))
                {
                    _w.Error(item, null, $"{noun} '{reference}' is listed twice");
                    ok = false;
                }
                else
                {
                    into.Add(reference);
                }
            }

            return ok;
        }

        /// <summary>
        /// Who may re-lock egress after a fire. A site with fire inputs must name at least one reset
        /// keyswitch: otherwise its egress doors could never lock again after the first alarm.
        /// </summary>
        private LifeSafetyPolicy? LifeSafety(ConfigNode node, IReadOnlyList<PointDefinition>? points)
        {
            if (node.IsPresent && !_w.Object(node, null, LifeSafetyKeys))
            {
                return null;
            }

            var keyswitches = new List<string>();
            var listNode = node.Child("fireResetKeyswitches");
            if (listNode.IsPresent && !DistinctRefs(listNode, "keyswitch", item => KeyswitchRef(item, "reset a fire release"), keyswitches))
            {
                return null;
            }

            var fireInputs = points is null ? [] : FireInputs(points);
            if (fireInputs.Count > 0 && keyswitches.Count == 0)
            {
                _w.Error(listNode, null,
                    $"fire inputs ({string.Join(", ", fireInputs)}) release every egress lock until a person resets them; name at least one keyswitch point here that may reset");
                return null;
            }

            return new LifeSafetyPolicy(keyswitches);
        }

        /// <summary>A required reference to a keyswitch point; null when it is not one or cannot be checked.</summary>
        private string? KeyswitchRef(ConfigNode item, string purpose)
        {
            var id = _w.Scalar(item, null, required: true, " (the id of a keyswitch point)");
            if (id is null)
            {
                return null;
            }

            if (!_pointsKnown)
            {
                return null; // no point list to check against; that is reported once, at points
            }

            if (!_pointKinds.TryGetValue(id, out var kind))
            {
                if (_ids.TryGetValue(id, out var other))
                {
                    _w.Error(item, null, $"'{id}' is {other.Description}, not a keyswitch point; only keyswitch points can {purpose}");
                }
                else
                {
                    var hint = ConfigWalker.SuggestionHint(id, _pointKinds.Keys.Where(k => _pointKinds[k] == PointKind.Keyswitch));
                    var known = string.Join(", ", _pointKinds.Where(p => p.Value == PointKind.Keyswitch).Select(p => p.Key));
                    _w.Error(item, null, $"no point '{id}' is defined{hint}; keyswitch points: {(known.Length == 0 ? "none" : known)}");
                }

                return null;
            }

            if (kind is null)
            {
                return null; // its kind is invalid, which is already reported
            }

            if (kind != PointKind.Keyswitch)
            {
                _w.Error(item, null,
                    $"point '{id}' is a {Name(PointKinds, kind.Value)}, not a keyswitch; only keyswitch points can {purpose}");
                return null;
            }

            return id;
        }

        private SimulationOptions? Simulation(ConfigNode node, string? gateway)
        {
            if (!_w.Object(node, null, SimulationKeys))
            {
                return null;
            }

            var socketNode = node.Child("controlSocket");
            var socket = FilePath(socketNode, null, required: false);
            if (socket is not null)
            {
                var written = socketNode.Section.Value?.Trim();
                CheckSocketPath(socketNode, socket, configured: true, Path.IsPathRooted(written) ? null : written);
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

        // relative: the value as written when it was relative. A short "sim.sock" beside a deeply
        // nested config is made absolute like every path and can outgrow sun_path; it cannot be
        // bound so, but the message says what it became and what to write instead.
        private void CheckSocketPath(ConfigNode node, string path, bool configured, string? relative = null)
        {
            var bytes = Encoding.UTF8.GetByteCount(path);
            if (bytes > MaxSocketPathBytes)
            {
                var (what, fix) = (configured, relative) switch
                {
                    (false, _) => ($"the default control socket path '{path}' (from TMPDIR) is", ", so set controlSocket to a shorter path"),
                    (true, null) => ($"controlSocket '{path}' is", ""),
                    (true, _) => ($"controlSocket '{relative}', taken from the config file's folder, is '{path}',",
                        $", so set controlSocket to an absolute path of at most {MaxSocketPathBytes} bytes (such as /tmp/edgeguard-sim.sock) or a shorter relative one"),
                };
                _w.Error(node, null,
                    $"{what} {bytes} bytes long; a Unix socket path may be at most {MaxSocketPathBytes} bytes{fix}");
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
            else if (host is not null && HostPortProblem(host) is { } problem)
            {
                _w.Error(hostNode, null, problem);
                hostOk = false;
            }
            else
            {
                SimulatedBrokerOnThisMachine(hostNode, host);
            }

            // 0 = not set (the range starts at 1); resolved below, once TLS is known.
            var port = _w.Int(node.Child("port"), null, required: false, 1, 65535, fallback: 0);
            var keepAlive = _w.Int(node.Child("keepAliveSeconds"), null, required: false, 2, 600, DefaultKeepAliveSeconds);
            var username = _w.Scalar(node.Child("username"), null, required: false);
            var password = _w.Scalar(node.Child("password"), null, required: false);
            if (password is not null && username is null)
            {
                _w.Error(node.Child("password"), null, "a password needs mqtt.username");
            }

            var tls = Tls(node.Child("tls"), brokerTakesCertificateName: username is null);
            if (hostOk && !string.IsNullOrEmpty(host) && !MqttPublisherOptions.IsLoopbackHost(host))
            {
                RequireEncryptionOffLoopback(node, host, username, tls);
            }

            if (hostOk && port is not null && keepAlive is not null && tls is not null)
            {
                // Unset: the publisher's default for the link it makes (8883 with TLS, as the office
                // broker listens), except with a blank host: the embedded broker of the quick start
                // (plain, loopback) or no link at all, both 1883.
                var resolved = port.Value != 0 ? port.Value
                    : string.IsNullOrEmpty(host) ? DefaultMqttPort : MqttPublisherOptions.DefaultPort(tls.Enabled);
                return new MqttOptions(host, resolved, keepAlive.Value, username, password, tls);
            }

            return null;
        }

        /// <summary>
        /// A port written into the host ('office.example:8883') is looked up as part of the name, so every
        /// connect failed; and IPAddress.TryParse reads '[fd00::1]:8883' as fd00::1, dropping the port
        /// unseen. An IPv6 literal alone, bare ('::1', 'fd00::1') or bracketed ('[::1]'), is a host and
        /// connects as one. A bare literal whose last group looks like a port ('::1:8883') is still a valid
        /// address, so it is taken as written: the brackets are what tell a port from a group.
        /// </summary>
        private static string? HostPortProblem(string host)
        {
            string? port;
            if (host.StartsWith('['))
            {
                var close = host.IndexOf(']', StringComparison.Ordinal);
                if (close > 0 && close == host.Length - 1 && IPAddress.TryParse(host[1..close], out var inside)
                    && inside.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
                {
                    return null;
                }

                port = close > 0 && host.Length > close + 1 && host[close + 1] == ':' ? host[(close + 2)..] : null;
            }
            else if (!host.Contains(':', StringComparison.Ordinal) || IPAddress.TryParse(host, out _))
            {
                return null;
            }
            else
            {
                port = host[(host.LastIndexOf(':') + 1)..];
            }

            return port is { Length: > 0 } && port.All(char.IsAsciiDigit)
                ? $"host '{host}' includes a port (:{port}); give the host name or IP address alone and set the port with mqtt.port (\"port\": {port})"
                : $"host '{host}' is not a host name or an IP address: ':' and brackets belong only to an IPv6 address, written bare ('fd00::1') or in brackets ('[fd00::1]'); set the port with mqtt.port";
        }

        /// <summary>
        /// Alarms and credentials must not cross the network in clear text. Plain TCP to an off-machine
        /// broker needs an explicit <c>tls.enabled: false</c> (an isolated bench network), never an omission;
        /// over TLS the gateway needs an identity (a client certificate or a username).
        /// </summary>
        private void RequireEncryptionOffLoopback(ConfigNode node, string host, string? username, MqttTlsOptions? tls)
        {
            if (!node.Child("tls").IsPresent)
            {
                _w.Error(node.Child("tls"), null,
                    $"mqtt.tls is required because mqtt.host '{host}' is not a loopback address; configure the broker's CA and the gateway's certificate, or set tls.enabled to false for an isolated test network");
            }
            else if (username is not null && tls is { Enabled: false })
            {
                _w.Error(node.Child("username"), null,
                    $"the broker password would cross the network to '{host}' in clear text; enable mqtt.tls or use a loopback broker");
            }
            else if (username is null && tls is { Enabled: true, ClientCertificateFile: null })
            {
                // Anonymous to an office broker: one that lets it in lets any client publish as
                // this gateway (its ACL needs an identity), one that does not refuses every
                // connect. As for a missing TLS file: validate refuses it; run starts the site's
                // protection and connects anonymously, and warns (the link may stay down).
                const string NoIdentity = "the gateway has no identity for the office broker: give mqtt.tls.certFile and keyFile (mutual TLS) or mqtt.username and password";
                RefusedByValidate(node.Child("tls"), null, NoIdentity, NoIdentity + $"; connecting to '{host}' anonymously");
            }

            if (tls is { Enabled: true, CaCertificateFile: null })
            {
                // Not pinned: any certificate a public CA issued for the broker's name passes, and a
                // broker that holds one takes the events, acknowledges them (the office never sees
                // them, the gateway counts them delivered) and the password. A template's blank
                // caFile reads as none. validate refuses it; run warns and trusts the system store.
                var unpinned = $"the office broker '{host}' is not pinned: give mqtt.tls.caFile, the office CA's certificate (deploy/office/certs.sh); without it any certificate a public CA issued for that name is accepted";
                RefusedByValidate(node.Child("tls").Child("caFile"), null, unpinned, unpinned + "; trusting the system's CA store");
            }
        }
    }
}
