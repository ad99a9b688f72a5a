namespace EdgeGuard.Core.Site;

/// <summary>
/// One threat level (e.g. 1–5) and what it changes: which zones' perimeter sensors are armed,
/// whether a breach there starts a lockdown by itself, and how long doors may stand open.
/// </summary>
/// <param name="Level">The level number (higher = more threat).</param>
/// <param name="Name">A name for people (<c>normal</c>, <c>elevated</c>, …).</param>
/// <param name="ArmedZones">Zones whose perimeter points raise <c>perimeter.breach</c>.</param>
/// <param name="BreachStartsLockdown">Whether a breach in an armed zone starts the built-in lockdown.</param>
/// <param name="HeldOpen">A shorter held-open time for every door at this level; null keeps each door's own.</param>
/// <param name="SelectKeyswitches">Keyswitch points that set this level locally.</param>
public sealed record ThreatLevelDefinition(
    int Level,
    string Name,
    IReadOnlyList<string> ArmedZones,
    bool BreachStartsLockdown,
    TimeSpan? HeldOpen,
    IReadOnlyList<string> SelectKeyswitches)
{
    /// <summary>Weekly windows arming more zones at this level (after hours, weekends).</summary>
    public IReadOnlyList<ArmingWindow> Schedule { get; init; } = [];

    /// <summary>
    /// Whether <paramref name="zone"/> is armed at <paramref name="at"/> on a site in
    /// <paramref name="timeZone"/>: each window occurrence between its two instants
    /// (<see cref="ArmingWindow.IsOpen(DateTimeOffset, TimeZoneInfo)"/>).
    /// </summary>
    public bool Arms(string zone, DateTimeOffset at, TimeZoneInfo timeZone) =>
        ArmedZones.Contains(zone, StringComparer.Ordinal)
        || Schedule.Any(w => w.Zones.Contains(zone, StringComparer.Ordinal) && w.IsOpen(at, timeZone));

    /// <summary>Whether <paramref name="zone"/> is armed at <paramref name="local"/>, a time in a zone without daylight saving (UTC).</summary>
    public bool Arms(string zone, DateTime local) =>
        ArmedZones.Contains(zone, StringComparer.Ordinal)
        || Schedule.Any(w => w.Zones.Contains(zone, StringComparer.Ordinal) && w.IsOpen(local));

    /// <summary>
    /// The level a site without a <c>threatLevels</c> section runs at: its perimeter zones armed,
    /// no automatic lockdown. A perimeter that reports nothing by default would be a silent failure.
    /// </summary>
    public static ThreatLevelDefinition Default(IEnumerable<PointDefinition> points) =>
        new(1, "default", [.. points.Where(p => p.Kind == PointKind.Perimeter).Select(p => p.Zone).Distinct(StringComparer.Ordinal)], false, null, []);
}
