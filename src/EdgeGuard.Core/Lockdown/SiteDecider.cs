using System.Collections.Immutable;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>The new state and the facts to report after one input.</summary>
public sealed record Decision(SiteState State, IReadOnlyList<DomainEvent> Events);

/// <summary>
/// The pure heart of the gateway: <c>state = Decide(state, input, now)</c>. No I/O and no clock;
/// outputs follow from the returned state through <see cref="OutputPlan.For"/>.
/// </summary>
public static class SiteDecider
{
    /// <summary>Applies one input to the state.</summary>
    public static Decision Decide(SiteDefinition site, SiteState state, SiteInput input, Moment now)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(state);
        var events = new List<DomainEvent>(2);
        if (state.Bypasses.Count > 0)
        {
            // Before the input: a bypass past its signed end is over whatever the input is.
            state = OfficeMaintenance.EndExpired(site, state, now, events);
        }

        if (state.TechnicianAccess is not null)
        {
            // Likewise technician access: a bypass signed by a technician after its end is refused.
            state = TechnicianAccess.EndExpired(state, now, events);
        }

        // Before the input too: a window that opened since the last decision (no tick is due for
        // one with nothing active in its zones) is recorded as armed now, so the point this input
        // activates is judged once, by the input, not a second time as "newly armed" after it.
        var levelBefore = state.ThreatLevel;
        state = PerimeterArming.Judge(site, levelBefore, state, now, events);
        // An alarm those raised came before the input: an all-clear in this decision is judged
        // after it, as if a tick had come first.
        state = AlarmNews.Weigh(site, state, events, 0, now);
        var beforeInput = events.Count;

