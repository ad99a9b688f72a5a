using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// What a verified, signed office command does to the site: the same transition table as a trigger
/// point or a keyswitch (<see cref="Transitions"/>), with the two-person rule for lifting a scenario.
/// Verification (signature, role, replay) happened before; this only decides. Part of
/// <see cref="SiteDecider"/>: pure.
/// </summary>
internal static class OfficeCommands
{
    public static SiteState Apply(SiteDefinition site, SiteState state, OfficeCommandInput input, Moment now, List<DomainEvent> events)
    {
        var verified = input.Command;
        var command = verified.Command;
        // Before anything else: a command the office has since overruled must not act at all.
        if (CommandOrder.Superseded(state, command, now, verified.ClockSkew) is { } superseded)
        {
            events.Add(new CommandRefused(now.Utc, command.Id, command.Type, command.Operator, superseded));
            return state;
        }

        var (next, refusal, detail) = TechnicianAccess.Refusal(state, verified, now) is { } unauthorised ? (state, unauthorised, "") : command.Type switch
        {
            CommandType.Lockdown => Start(site, state, verified, SiteMode.Lockdown, drill: false, now, events),
            CommandType.Evacuate => Start(site, state, verified, SiteMode.Evacuation, drill: false, now, events),
            CommandType.Shelter => Start(site, state, verified, SiteMode.ShelterInPlace, drill: false, now, events),
            CommandType.DrillStart => Start(site, state, verified, null, drill: true, now, events),
            CommandType.DrillStop => StopDrill(site, state, command, now, events),
            CommandType.AllClear => AllClear(site, state, verified, now, events),
            CommandType.SetThreatLevel => SetThreatLevel(site, state, command, now, events),
            CommandType.Bypass => OfficeMaintenance.Bypass(site, state, command, now, events),
            CommandType.Unbypass => OfficeMaintenance.Unbypass(site, state, command, now, events),
            CommandType.Acknowledge => OfficeMaintenance.Acknowledge(state, input, now, events),
            CommandType.Rebirth => OfficeMaintenance.Rebirth(state, command, now, events),
            CommandType.OpenDoor => OfficeDoorAccess.Open(site, state, verified, now, events),
            CommandType.TechnicianAccess => TechnicianAccess.Grant(state, command, now, events),
            CommandType.TechnicianAccessEnd => TechnicianAccess.End(state, command, now, events),
            // A type added to the wire before this table learns it is refused, never reported done.
            _ => (state, $"'{CommandTypes.Wire(command.Type)}' is not supported by this gateway version", ""),
        };
        events.Add(refusal is null
            ? new CommandDone(now.Utc, command.Id, command.Type, command.Operator, detail)
            : new CommandRefused(now.Utc, command.Id, command.Type, command.Operator, refusal));
        return CommandOrder.Record(site, state, next, command, done: refusal is null);
    }

    private static (SiteState, string?, string) Start(SiteDefinition site, SiteState state, VerifiedCommand verified, SiteMode? mode, bool drill, Moment now, List<DomainEvent> events)
    {
        var command = verified.Command;
        var wanted = command.StringArgument("scenario");
        var scenario = wanted is null ? Unnamed(site, mode) : site.Scenarios.FirstOrDefault(s => s.Id == wanted);
        if (scenario is null || (mode is { } m && scenario.Mode != m))
        {
            return (state, wanted is null ? $"this site has no {mode} scenario" : $"no {(mode is null ? "" : mode + " ")}scenario '{wanted}' is configured", "");
        }

        // The role goes with the request: the table's guards decide what a role may take over.
        var request = new ModeRequest(command.Operator, scenario, drill) { OfficeRole = verified.Role };
        var before = events.Count;
        var next = ModeChanges.StartFromOffice(site, state, request, now, events);
        if (events.Skip(before).OfType<LockdownStartRefused>().FirstOrDefault() is { } kept)
        {
            // Outranked but kept, as a panic press is: done, and the office is told what that means.
            var again = ReferenceEquals(next.Suspended, state.Suspended) ? "already " : "";
            return (next, null, $"{scenario.Id} {again}kept suspended under the running '{kept.RunningScenario}' "
                + $"({kept.Reason}): its locks lock now, and it runs when that one is ended by its releaser");
        }

        return events.Count > before
            ? (next, null, $"{scenario.Id}{(drill ? " (drill)" : "")} running")
            : (state, Transitions.TakeoverRefusal(site, state, request) ?? "refused", "");
    }

    /// <summary>
    /// The scenario a start without a <c>scenario</c> argument means. A lockdown or a drill is the
    /// built-in lockdown, the one a panic press starts: an operator's plain "lockdown", sent in a
    /// hurry, must lock what the site's own lockdown locks, never only the zones of a scoped
    /// scenario that happens to rank higher (a rank-150 annex lockdown left the lobby open). For
    /// evacuation and shelter there is no built-in one: the highest-ranked of that mode.
    /// </summary>
    private static ScenarioDefinition? Unnamed(SiteDefinition site, SiteMode? mode) =>
        mode is null or SiteMode.Lockdown
            ? site.Scenarios.First(s => s.Id == ScenarioDefinition.LockdownId)
            : site.Scenarios.Where(s => s.Mode == mode).MaxBy(s => s.Rank);

