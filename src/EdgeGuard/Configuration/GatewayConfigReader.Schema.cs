using EdgeGuard.Core.Site;
using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Hardware;

namespace EdgeGuard.Configuration;

// The names the schema knows. Key lists are in schema order because unknown-key errors list them
// as written here; value tables pair each configuration spelling with what it means.
public static partial class GatewayConfigReader
{
    internal static readonly string[] RootKeys =
        ["site", "gateway", "stateDirectory", "board", "ioBoard", "hardware", "expanders", "adcs", "zones", "points", "outputs", "doors", "lockdown", "scenarios", "drill", "threatLevels", "lifeSafety", "supervision", "simulation", "mqtt", "journal", "commands"];
    private static readonly string[] HardwareKeys = ["driver", "chip"];
    private static readonly string[] ZoneKeys = ["id", "name"];
    private static readonly string[] PointKeys = ["id", "kind", "line", "activeLevel", "pull", "debounceMs", "zone", "stuckAfterMinutes", "eol", "silent", "externalPull"];
    private static readonly string[] OutputKeys = ["id", "kind", "line", "activeLevel", "zone", "failMode", "egress", "normallyLocked", "hardwiredExit"];
    private static readonly string[] LockdownKeys = ["zones", "sirenSeconds", "clearKeyswitches", "drillTriggers"];
    private static readonly string[] LifeSafetyKeys = ["fireResetKeyswitches"];
    private static readonly string[] SupervisionKeys = ["chatterTransitions", "chatterWindowSeconds", "settleSeconds", "holdSeconds"];
    private static readonly string[] SimulationKeys = ["controlSocket"];
    private static readonly string[] MqttKeys = ["host", "port", "keepAliveSeconds", "username", "password", "tls", "periodicTestSeconds"];
    private static readonly string[] TlsKeys = ["enabled", "caFile", "certFile", "keyFile", "revocation", "serverName"];
    private static readonly string[] JournalKeys = ["maxRecords", "maxDeliveredAgeDays", "fallbackDirectory"];

    private static readonly (string, X509RevocationMode)[] RevocationModes =
        [("online", X509RevocationMode.Online), ("offline", X509RevocationMode.Offline), ("noCheck", X509RevocationMode.NoCheck)];

    private static readonly (string, GpioDriverKind)[] Drivers =
        [("simulated", GpioDriverKind.Simulated), ("libgpiod", GpioDriverKind.LibGpiod), ("libgpiodV2", GpioDriverKind.LibGpiodV2)];

    private static readonly (string, PointKind)[] PointKinds =
    [
        ("doorContact", PointKind.DoorContact), ("perimeter", PointKind.Perimeter), ("panicButton", PointKind.PanicButton),
        ("tamper", PointKind.Tamper), ("keyswitch", PointKind.Keyswitch), ("requestToExit", PointKind.RequestToExit),
        ("fireAlarm", PointKind.FireAlarm), ("lockMonitor", PointKind.LockMonitor),
        ("powerTrouble", PointKind.PowerTrouble),
    ];

    private static readonly (string, OutputKind)[] OutputKinds =
        [("lock", OutputKind.Lock), ("siren", OutputKind.Siren), ("strobe", OutputKind.Strobe), ("indicator", OutputKind.Indicator)];

    private static readonly (string, bool)[] Levels = [("high", true), ("low", false)];

    private static readonly (string, LinePull)[] Pulls = [("none", LinePull.None), ("up", LinePull.Up), ("down", LinePull.Down)];

    private static readonly (string, LinePull)[] ExternalPulls = [("up", LinePull.Up), ("down", LinePull.Down)];

    private static readonly (string, LockFailMode)[] FailModes =
        [("failSafe", LockFailMode.FailSafe), ("failSecure", LockFailMode.FailSecure)];

    /// <summary>The configuration spelling of <paramref name="value"/>, for messages that name it.</summary>
    private static string Name<T>(IEnumerable<(string Name, T Value)> names, T value) =>
        names.First(n => EqualityComparer<T>.Default.Equals(n.Value, value)).Name;
}
