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
        state = input switch
        {
            PointChanged change => OnPointChanged(site, state, change, now, events),
            TimerTick => DoorSupervision.OnTick(site, OnTick(state, now, events), now, events),
            InputsSettled => DoorSupervision.OnInputsSettled(site, OnInputsSettled(site, state, now, events), now),
            _ => throw new ArgumentException($"Unknown input {input?.GetType().Name ?? "null"}.", nameof(input)),
        };
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
        events.Add(change.Active
            ? new PointActivated(now.Utc, point.Id, point.Kind, point.Zone)
            : new PointRestored(now.Utc, point.Id, point.Kind, point.Zone));

        Trigger? trigger = (point.Kind, change.Active) switch
        {
            (PointKind.PanicButton, true) => Trigger.PanicPressed,
            (PointKind.Keyswitch, true) => Trigger.KeyswitchTurned,
            (PointKind.FireAlarm, true) => Trigger.FireAlarmActive,
            _ => null,
        };
        // Doors first: a contact that opens is judged against the lock as it was before this input.
        state = DoorSupervision.OnPointChanged(site, state, point, change.Active, now, events);
        if (trigger is not { } t)
        {
            return state;
        }

        // Life safety first, so a keyswitch that both resets a fire and clears a lockdown is
        // judged on the fire by the same rules as when it does only one of them.
        state = FireLifeSafety(site, state, t, point, now, events);
        // A key that only resets fires or relocks doors is not a failed attempt to clear a lockdown.
        var otherPurposeOnly = !site.Lockdown.ClearKeyswitches.Contains(point.Id, StringComparer.Ordinal)
            && (site.FireReset.FireResetKeyswitches.Contains(point.Id, StringComparer.Ordinal)
                || site.DoorList.Any(d => d.Relock.Contains(point.Id, StringComparer.Ordinal)));
        return otherPurposeOnly ? state : Fire(site, state, t, point, now, events);
    }

    private static SiteState OnInputsSettled(SiteDefinition site, SiteState state, Moment now, List<DomainEvent> events)
    {
        var burning = site.Points.FirstOrDefault(p => p.Kind == PointKind.FireAlarm && state.IsActive(p.Id));
        return burning is null ? state : FireLifeSafety(site, state, Trigger.FireAlarmActive, burning, now, events);
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

        events.Add(row.To == LifeSafety.FireEgressReleased
            ? new FireAlarmRaised(now.Utc, point.Id, point.Zone, state.Mode)
            : new FireReset(now.Utc, point.Id));
        return state with { LifeSafety = row.To };
    }

    private static SiteState Fire(SiteDefinition site, SiteState state, Trigger trigger, PointDefinition point, Moment now, List<DomainEvent> events)
    {
        var row = trigger == Trigger.FireAlarmActive ? null : Transitions.Find(state.Mode, trigger);
        if (row is null)
        {
            return state;
        }

        if (row.Guard?.Invoke(site, state, point.Id) is { } refusal)
        {
            events.Add(new LockdownClearRefused(now.Utc, point.Id, refusal));
            return state;
        }

        var sirenUntil = now.Monotonic + site.Lockdown.SirenDuration;
        switch (row.From, row.To)
        {
            case (SiteMode.Normal, SiteMode.Lockdown):
                var info = new LockdownInfo("panic-button", point.Id, now.Utc);
                events.Add(new LockdownStarted(now.Utc, info.Cause, point.Id));
                return state with { Mode = SiteMode.Lockdown, Lockdown = info, SirenUntil = sirenUntil };
            case (SiteMode.Lockdown, SiteMode.Lockdown):
                events.Add(new LockdownRetriggered(now.Utc, "panic-button", point.Id));
                return state with { SirenUntil = sirenUntil };
            case (SiteMode.Lockdown, SiteMode.Normal):
                events.Add(new LockdownCleared(now.Utc, point.Id, state.Lockdown?.Since ?? now.Utc));
                return state with { Mode = SiteMode.Normal, Lockdown = null, SirenUntil = null };
            default:
                throw new InvalidOperationException($"Transition {row.From} -> {row.To} has no effect defined.");
        }
    }

    private static SiteState OnTick(SiteState state, Moment now, List<DomainEvent> events)
    {
        if (state.SirenUntil is { } until && now.Monotonic >= until)
        {
            events.Add(new SirenTimedOut(now.Utc));
            return state with { SirenUntil = null };
        }

        return state;
    }

    /// <summary>When the controller must next tick for this state, or null.</summary>
    public static TimeSpan? NextDeadline(SiteDefinition site, SiteState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var doors = DoorSupervision.NextDeadline(site, state);
        return state.SirenUntil is { } siren && (doors is null || siren < doors) ? siren : doors;
    }
}
