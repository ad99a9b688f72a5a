using System.Text.Json;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Journal;

// The wire names of Core enums, spelled out per member: renaming a Core enum member must not change
// what the office receives.
public static partial class EventDataWriter
{
    /// <summary>The wire name of a severity: <c>info</c>, <c>warning</c>, <c>alarm</c>, <c>critical</c>.</summary>
    public static string SeverityText(Severity severity) => severity switch
    {
        Severity.Info => "info",
        Severity.Warning => "warning",
        Severity.Alarm => "alarm",
        Severity.Critical => "critical",
        _ => JsonNamingPolicy.CamelCase.ConvertName(severity.ToString()),
    };

    /// <summary>The severity named by <paramref name="text"/>, or null when it names none.</summary>
    public static Severity? ParseSeverity(string text) => text switch
    {
        "info" => Severity.Info,
        "warning" => Severity.Warning,
        "alarm" => Severity.Alarm,
        "critical" => Severity.Critical,
        _ => null,
    };

    /// <summary>The wire name of a point kind, e.g. <c>panicButton</c>.</summary>
    public static string PointKindText(PointKind kind) => kind switch
    {
        PointKind.DoorContact => "doorContact",
        PointKind.Perimeter => "perimeter",
        PointKind.PanicButton => "panicButton",
        PointKind.Tamper => "tamper",
        PointKind.Keyswitch => "keyswitch",
        PointKind.RequestToExit => "requestToExit",
        PointKind.FireAlarm => "fireAlarm",
        PointKind.LockMonitor => "lockMonitor",
        PointKind.PowerTrouble => "powerTrouble",
        _ => JsonNamingPolicy.CamelCase.ConvertName(kind.ToString()),
    };

    /// <summary>The wire name of a loop tamper: <c>open</c> or <c>short</c>.</summary>
    public static string LoopTamperText(LoopTamper condition) => condition switch
    {
        LoopTamper.Open => "open",
        LoopTamper.Short => "short",
        _ => JsonNamingPolicy.CamelCase.ConvertName(condition.ToString()),
    };

    /// <summary>The wire name of a site mode: <c>normal</c>, <c>lockdown</c>, <c>evacuation</c>, <c>shelterInPlace</c>.</summary>
    public static string ModeText(SiteMode mode) => ScenarioWire.Mode(mode);
}
