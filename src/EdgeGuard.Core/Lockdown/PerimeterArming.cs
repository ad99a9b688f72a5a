using System.Collections.Immutable;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// A zone that becomes armed with a perimeter point already active in it: the threat level
/// raised (by a key or the office) or an arming window opening; a level raised to one whose
/// breach locks down, for the points already in breach; and the inputs settling at boot, for the
/// points no saved breach covers (<see cref="OnSettled"/>). The point is judged then as if it had
/// just gone active, as on any panel and as when a bypass ends on an active point
/// (<see cref="OfficeMaintenance"/>): otherwise a fence cut while its zone was disarmed (or the
/// gateway off) stayed unreported until it restored and tripped again. Part of
/// <see cref="SiteDecider"/>: pure, run before and after every input.
/// </summary>
internal static class PerimeterArming
{
    private static readonly ImmutableSortedSet<string> None = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>
    /// How far the wall clock may move against the monotonic clock between two decisions and still
    /// be time passing (NTP slewing a drift, the two clocks read a moment apart); beyond it, the
    /// clock was stepped (<see cref="ClockStepped"/>).
    /// </summary>
    public static readonly TimeSpan WallClockStep = TimeSpan.FromSeconds(5);

    // Below this the recorded origin stands, so the usual decision returns the same state; above
    // it (and under a step) the drift is absorbed, so slewing never adds up to a step.
    private static readonly TimeSpan DriftAbsorbed = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Judges the active, non-bypassed perimeter points of the zones armed now and not at the
    /// previous decision, and records what is armed. After a wall-clock step the zones are
    /// re-baselined instead, judging only the points no raised breach covers, as the settle at
    /// boot does: the step moved the windows, not time.
    /// </summary>
    /// <param name="site">The site.</param>
    /// <param name="levelBefore">The threat level before this input.</param>
    /// <param name="state">The state after this input.</param>
    /// <param name="now">The decision's time.</param>
    /// <param name="events">Where the breach (and a lockdown it starts) are reported.</param>
    public static SiteState Judge(SiteDefinition site, int levelBefore, SiteState state, Moment now, List<DomainEvent> events)
    {
        var stepped = ClockStepped(ref state, now);
        var level = site.ThreatLevel(state.ThreatLevel);
        // Only a level change, a schedule (whose windows open with time) or the settle can arm a
        // zone: the usual decision, an edge on its way to the office, returns here.
        if (state.ThreatLevel == levelBefore && level.Schedule.Count == 0 && state.ArmedZones is not null)
        {
            return state;
        }

        // Unknown for a state Restore made (not saved): the level before, at this time, stands in.
        // The settle judges what the boot finds active itself (OnSettled), against the saved
        // record of breaches, not as "newly armed". After a step, the same: a Pi without a
        // real-time clock boots with the time it saved last, and NTP steps it forward into an
        // evening window; taking that as the window opening raised a fence the office had dealt
        // with before the power cut again, and locked down (with the right clock at boot, the
        // settle found it in the record and judged nothing).
        var before = !stepped && state.ArmedZones is { } recorded ? recorded : Armed(site, site.ThreatLevel(levelBefore), now.Utc);
        // A level whose breach locks down, raised from one whose breach does not: a point already
        // in breach is judged again at the new level, so it locks down as a breach then would. A
        // fence cut at level 1 is no less an intrusion when the office raises the level over it.
        var escalated = level.BreachStartsLockdown && !site.ThreatLevel(levelBefore).BreachStartsLockdown;
        if (state.ArmedZones is not null && !escalated && !stepped && !ArmingChanged(site, level, now.Utc, before))
        {
            return state;
        }

        var armed = Armed(site, level, now.Utc);
        var reopened = None;
        if (state.ArmedZones is not { } known || !known.SetEquals(armed))
        {
            // Only when it changed: a decision that changes nothing returns the same state.
            reopened = Reopened(site, level, state, armed, now.Utc, sameLevel: state.ThreatLevel == levelBefore && !stepped, out var occurrences);
            state = state with { ArmedZones = armed, ArmingOccurrences = occurrences };
        }

        foreach (var point in site.Points)
        {
            // Judged for the breach only: the point's other roles (a door, a scenario trigger) do
            // not depend on arming and were decided when it went active. After a step, and when
            // the occurrence that raised a breach opens again (the clock stepped back out of it),
            // only a point no raised breach covers: it went active while its zone read as disarmed
            // (a fence cut while the clock was wrong), and is judged as the settle judges one cut
            // while off. One still cut since an earlier occurrence is judged at a new one.
            var unraised = !state.Breached.Contains(point.Id);
            if (point.Kind == PointKind.Perimeter && armed.Contains(point.Zone)
                && (escalated || (!before.Contains(point.Zone) && (unraised || !reopened.Contains(point.Zone))) || (stepped && unraised))
                && state.IsActive(point.Id) && !state.Bypasses.ContainsKey(point.Id))
            {
                state = ThreatChanges.OnActivated(site, state, point, now, events);
            }
        }

        return state;
    }