    private static (SiteState, string?, string) StopDrill(SiteDefinition site, SiteState state, CommandEnvelope command, Moment now, List<DomainEvent> events)
    {
        // The table's row, like every mode change, so the generated diagram shows it.
        var row = Transitions.Find(state.Mode, Trigger.OfficeDrillStop);
        var refusal = row is null ? "no drill is running" : row.Guard?.Invoke(site, state, new ModeRequest(command.Operator, null, Drill: true));
        if (refusal is not null || state.Lockdown is not { } info)
        {
            return (state, refusal ?? "no drill is running", "");
        }

        events.Add(new LockdownCleared(now.Utc, command.Operator, info.Since, state.Mode, info.Scenario) { Drill = true, ByOffice = true });
        return (state with { Mode = SiteMode.Normal, Lockdown = null, SirenUntil = null, AllClearApprovals = null }, null, "drill ended");
    }

    private static (SiteState, string?, string) AllClear(SiteDefinition site, SiteState state, VerifiedCommand verified, Moment now, List<DomainEvent> events)
    {
        if (state.Lockdown is not { } info || state.Mode == SiteMode.Normal)
        {
            return (state, "nothing to clear: the site is in normal mode", "");
        }

        // An all-clear ends the running scenario and every one it suspended: naming another one
        // would mean the office sees the site otherwise than it is.
        if (verified.Command.StringArgument("scenario") is { } named && named != info.Scenario)
        {
            var under = state.Suspended.Count == 0 ? "" : $" (over {string.Join(", ", state.Suspended.Select(s => $"'{s.Info.Scenario}'"))})";
            return (state, $"'{named}' is not the running scenario: '{info.Scenario}'{under} runs, and an all-clear ends it and every one it suspended", "");
        }

        // A held panic button means somebody is still in danger: an approval given now is given
        // without knowing it is over, so none is counted while one is held, and those collected
        // before go too (the press dropped them already, unless it was held through a restart).
        // Both supervisors approve again once it is released. The table's row says so.
        var row = Transitions.Find(state.Mode, Trigger.OfficeAllClear)!;
        if (row.Guard?.Invoke(site, state, new ModeRequest(verified.Command.Operator, null, info.Drill)) is { } refusal)
        {
            return (state with { AllClearApprovals = null, ApprovalsValidFrom = now }, $"{refusal}; no approval counts while it is held: approve again once it is released", "");
        }

        // Signed before the latest alert (a retrigger, a takeover, ...): the supervisor did not
        // weigh it, however late the command arrives. Judged on the office's clock against the
        // gateway's: when they disagree the gateway's running ahead refuses, the safe side. The
        // alert's time is the one by the clock now, not its stamp alone: a boot clock behind by
        // the outage stamped a press minutes early (SiteState.ApprovalsValidAt).
        // Refused alone: approvals signed after the alert stay counted.
        if (state.ApprovalsValidAt(now) is { } validFrom && verified.Command.IssuedAt < validFrom)
        {
            return (state, $"signed before the latest alert at {WireTime.Format(validFrom)}; approve again", "");
        }

        var lockdownId = $"{info.Scenario}@{info.Since:O}";
        var approvals = (state.AllClearApprovals ?? TwoPersonApproval.Start(lockdownId, site.AllClearWindow)).For(lockdownId);
        var (next, outcome) = approvals.Add(verified, now.Monotonic);
        state = state with { AllClearApprovals = next };
        if (outcome.Status == ApprovalStatus.Refused)
        {
            return (state, outcome.Detail, "");
        }

        if (outcome.Status == ApprovalStatus.Pending)
        {
            return (state, null, outcome.Detail);
        }

        // Two supervisors agree, and (checked above) no panic button is held.
        var by = string.Join('+', outcome.Approvers);
        // All clear means all: the scenarios the running one suspended end with it, the latest first.
        events.Add(new LockdownCleared(now.Utc, by, info.Since, state.Mode, info.Scenario) { Drill = info.Drill, ByOffice = true });
        for (var i = state.Suspended.Count - 1; i >= 0; i--)
        {
            var suspended = state.Suspended[i];
            events.Add(new LockdownCleared(now.Utc, by, suspended.Info.Since, suspended.Mode, suspended.Info.Scenario) { ByOffice = true });
        }

        var cleared = state with { Mode = SiteMode.Normal, Lockdown = null, SirenUntil = null, AllClearApprovals = null, Suspended = [] };
        return (CommandOrder.Ended(cleared, next.Approvals), null, $"cleared by {by}");
    }

    private static (SiteState, string?, string) SetThreatLevel(SiteDefinition site, SiteState state, CommandEnvelope command, Moment now, List<DomainEvent> events)
    {
        var level = (int)(command.IntegerArgument("level") ?? 0);
        // A site without a threatLevels section runs at the default level alone: any other was
        // answered done and saved, then dropped to the default at the next restart, silently.
        IEnumerable<int> levels = site.ThreatLevels.Count > 0 ? site.ThreatLevels.Select(t => t.Level) : [site.ThreatLevel(site.InitialThreatLevel).Level];
        if (!levels.Contains(level))
        {
            return (state, $"threat level {level} is not configured; levels: {string.Join(", ", levels)}", "");
        }

        if (level == state.ThreatLevel)
        {
            // Chosen all the same, so saved: left unchosen, the level followed the config's
            // initial one, and a later change of threatLevels.initial moved the site off the level
            // the office had just confirmed, at the next restart, silently. (A site without a
            // threatLevels section has its one level only: nothing to keep.)
            return (site.ThreatLevels.Count > 0 ? state with { ThreatLevelChosen = true } : state, null, $"threat level already {level}");
        }

        events.Add(new ThreatLevelChanged(now.Utc, state.ThreatLevel, level, command.Operator) { ByOffice = true });
        return (state with { ThreatLevel = level, ThreatLevelChosen = true }, null, $"threat level {level}");
    }
}
