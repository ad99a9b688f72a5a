using System.Collections.Immutable;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

// The state's persisted side: the parts Safety is built from, when a decision cannot have changed
// it (so saving is skipped), and how a state is rebuilt from it at boot (Restore).
public sealed partial record SiteState
{
    // None held in normal mode decides at the next boot as no record does (nothing runs that a
    // held button could have started), so a quiet state stays SafetyState.Initial: null then.
    private ImmutableSortedSet<string>? HeldPanicsRecord() =>
        HeldPanics.Count == 0 && (HeldPanicsUnrecorded || Mode == SiteMode.Normal) ? null : HeldPanics;

    /// <summary>
    /// True when this state's <see cref="Safety"/> equals <paramref name="other"/>'s because every
    /// field it is made of is the same, the maps by reference; false may still mean equal. Lets the
    /// controller skip building and comparing the persisted state for the many decisions that
    /// cannot touch it (a door opening, a timer), on the path an edge takes to the office.
    /// </summary>
    public bool SameSafetyFieldsAs(SiteState other) =>
        other is not null && Mode == other.Mode && Equals(Lockdown, other.Lockdown) && SirenUntil.HasValue == other.SirenUntil.HasValue
        && LifeSafety == other.LifeSafety && ReferenceEquals(Doors, other.Doors) && ReferenceEquals(Bypasses, other.Bypasses)
        && ReferenceEquals(Suspended, other.Suspended) && ReferenceEquals(Breached, other.Breached)
        && BreachesUnrecorded == other.BreachesUnrecorded
        && ReferenceEquals(HeldPanics, other.HeldPanics) && HeldPanicsUnrecorded == other.HeldPanicsUnrecorded
        && ReferenceEquals(FireRaised, other.FireRaised)
        && ThreatLevel == other.ThreatLevel && ThreatLevelChosen == other.ThreatLevelChosen;

    private ImmutableSortedDictionary<string, DoorAlarm>? DoorAlarms()
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, DoorAlarm>(StringComparer.Ordinal);
        foreach (var (id, door) in Doors)
        {
            var alarm = (door.Forced ? DoorAlarm.Forced : DoorAlarm.None) | (door.HeldOpen ? DoorAlarm.HeldOpen : DoorAlarm.None);
            if (alarm != DoorAlarm.None)
            {
                builder[id] = alarm;
            }
        }

