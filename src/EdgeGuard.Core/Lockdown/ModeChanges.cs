using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// Executes <see cref="Transitions.Table"/>: a scenario's trigger starts (or takes over with) its
/// mode, a releaser ends it. Part of <see cref="SiteDecider"/>: pure.
/// </summary>
internal static class ModeChanges
{
    /// <summary>Applies a point that went active: a scenario trigger, or a keyswitch that may end one.</summary>
    public static SiteState OnActivated(SiteDefinition site, SiteState state, PointDefinition point, Moment now, List<DomainEvent> events)
    {
        // A key that ends the running scenario ends it, even if it also starts another one (a drill,
        // a lower rank): otherwise a guard could never clear a real lockdown with it.
        if (Transitions.Running(site, state) is { } running && running.Releasers.Contains(point.Id, StringComparer.Ordinal))
        {
            return Release(site, state, point, now, events);
        }

        if (RequestFor(site, point) is { } request)
        {
            var cause = point.Kind == PointKind.PanicButton ? "panic-button" : "keyswitch";
            return Start(site, state, point, request, Trigger.ScenarioTriggered, cause, now, events);
        }

        if (point.Kind != PointKind.Keyswitch || state.Mode == SiteMode.Normal)
        {
            return state;
        }

        // A key that only resets fires or relocks doors is not a failed attempt to end a scenario.
        var releasesSomething = site.Scenarios.Any(s => s.Releasers.Contains(point.Id, StringComparer.Ordinal));
        var otherPurpose = site.FireReset.FireResetKeyswitches.Contains(point.Id, StringComparer.Ordinal)
            || site.DoorList.Any(d => d.Relock.Contains(point.Id, StringComparer.Ordinal))
            || ThreatChanges.SelectsALevel(site, point.Id);
        return !releasesSomething && otherPurpose ? state : Release(site, state, point, now, events);
    }

    /// <summary>
    /// The scenario a point starts: the highest-ranked one listing it as a trigger (for real) or,
    /// failing that, as a drill trigger. Null when it starts none.
    /// </summary>
    private static ModeRequest? RequestFor(SiteDefinition site, PointDefinition point) =>
        site.ScenarioTriggeredBy(point.Id, drill: false) is { } real ? new ModeRequest(point.Id, real, Drill: false)
        : site.ScenarioTriggeredBy(point.Id, drill: true) is { } drill ? new ModeRequest(point.Id, drill, Drill: true)
        : null;

    /// <summary>
    /// A signed office command starting (or taking over with) a scenario: the same rows as a trigger
    /// point. The operator is recorded by the command's own <c>command.done</c> event.
    /// </summary>
    public static SiteState StartFromOffice(SiteDefinition site, SiteState state, ModeRequest request, Moment now, List<DomainEvent> events) =>
        Start(site, state, null, request, Trigger.ScenarioTriggered, "office-command", now, events);

    /// <summary>A perimeter breach at a level that locks down: the built-in lockdown, for real.</summary>
    public static SiteState StartOnBreach(SiteDefinition site, SiteState state, PointDefinition point, Moment now, List<DomainEvent> events) =>
        Start(site, state, point, new ModeRequest(point.Id, site.Scenarios[0], Drill: false), Trigger.PerimeterBreach, "perimeter-breach", now, events);

