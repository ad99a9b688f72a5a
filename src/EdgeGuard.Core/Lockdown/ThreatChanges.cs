using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// Threat levels and the perimeter: a level's keyswitch sets it; a perimeter point going active in a
/// zone armed at the current level is a breach, and at a level that says so it starts the built-in
/// lockdown (a row of <see cref="Transitions.Table"/>). Part of <see cref="SiteDecider"/>: pure.
/// </summary>
internal static class ThreatChanges
{
    /// <summary>Applies a point that went active.</summary>
    public static SiteState OnActivated(SiteDefinition site, SiteState state, PointDefinition point, Moment now, List<DomainEvent> events)
    {
        if (point.Kind == PointKind.Keyswitch
            && site.ThreatLevels.FirstOrDefault(t => t.SelectKeyswitches.Contains(point.Id, StringComparer.Ordinal)) is { } selected
            && selected.Level != state.ThreatLevel)
        {
            events.Add(new ThreatLevelChanged(now.Utc, state.ThreatLevel, selected.Level, point.Id));
            return state with { ThreatLevel = selected.Level };
        }

        var level = site.ThreatLevel(state.ThreatLevel);
        if (point.Kind != PointKind.Perimeter || !level.Arms(point.Zone, site.LocalTime(now.Utc)))
        {
            return state;
        }

        var row = level.BreachStartsLockdown ? Transitions.Find(state.Mode, Trigger.PerimeterBreach, SiteMode.Lockdown) : null;
        events.Add(new PerimeterBreach(now.Utc, point.Id, point.Zone, level.Level, row is not null));
        if (row is null)
        {
            return state;
        }

        var lockdown = site.Scenarios[0];
        var info = new LockdownInfo("perimeter-breach", point.Id, now.Utc, lockdown.Id);
        events.Add(new LockdownStarted(now.Utc, info.Cause, point.Id, SiteMode.Lockdown, lockdown.Id));
        return state with { Mode = SiteMode.Lockdown, Lockdown = info, SirenUntil = now.Monotonic + lockdown.SirenDuration };
    }

    /// <summary>Keyswitches that set a threat level (so turning one is not a failed scenario release).</summary>
    public static bool SelectsALevel(SiteDefinition site, string pointId) =>
        site.ThreatLevels.Any(t => t.SelectKeyswitches.Contains(pointId, StringComparer.Ordinal));
}