    /// <summary>
    /// Whether the wall clock was stepped since the last decision: its reading moved against the
    /// monotonic clock by more than <see cref="WallClockStep"/> (<see cref="SiteState.WallClockOrigin"/>).
    /// Records the new origin then, and when a drift passes <see cref="DriftAbsorbed"/>.
    /// </summary>
    private static bool ClockStepped(ref SiteState state, Moment now)
    {
        var origin = now.Utc - now.Monotonic;
        if (state.WallClockOrigin is not { } known)
        {
            state = state with { WallClockOrigin = origin };
            return false;
        }

        var moved = (origin - known).Duration();
        if (moved <= DriftAbsorbed)
        {
            return false;
        }

        state = state with { WallClockOrigin = origin };
        return moved > WallClockStep;
    }

    /// <summary>
    /// The settle at boot: the saved record of breaches (<see cref="SiteState.Breached"/>) loses
    /// the points found restored, and an active, non-bypassed perimeter point in a zone armed now
    /// that it does not hold is judged, as at runtime: it was cut while the gateway was off. One
    /// it holds was judged before the restart and is not again (judging every active point started
    /// a lockdown at every power cut for a fence known to be cut). A row saved before the record
    /// existed takes every active perimeter point as judged, as every boot did then.
    /// </summary>
    public static SiteState OnSettled(SiteDefinition site, SiteState state, Moment now, List<DomainEvent> events)
    {
        var breached = state.Breached.ToBuilder();
        foreach (var point in site.Points)
        {
            if (point.Kind != PointKind.Perimeter)
            {
                continue;
            }

            if (!state.IsActive(point.Id))
            {
                breached.Remove(point.Id);
            }
            else if (state.BreachesUnrecorded)
            {
                breached.Add(point.Id);
            }
        }

        var record = breached.ToImmutable();
        if (state.BreachesUnrecorded || !record.SetEquals(state.Breached))
        {
            // Only when it changed: quiet inputs at boot return the same state.
            state = state with { Breached = record, BreachesUnrecorded = false };
        }

        var level = site.ThreatLevel(state.ThreatLevel);
        foreach (var point in site.Points)
        {
            if (point.Kind == PointKind.Perimeter && state.IsActive(point.Id) && !state.Breached.Contains(point.Id)
                && !state.Bypasses.ContainsKey(point.Id) && site.Arms(level, point.Zone, now.Utc))
            {
                // Records the point, in this decision's saved state.
                state = ThreatChanges.OnActivated(site, state, point, now, events);
            }
        }

        return state;
    }

    /// <summary>
    /// The zones holding a perimeter point that <paramref name="level"/> arms at <paramref name="at"/>.
    /// </summary>
    public static ImmutableSortedSet<string> Armed(SiteDefinition site, ThreatLevelDefinition level, DateTimeOffset at)
    {
        var armed = None.ToBuilder();
        foreach (var point in site.Points)
        {
            if (point.Kind == PointKind.Perimeter && site.Arms(level, point.Zone, at))
            {
                armed.Add(point.Zone);
            }
        }

        return armed.ToImmutable();
    }

    /// <summary>
    /// Per perimeter zone an arming window of <paramref name="level"/> arms at
    /// <paramref name="at"/>, its <see cref="Occurrence"/>.
    /// </summary>
    public static ImmutableSortedDictionary<string, DateTimeOffset> Occurrences(SiteDefinition site, ThreatLevelDefinition level, DateTimeOffset at)
    {
        var occurrences = ImmutableSortedDictionary.CreateBuilder<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var point in site.Points)
        {
            if (point.Kind == PointKind.Perimeter && Occurrence(site, level, point.Zone, at) is { } opened)
            {
                occurrences[point.Zone] = opened;
            }
        }