    private static SiteState Start(SiteDefinition site, SiteState state, PointDefinition? point, ModeRequest request, Trigger trigger, string cause, Moment now, List<DomainEvent> events)
    {
        var scenario = request.Scenario!;
        var row = Transitions.Find(state.Mode, trigger, scenario.Mode);
        var refusal = row is null ? $"no transition from {state.Mode} to {scenario.Mode}" : row.Guard?.Invoke(site, state, request);
        if (refusal is not null)
        {
            // An office command's refusal that changes nothing is told by its own command.refused.
            // One it keeps suspended is a trigger's (a remote lockdown obeys exactly the rules of
            // a panic button): refused, it locked nothing where the same press locked its zones.
            if (point is null && !Keeps(state, request, Transitions.Running(site, state)))
            {
                return state;
            }

            // Refused under a higher-ranked scenario, as retriggered below: once per chatter episode,
            // unless this refusal keeps it suspended anew. The episode's press reported may have
            // been under another scenario since ended (a retrigger of a lockdown cleared since):
            // silenced, this one locked nothing and ran nothing when the one over it ended.
            var silenced = SilencedByChatter(point, voids: !request.Drill, now, ref state);
            return silenced && !KeptAnew(site, state, request)
                ? state
                : Refuse(site, state, point?.Id, request, cause, refusal, now, events);
        }

        // Shelter in place is quiet on purpose: a siren would send people running.
        TimeSpan? siren = scenario.Mode == SiteMode.ShelterInPlace ? null : now.Monotonic + scenario.SirenDuration;
        var running = Transitions.Running(site, state);
        if (running is not null && running.IsSame(scenario) && state.Lockdown!.Drill == request.Drill)
        {
            if (SilencedByChatter(point, voids: true, now, ref state))
            {
                return state;
            }

            events.Add(new LockdownRetriggered(now.Utc, cause, point?.Id, scenario.Mode, scenario.Id) { Drill = request.Drill });
            // A new press is news the supervisors who approved the all-clear did not weigh: their
            // approvals, keyed by the scenario's start, would otherwise still count.
            // Dropping them is not enough: one signed before the press may still be on its way.
            return state with { SirenUntil = siren, SirenSince = siren is null ? state.SirenSince : now.Utc, AllClearApprovals = null, ApprovalsValidFrom = now };
        }

        var info = new LockdownInfo(cause, point?.Id, now.Utc, scenario.Id, request.Drill);
        events.Add(new LockdownStarted(now.Utc, cause, point?.Id, scenario.Mode, scenario.Id, running?.Id) { Drill = request.Drill });
        // Nor does an all-clear signed before this start and still on its way (ApprovalsValidFrom).
        return WithScenario(state, scenario, info) with { SirenUntil = siren, SirenSince = siren is null ? null : now.Utc, ApprovalsValidFrom = now };
    }

    /// <summary>
    /// A chattering panic loop (a loose terminal) presses again every flap: the first press of an
    /// episode is reported (a retrigger, or a refusal under a higher-ranked scenario), and the rest
    /// would restart the siren every second, a critical event each. True for one of the rest, with
    /// <paramref name="state"/> left as such a press leaves it: the scenario stays either way, and
    /// with <paramref name="voids"/> (a real press) the all-clear approvals given before it are void,
    /// since it may be a person still pressing, news the approvers did not weigh. False otherwise,
    /// the first press of an episode recorded.
    /// </summary>
    private static bool SilencedByChatter(PointDefinition? point, bool voids, Moment now, ref SiteState state)
    {
        if (point is null || !state.ChatteringPoints.Contains(point.Id))
        {
            return false;
        }

        if (state.RetriggeredWhileChattering.Contains(point.Id))
        {
            if (voids)
            {
                state = state with { AllClearApprovals = null, ApprovalsValidFrom = now };
            }

            return true;
        }

        state = state with { RetriggeredWhileChattering = state.RetriggeredWhileChattering.Add(point.Id) };
        return false;
    }