        state = input switch
        {
            PointChanged change => OnPointChanged(site, state, change, now, events),
            TimerTick => DoorSupervision.OnTick(site, OnTick(state, now, events), now, events),
            InputsSettled => PeriodicTest.OnInputsSettled(site, DoorSupervision.OnInputsSettled(site, OnInputsSettled(site, state, now, events), now, events), now),
            OfficeCommandInput office => OfficeCommands.Apply(site, state, office, now, events),
            // Checked when the approval was counted, and again now that the key is gone: every
            // approver must still be trusted when the second approval would lift the scenario.
            PointsSuppressed suppressed => DoorSupervision.OnSuppressed(site, state, suppressed.Points, now).WithChattering(suppressed.Chattering),
            PointsUnreadable unreadable => UnreadableExits.OnUnreadable(site, state, unreadable.Points, now, events),
            OperatorKeyWithdrawn withdrawn => state with { AllClearApprovals = state.AllClearApprovals?.Without(withdrawn.Operator) },
            _ => throw new ArgumentException($"Unknown input {input?.GetType().Name ?? "null"}.", nameof(input)),
        };
        // After whatever the input was: a level set by a key or the office may have armed a zone
        // where a perimeter point is already active.
        state = PerimeterArming.Judge(site, levelBefore, state, now, events);
        // An alarm the input raised is an alert: before the door grants are judged on it.
        state = AlarmNews.Weigh(site, state, events, beforeInput, now);
        // An alert since an office open-door (a start, a retrigger, a door forced) ends it.
        state = OfficeDoorAccess.Follow(site, state, now, events);
        // After everything the input changed: what each monitored lock should do now.
        state = LockMonitoring.Judge(site, state, now, events);
        // Last, so the test reports the state this tick leaves.
        state = input is TimerTick ? PeriodicTest.OnTick(site, state, now, events) : state;
        return new Decision(state, events);
    }

    private static SiteState OnPointChanged(SiteDefinition site, SiteState state, PointChanged change, Moment now, List<DomainEvent> events)
    {
        var point = site.FindPoint(change.PointId);
        if (point is null || state.IsActive(point.Id) == change.Active)
        {
            return state;
        }

        state = state with { Points = state.Points.SetItem(point.Id, change.Active) };
        var bypassed = state.Bypasses.ContainsKey(point.Id);
        events.Add(change.Active
            ? new PointActivated(now.Utc, point.Id, point.Kind, point.Zone) { Bypassed = bypassed }
            : new PointRestored(now.Utc, point.Id, point.Kind, point.Zone) { Bypassed = bypassed });
        if (!change.Active)
        {
            // Restored, bypassed or not: its next activation (at runtime or found at boot) is a
            // new breach.
            state = state.Breached.Contains(point.Id) ? state with { Breached = state.Breached.Remove(point.Id) } : state;
            // Likewise a panic button released: held at the next boot, it was pressed again.
            state = state.HeldPanics.Contains(point.Id) ? state with { HeldPanics = state.HeldPanics.Remove(point.Id) } : state;
            // Restorations count even under a bypass: a door alarm raised before it ends when the door closes.
            return DoorSupervision.OnPointChanged(site, state, point, active: false, now, events);
        }

        // A bypassed point is reported and nothing more, until its bypass ends (OfficeMaintenance).
        return bypassed ? state : OnActive(site, state, point, now, events);
    }

    /// <summary>
    /// What an active point means for the site: doors, life safety, duress, threat and mode. Also
    /// used when a bypass ends on a point that is active.
    /// </summary>
    internal static SiteState OnActive(SiteDefinition site, SiteState state, PointDefinition point, Moment now, List<DomainEvent> events)
    {
        // Doors first: a contact that opens is judged against the lock as it was before this input.
        state = DoorSupervision.OnPointChanged(site, state, point, active: true, now, events);
        if (point.Kind == PointKind.PanicButton)
        {
            // Saved with what the press decides, in the same commit: held through a restart, it is
            // not decided again.
            state = Decided(state, point.Id);
        }

        // Life safety next, so a keyswitch that both resets a fire and ends a scenario is judged
        // on the fire by the same rules as when it does only one of them.
        Trigger? lifeSafety = point.Kind switch
        {
            PointKind.FireAlarm => Trigger.FireAlarmActive,
            PointKind.Keyswitch => Trigger.KeyswitchTurned,
            _ => null,
        };
        if (lifeSafety is { } t)
        {
            state = FireLifeSafety(site, state, t, point, now, events);
        }

        if (point is { Kind: PointKind.PanicButton, Silent: true })
        {
            // Duress: tell the office, and nothing else that the attacker could see or hear. It is
            // news the supervisors who approved the all-clear did not weigh (AlarmNews drops their
            // approvals, and any signed before it still on the way). That changes no output, so
            // nothing on site shows it.
            events.Add(new SilentHoldUp(now.Utc, point.Id, point.Zone));
            return state;
        }

        var modeBefore = state.Mode;
        state = ThreatChanges.OnActivated(site, state, point, now, events);
        return state.Mode != modeBefore ? state : ModeChanges.OnActivated(site, state, point, now, events);
    }

    private static SiteState OnInputsSettled(SiteDefinition site, SiteState state, Moment now, List<DomainEvent> events)
    {
        // Every fire input found active is decided as its leading edge at runtime: the first releases
        // egress, each other one is another zone's fire. Under a saved release an input that raised
        // before the restart is in the saved record (SiteState.FireRaised) and raises nothing again
        // (point.active-at-boot names it); one that went active while the gateway was off is not,
        // and raises fire.alarm once, then is saved in the record with it. A row saved before the
        // record existed has none, so each active input raises once: an extra alarm, not a silent zone.
        foreach (var fire in site.Points)
        {
            if (fire.Kind == PointKind.FireAlarm && state.IsActive(fire.Id))
            {
                state = FireLifeSafety(site, state, Trigger.FireAlarmActive, fire, now, events);
            }
        }

        // A panic button still held once the inputs settled is a press, not a boot transient (those are
        // over after the settle time): a guard who pressed a latching hold-up button during a restart must
        // not have to release and press it again. It is decided like its activation: a lockdown starts (or
        // sounds again), a silent one reports the duress only, a bypassed one nothing. Unless its press was
        // decided before the restart and it never restored (saved, HeldPanics): a stuck or cut button
        // would otherwise retrigger its lockdown, and sound the siren the office acknowledged, at every boot.
        var held = state.HeldPanics.Where(state.IsActive).ToImmutableSortedSet(StringComparer.Ordinal);
        state = held.Count == state.HeldPanics.Count ? state : state with { HeldPanics = held };
        // Taken from the restored state before any press is decided: a press changes what runs.
        var decided = DecidedBeforeRestart(site, state);
        foreach (var point in site.Points)
        {
            if (point.Kind == PointKind.PanicButton && state.IsActive(point.Id) && !state.Bypasses.ContainsKey(point.Id))
            {
                state = decided.Contains(point.Id) ? Decided(state, point.Id) : OnActive(site, state, point, now, events);
            }
        }

        // Last, as at runtime a breach is judged after life safety: an armed perimeter point
        // found active that no saved breach covers was cut while the gateway was off.
        return PerimeterArming.OnSettled(site, state, now, events);
    }

    // Records a panic button's press as decided (SiteState.HeldPanics); the record is complete from then on.
    private static SiteState Decided(SiteState state, string pointId) =>
        state.HeldPanics.Contains(pointId) && !state.HeldPanicsUnrecorded
            ? state
            : state with { HeldPanics = state.HeldPanics.Add(pointId), HeldPanicsUnrecorded = false };

    /// <summary>
    /// The panic buttons whose press was decided before the restart, of those found held at the
    /// settle: the saved record. A state saved before the record existed has none; there the button
    /// that started the restored scenario, or one it suspended, is taken as held through the
    /// restart (the lockdown runs on either way), and any other as a new press, as every boot took
    /// it before.
    /// </summary>
    private static ImmutableSortedSet<string> DecidedBeforeRestart(SiteDefinition site, SiteState state)
    {
        if (!state.HeldPanicsUnrecorded || Transitions.Running(site, state) is null)
        {
            return state.HeldPanics;
        }

        IEnumerable<string?> starters = [state.Lockdown?.Point, .. state.Suspended.Select(s => s.Info.Point)];
        return state.HeldPanics.Union(starters.OfType<string>());
    }

    private static SiteState FireLifeSafety(SiteDefinition site, SiteState state, Trigger trigger, PointDefinition point, Moment now, List<DomainEvent> events)
    {
        var row = LifeSafetyTransitions.Find(state.LifeSafety, trigger);
        if (row is null)
        {
            return state;
        }

        if (row.Guard?.Invoke(site, state, point.Id) is { } refusal)
        {
            // Only a key meant for fire resets is told off: a lockdown-clear key is not a fire reset attempt.
            if (site.FireReset.FireResetKeyswitches.Contains(point.Id, StringComparer.Ordinal))
            {
                events.Add(new FireResetRefused(now.Utc, point.Id, refusal));
            }

            return state;
        }

        if (row.To == LifeSafety.FireEgressReleased)
        {
            events.Add(new FireAlarmRaised(now.Utc, point.Id, point.Zone, state.Mode));
            return state with { LifeSafety = row.To, FireRaised = state.FireRaised.Add(point.Id) };
        }

        // A new release after this one is a new fire: every input may raise it again.
        events.Add(new FireReset(now.Utc, point.Id));
        return state with { LifeSafety = row.To, FireRaised = state.FireRaised.Clear() };
    }

    private static SiteState OnTick(SiteState state, Moment now, List<DomainEvent> events)
    {
        if (state.SirenUntil is { } until && now.Monotonic >= until)
        {
            events.Add(new SirenTimedOut(now.Utc) { Drill = state.Lockdown?.Drill ?? false });
            return state with { SirenUntil = null };
        }

        return state;
    }

    /// <summary>
    /// When the controller must next tick for this state at <paramref name="now"/>, or null: as
    /// <see cref="NextDeadline(SiteDefinition, SiteState)"/>, and at least every
    /// <see cref="OfficeMaintenance.WallClockRecheck"/> while a bypass is in force (its end is signed
    /// in wall-clock time, which can move without the monotonic clock); and when an arming window
    /// would open on an active perimeter point (<see cref="PerimeterArming.NextDeadline"/>).
    /// </summary>
    public static TimeSpan? NextDeadline(SiteDefinition site, SiteState state, Moment now)
    {
        var next = NextDeadline(site, state);
        if (PerimeterArming.NextDeadline(site, state, now) is { } opens && (next is null || opens < next))
        {
            next = opens;
        }

        var recheck = now.Monotonic + OfficeMaintenance.WallClockRecheck;
        return (state.Bypasses.Count > 0 || state.TechnicianAccess is not null) && (next is null || recheck < next) ? recheck : next;
    }

    /// <summary>When the controller must next tick for this state, or null.</summary>
    public static TimeSpan? NextDeadline(SiteDefinition site, SiteState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        TimeSpan? next = null;
        foreach (var deadline in (ReadOnlySpan<TimeSpan?>)[DoorSupervision.NextDeadline(site, state), state.SirenUntil, OfficeMaintenance.NextDeadline(state),
            state.TechnicianAccess?.Window.Deadline, state.PeriodicTestDue])
        {
            next = deadline is { } d && (next is null || d < next) ? d : next;
        }

        return next;
    }
}