        return builder.Count == 0 ? null : builder.ToImmutable();
    }

    private ImmutableSortedDictionary<string, DoorRelease>? DoorReleases()
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, DoorRelease>(StringComparer.Ordinal);
        foreach (var (id, door) in Doors)
        {
            if (door.EgressLatched)
            {
                builder[id] = DoorRelease.DelayedEgressReleased;
            }
            else if (door.DelayedEgressUntil is not null)
            {
                builder[id] = DoorRelease.DelayedEgressCounting;
            }
            else if (door.ReleasedUntil is not null)
            {
                builder[id] = DoorRelease.RequestToExit;
            }
        }

        return builder.Count == 0 ? null : builder.ToImmutable();
    }

    /// <summary>
    /// Whether <paramref name="safety"/>'s held record of <paramref name="point"/> can stand for a
    /// press decided as the config now decides it. An audible panic button's press leaves a real
    /// scenario running that ranks at least as high as the one it triggers (it starts, retriggers
    /// or takes over; refused, it is outranked), and while it is held nothing ends that (every
    /// release and the all-clear are refused for it). A saved state that does not show that (normal
    /// mode, a drill, a lower-ranked scenario) was decided under another config: the button was a
    /// silent hold-up, or triggered another scenario, when pressed. Its record is then dropped
    /// (named in <c>gateway.started</c>'s <c>notRestored</c>) and the settle decides the button
    /// as pressed: held as an audible panic button, it locks the doors. A button silent now fits
    /// any saved state (a silent press changes no mode), so one made silent keeps its record.
    /// </summary>
    public static bool HeldPressFits(SiteDefinition site, SafetyState safety, PointDefinition point)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(safety);
        ArgumentNullException.ThrowIfNull(point);
        if (point.Silent || site.ScenarioTriggeredBy(point.Id, drill: false) is not { } triggered)
        {
            return true;
        }

        return safety.Mode != SiteMode.Normal && safety.Lockdown is { Drill: false } running
            && site.ScenarioOrStandIn(running.Scenario, safety.Mode).Rank >= triggered.Rank;
    }

    /// <summary>
    /// Rebuilds the state at boot from what was persisted and the settled input levels. A siren
    /// that was sounding at power loss sounds again for its full time: the alert was not finished.
    /// </summary>
    public static SiteState Restore(SiteDefinition site, SafetyState safety, IReadOnlyDictionary<string, bool> settledPoints, Moment now)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(safety);
        ArgumentNullException.ThrowIfNull(settledPoints);
        var points = site.Points.ToImmutableSortedDictionary(
            p => p.Id, p => settledPoints.GetValueOrDefault(p.Id), StringComparer.Ordinal);
        var scenario = safety.Lockdown is { } info && safety.Mode != SiteMode.Normal ? site.ScenarioOrStandIn(info.Scenario, safety.Mode) : null;
        TimeSpan? siren = safety.SirenSounding ? now.Monotonic + (scenario?.SirenDuration ?? site.Lockdown.SirenDuration) : null;
        // Releases under way start again in full (a delay sounds and opens after the whole delay, a
        // request to exit holds for its whole time): the safe side for people leaving. A door no
        // longer configured is left alone. A door the config took delayed egress from (a technician
        // changed it while the gateway was stopped) still lets out a person whose delay was
        // counting, as its exit button does; and its latch, irreversible by code, is kept while a
        // relock key can end it, else it becomes the one release left that ends by itself.
        var doors = ImmutableSortedDictionary.CreateBuilder<string, DoorState>(StringComparer.Ordinal);
        foreach (var (doorId, release) in safety.ReleasedDoors)
        {
            if (site.DoorList.FirstOrDefault(d => d.Id == doorId) is not { } door)
            {
                continue;
            }

            var restored = (release, door.DelayedEgress) switch
            {
                (DoorRelease.DelayedEgressReleased, _) when door.DelayedEgress is not null || door.Relock.Count > 0 => new DoorState(EgressLatched: true),
                (DoorRelease.DelayedEgressCounting, { } delay) => new DoorState(DelayedEgressUntil: now.Monotonic + delay),
                _ => new DoorState(ReleasedUntil: now.Monotonic + door.Release),
            };
            doors[doorId] = restored;
        }

        // Only a door's contact closing restores its alarm (DoorSupervision): one of a door left
        // without a contact would stay active and saved for ever, so it is dropped (and named).
        foreach (var (doorId, alarm) in safety.ActiveDoorAlarms)
        {
            if (site.DoorList.Any(d => d.Id == doorId && d.ContactPoint is not null))
            {
                var door = doors.TryGetValue(doorId, out var released) ? released : DoorState.Quiet;
                doors[doorId] = door with { Forced = alarm.HasFlag(DoorAlarm.Forced), HeldOpen = alarm.HasFlag(DoorAlarm.HeldOpen) };
            }
        }

        // A level the config no longer has falls back to the configured initial level.
        var threat = safety.ThreatLevel is { } level && site.ThreatLevels.Any(t => t.Level == level) ? level : site.ThreatLevel(site.InitialThreatLevel).Level;
        // A bypass of a point no longer configured, or no longer of a kind that may be bypassed
        // (it became a panic button), is dropped: config decides what can be out of service.
        var bypasses = safety.BypassedPoints
            .Where(b => site.FindPoint(b.Key) is { CanBeBypassed: true })
            .ToImmutableSortedDictionary(b => b.Key, b => ActiveBypass.From(b.Value, now, OfficeMaintenance.MaxBypass), StringComparer.Ordinal);
        return new SiteState(safety.Mode, safety.Lockdown, siren, points)
        {
            // Unknown: the alert it sounds for came before the restart (see SirenSince).
            SirenSince = null,
            // When the latest alert was is not saved: the restart stands in for it, the safe side
            // (an all-clear signed before it, queued across the restart, must be signed again).
            // On both clocks: a boot clock behind by the outage is corrected (ApprovalsValidAt).
            ApprovalsValidFrom = now,
            // Nor is which office command was decided last for each thing: the restart stands in
            // for all of them, so a command signed before it is refused (see CommandOrder).
            CommandsForgottenBefore = now,
            Bypasses = bypasses,
            LifeSafety = safety.LifeSafety,
            Doors = doors.ToImmutable(),
            ThreatLevel = threat,
            ThreatLevelChosen = safety.ThreatLevel == threat,
            ArmedZones = PerimeterArming.Armed(site, site.ThreatLevel(threat), now.Utc),
            ArmingOccurrences = PerimeterArming.Occurrences(site, site.ThreatLevel(threat), now.Utc),
            WallClockOrigin = now.Utc - now.Monotonic,
            // Judged again at the settle, against the levels read then (PerimeterArming.OnSettled).
            Breached = safety.BreachedPoints.Where(id => site.FindPoint(id) is { Kind: PointKind.Perimeter }).ToImmutableSortedSet(StringComparer.Ordinal),
            BreachesUnrecorded = safety.BreachesUnrecorded,
            // Judged again at the settle too, against the levels read then (SiteDecider.OnInputsSettled).
            // A record the config now contradicts is dropped too, so the button is pressed again.
            HeldPanics = (safety.HeldPanics ?? []).Where(id => site.FindPoint(id) is { Kind: PointKind.PanicButton } point && HeldPressFits(site, safety, point))
                .ToImmutableSortedSet(StringComparer.Ordinal),
            HeldPanicsUnrecorded = safety.HeldPanics is null,
            // Judged at the settle: an active fire input not in it raises once (SiteDecider).
            FireRaised = safety.FireRaisedIn(site),
            // Suspended scenarios belong to the running one; in normal mode there is none to resume.
            Suspended = safety.Mode == SiteMode.Normal ? [] : safety.SuspendedScenarios,
        };
    }
}