    /// <summary>
    /// A trigger on site refused (a higher-ranked real scenario runs, or a drill was asked for
    /// over a real one): always journaled, since the point's own <c>point.activated</c> does not
    /// say the press changed nothing. An office command (<paramref name="pointId"/> null) comes
    /// here only when it is kept: journaled too, with no point, so the office can acknowledge the
    /// siren it sounds again, and answered done (<see cref="OfficeCommands"/>). A real lockdown or shelter asked for is kept suspended under
    /// it (<see cref="SuspendedScenario"/>) unless it is suspended already, as if it had been
    /// started first and taken over: its locks lock now, a power cut does not forget it, and it
    /// runs when the one over it is ended by its releaser. Under an evacuation too: the suspension
    /// rules already keep every escape route released while the evacuation runs
    /// (<see cref="OutputPlan.LockedByPolicy"/>), so only secure doors lock until it ends.
    /// A real trigger refused, kept or not, is a new alarm (<see cref="Alerted"/>).
    /// </summary>
    /// <remarks>
    /// Kept even when what runs or is suspended already locks all its zones: one key turn ends
    /// one scenario, and the releaser of the one over it may have no authority over the one asked
    /// for. Left out, a panic press under a lockdown of every zone was forgotten, and the one turn
    /// of that lockdown's own key put the site in normal mode and unlocked the press's zone. The
    /// press is a request made, like one that started a lockdown: letting the button go does not
    /// take it back.
    /// </remarks>
    private static SiteState Refuse(SiteDefinition site, SiteState state, string? pointId, ModeRequest request, string cause, string reason, Moment now, List<DomainEvent> events)
    {
        var scenario = request.Scenario!;
        var running = Transitions.Running(site, state);
        var adds = KeptAnew(site, state, request);
        events.Add(new LockdownStartRefused(now.Utc, cause, pointId, scenario.Id, scenario.Mode, running?.Id ?? ScenarioDefinition.LockdownId, reason)
        {
            Drill = request.Drill,
            Suspended = Keeps(state, request, running),
            // Said in the event, so only a refusal that sounded the siren silences it when acknowledged.
            SirenRestarted = !request.Drill && RestartsSiren(site, state, scenario),
        });
        // A drill asked for over a real scenario is no news of danger: nothing else changes.
        if (request.Drill)
        {
            return state;
        }

        state = Alerted(site, state, scenario, now);
        if (!adds)
        {
            return state;
        }

        // Kept in rank order, the highest last, so it runs again before the lower ones: as if the
        // higher of them had taken over from the lower.
        var index = 0;
        while (index < state.Suspended.Count
            && site.ScenarioOrStandIn(state.Suspended[index].Info.Scenario, state.Suspended[index].Mode).Rank < scenario.Rank)
        {
            index++;
        }

        var info = new LockdownInfo(cause, pointId, now.Utc, scenario.Id);
        return state with { Suspended = state.Suspended.Insert(index, new SuspendedScenario(scenario.Mode, info)) };
    }

    // Whether a refused request is kept suspended and is not already (Refuse adds it).
    private static bool KeptAnew(SiteDefinition site, SiteState state, ModeRequest request) =>
        Keeps(state, request, Transitions.Running(site, state))
        && !state.Suspended.Any(s => s.Mode == request.Scenario!.Mode && s.Info.Scenario == request.Scenario.Id);

    // Whether a refused request is kept suspended: a real lockdown or shelter under a real one.
    private static bool Keeps(SiteState state, ModeRequest request, ScenarioDefinition? running) =>
        !request.Drill && state.Lockdown is { Drill: false } && running is not null
        && request.Scenario!.Mode is SiteMode.Lockdown or SiteMode.ShelterInPlace;

    /// <summary>
    /// A real trigger refused under a higher-ranked real scenario, kept suspended or not: somebody
    /// raised an alarm, so it is answered as a retrigger is. Approvals given to clear everything
    /// before it count for nothing (the supervisors did not weigh it), and the siren sounds again
    /// from now, so an acknowledgement of an earlier alert does not silence it: without this a
    /// press after the running siren was acknowledged or timed out sounded nowhere, and the zones
    /// of what is suspended sound with it (<see cref="OutputPlan.For"/>). Not when the running
    /// scenario or the one asked for is a shelter in place, quiet on purpose: a siren would send
    /// people running.
    /// </summary>
    private static SiteState Alerted(SiteDefinition site, SiteState state, ScenarioDefinition asked, Moment now)
    {
        state = state with { AllClearApprovals = null, ApprovalsValidFrom = now };
        return RestartsSiren(site, state, asked) && Transitions.Running(site, state) is { } running
            ? state with { SirenUntil = now.Monotonic + running.SirenDuration, SirenSince = now.Utc }
            : state;
    }