        return occurrences.ToImmutable();
    }

    /// <summary>
    /// What names the window occurrence arming <paramref name="zone"/> at <paramref name="at"/>:
    /// the latest opening of the windows open over it, or null when none is (or the level arms
    /// it by itself, whatever the windows do).
    /// </summary>
    /// <remarks>
    /// With the clock running on, a zone armed again is armed by an occurrence that opened after
    /// the one recorded when it was last armed (that one had opened by then, and each occurrence
    /// is one span, which does not open twice: <see cref="ArmingWindow"/>). Only a clock stepped
    /// back brings round one that opened no later: the same occurrence, or one before it.
    /// </remarks>
    public static DateTimeOffset? Occurrence(SiteDefinition site, ThreatLevelDefinition level, string zone, DateTimeOffset at)
    {
        if (level.ArmedZones.Contains(zone, StringComparer.Ordinal))
        {
            return null;
        }

        DateTimeOffset? latest = null;
        foreach (var window in level.Schedule)
        {
            if (window.Zones.Contains(zone, StringComparer.Ordinal) && window.OpenedAt(at, site.TimeZone) is { } opened
                && (latest is not { } l || opened > l))
            {
                latest = opened;
            }
        }

        return latest;
    }

    // The zones armed now and not at the last decision, by a window occurrence that opened no
    // later than the one that armed them last (at the same level, without a step): the clock
    // stepped back out of it and ran on into it again. Records the occurrence of each.
    private static ImmutableSortedSet<string> Reopened(
        SiteDefinition site, ThreatLevelDefinition level, SiteState state, ImmutableSortedSet<string> armed, DateTimeOffset at, bool sameLevel,
        out ImmutableSortedDictionary<string, DateTimeOffset> occurrences)
    {
        var reopened = None.ToBuilder();
        var recorded = state.ArmingOccurrences.ToBuilder();
        foreach (var zone in armed)
        {
            if (state.ArmedZones?.Contains(zone) == true)
            {
                continue;
            }

            if (Occurrence(site, level, zone, at) is not { } opened)
            {
                recorded.Remove(zone);
                continue;
            }

            if (sameLevel && state.ArmingOccurrences.TryGetValue(zone, out var last) && opened <= last)
            {
                reopened.Add(zone);
            }

            recorded[zone] = opened;
        }

        occurrences = recorded.ToImmutable();
        return reopened.ToImmutable();
    }

    // Whether a perimeter zone's arming differs from what was recorded, without allocating.
    private static bool ArmingChanged(SiteDefinition site, ThreatLevelDefinition level, DateTimeOffset at, ImmutableSortedSet<string> before)
    {
        foreach (var point in site.Points)
        {
            if (point.Kind == PointKind.Perimeter && site.Arms(level, point.Zone, at) != before.Contains(point.Zone))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// When the controller must tick for an arming window to open on an active, non-bypassed
    /// perimeter point, or to close over one, or null: only then does an opening change anything,
    /// and the closing must be recorded (<see cref="SiteState.ArmedZones"/>) for the next opening
    /// to be seen. Without the closing, a fence cut in a nightly window and left cut over a quiet
    /// day kept its zone recorded as armed, and the next night's opening raised nothing.
    /// </summary>
    /// <remarks>
    /// At most <see cref="OfficeMaintenance.WallClockRecheck"/> ahead: the opening and closing are
    /// instants on the wall clock (a daylight-saving change on the way allowed for), which a clock
    /// correction moves without the monotonic clock; a tick that finds nothing changed costs nothing.
    /// </remarks>
    public static TimeSpan? NextDeadline(SiteDefinition site, SiteState state, Moment now)
    {
        var level = site.ThreatLevel(state.ThreatLevel);
        if (level.Schedule.Count == 0)
        {
            return null;
        }

        TimeSpan? wait = null;
        foreach (var point in site.Points)
        {
            if (point.Kind != PointKind.Perimeter || !state.IsActive(point.Id) || state.Bypasses.ContainsKey(point.Id))
            {
                continue;
            }

            // Armed by the level itself, the zone stays armed whatever the windows do.
            var armed = site.Arms(level, point.Zone, now.Utc);
            if (armed && level.ArmedZones.Contains(point.Zone, StringComparer.Ordinal))
            {
                continue;
            }

            foreach (var window in level.Schedule)
            {
                if (!window.Zones.Contains(point.Zone, StringComparer.Ordinal))
                {
                    continue;
                }

                // Armed: the closing of each window open over it (another may keep it armed; the
                // tick then finds it so and waits for the next). Disarmed: the next opening.
                if ((armed ? window.UntilCloses(now.Utc, site.TimeZone) : window.UntilOpens(now.Utc, site.TimeZone)) is { } until)
                {
                    var bounded = until < OfficeMaintenance.WallClockRecheck ? until : OfficeMaintenance.WallClockRecheck;
                    wait = wait is { } w && w <= bounded ? w : bounded;
                }
            }
        }

        return wait is { } due ? now.Monotonic + due : null;
    }
}
