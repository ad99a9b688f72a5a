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
            && site.ThreatLevels.FirstOrDefault(t => t.SelectKeyswitches.Contains(point.Id, StringComparer.Ordinal)) is { } selected)
        {
            if (selected.Level == state.ThreatLevel)
            {
                // The level in force, chosen by a guard now: kept over a later change of the
                // config's initial level, as the office's set-threat-level to it is.
                return state.ThreatLevelChosen ? state : state with { ThreatLevelChosen = true };
            }

            events.Add(new ThreatLevelChanged(now.Utc, state.ThreatLevel, selected.Level, point.Id));
            return state with { ThreatLevel = selected.Level, ThreatLevelChosen = true };
        }

        var level = site.ThreatLevel(state.ThreatLevel);
        if (point.Kind != PointKind.Perimeter || !site.Arms(level, point.Zone, now.Utc))
        {
            return state;
        }

        // Recorded in the state the breach is decided in, so it is saved with it (and with a
        // lockdown it starts): the boot does not raise it again while the point stays active.
        state = state.Breached.Contains(point.Id) ? state : state with { Breached = state.Breached.Add(point.Id) };
        if (!level.BreachStartsLockdown)
        {
            events.Add(new PerimeterBreach(now.Utc, point.Id, point.Zone, level.Level, StartsLockdown: false));
            return state;
        }

        // The breach event goes first; whether it started (or took over with) the lockdown, or had
        // it kept suspended under a higher-ranked one, is known only after the table has been
        // asked, so the event is completed afterwards.
        var breachAt = events.Count;
        events.Add(new PerimeterBreach(now.Utc, point.Id, point.Zone, level.Level, StartsLockdown: false));
        var after = ModeChanges.StartOnBreach(site, state, point, now, events);
        var started = events.Skip(breachAt + 1).Any(e => e is LockdownStarted);
        var kept = events.Skip(breachAt + 1).Any(e => e is LockdownStartRefused { Suspended: true });
        events[breachAt] = new PerimeterBreach(now.Utc, point.Id, point.Zone, level.Level, started) { KeptSuspended = kept };
        return after;
    }

    /// <summary>Keyswitches that set a threat level (so turning one is not a failed scenario release).</summary>
    public static bool SelectsALevel(SiteDefinition site, string pointId) =>
        site.ThreatLevels.Any(t => t.SelectKeyswitches.Contains(pointId, StringComparer.Ordinal));
}