    // Whether a real trigger refused for asked sounds the running siren again (Alerted).
    private static bool RestartsSiren(SiteDefinition site, SiteState state, ScenarioDefinition asked) =>
        Transitions.Running(site, state) is not null
        && state.Mode != SiteMode.ShelterInPlace && asked.Mode != SiteMode.ShelterInPlace;

    /// <summary>
    /// <paramref name="state"/> running <paramref name="scenario"/>: the mode and scenario a start or
    /// takeover sets. <see cref="Transitions"/> asks the output plan about this same state before it
    /// allows a takeover, so what the rule judges is what the outputs would do.
    /// </summary>
    /// <remarks>
    /// A real scenario taken over is suspended, not ended (<see cref="SuspendedScenario"/>): what it
    /// keeps locked stays locked, and it runs again when the one over it is ended. Otherwise a panic
    /// press during a real shelter in place of one wing, answered by the site's lockdown of the
    /// others, would unlock the wing the shelter keeps shut. A drill is no protection to keep.
    /// </remarks>
    public static SiteState WithScenario(SiteState state, ScenarioDefinition scenario, LockdownInfo info)
    {
        var suspended = state.Lockdown is { Drill: false } running && state.Mode != SiteMode.Normal
            && !(running.Scenario == info.Scenario && state.Mode == scenario.Mode && !info.Drill)
            ? state.Suspended.Add(new SuspendedScenario(state.Mode, running))
            : state.Suspended;
        // Approvals to clear what ran before count for nothing now: a supervisor who agreed to end
        // the shelter did not agree to end the lockdown over it, nor the shelter once it runs again.
        return state with { Mode = scenario.Mode, Lockdown = info, Suspended = suspended, AllClearApprovals = null };
    }

    /// <summary>
    /// A keyswitch ends the running scenario if it is that scenario's releaser. The scenario it took
    /// over, if any, then runs again: the key ends what it was given for, not what it was not.
    /// </summary>
    private static SiteState Release(SiteDefinition site, SiteState state, PointDefinition point, Moment now, List<DomainEvent> events)
    {
        var resumed = state.Suspended.Count > 0 ? state.Suspended[^1] : null;
        var row = Transitions.Find(state.Mode, Trigger.KeyswitchTurned, resumed?.Mode ?? SiteMode.Normal)!;
        var info = state.Lockdown;
        var drill = info?.Drill ?? false;
        if (row.Guard?.Invoke(site, state, new ModeRequest(point.Id, null, drill)) is { } refusal)
        {
            events.Add(new LockdownClearRefused(now.Utc, point.Id, refusal) { Drill = drill });
            return state;
        }

        var ended = info?.Scenario ?? ScenarioDefinition.LockdownId;
        events.Add(new LockdownCleared(now.Utc, point.Id, info?.Since ?? now.Utc, state.Mode, ended) { Drill = drill });
        if (resumed is null)
        {
            return state with { Mode = SiteMode.Normal, Lockdown = null, SirenUntil = null, AllClearApprovals = null };
        }

        // The people on site are told, as when it started: those who left on the evacuation's siren
        // must learn the lockdown is back before the exits relock behind them. A shelter stays quiet.
        var scenario = site.ScenarioOrStandIn(resumed.Info.Scenario, resumed.Mode);
        TimeSpan? siren = resumed.Mode == SiteMode.ShelterInPlace ? null : now.Monotonic + scenario.SirenDuration;
        events.Add(new LockdownStarted(now.Utc, LockdownStarted.ResumedCause, point.Id, resumed.Mode, resumed.Info.Scenario, ended));
        return state with
        {
            Mode = resumed.Mode,
            Lockdown = resumed.Info,
            Suspended = state.Suspended.RemoveAt(state.Suspended.Count - 1),
            SirenUntil = siren,
            SirenSince = siren is null ? null : now.Utc,
            AllClearApprovals = null,
            ApprovalsValidFrom = now,
        };
    }
}
