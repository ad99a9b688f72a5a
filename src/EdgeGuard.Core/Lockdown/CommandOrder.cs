using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// Refuses an office command signed before the latest one decided for the same thing
/// (<see cref="SiteState.LatestCommands"/>): a point's bypass and unbypass, the threat level, the
/// drill's start and stop; and a scenario start (lockdown, evacuate, shelter, drill start) signed
/// before the two-person all-clear that has since ended the site's scenarios (<see cref="Ended"/>).
/// Otherwise lockdown, evacuate, shelter and all-clear keep their own rules (the transition
/// table's ranks, the two-person all-clear signed after the latest alert); acknowledge has its own
/// (the latest alert by the journal's order). Part of <see cref="SiteDecider"/>: pure.
/// </summary>
/// <remarks>
/// <c>issued_at</c> is compared with <c>issued_at</c>, both the office's clock, so the gateway's
/// clock plays no part, except against the restart (<see cref="SiteState.CommandsForgottenAt"/>).
/// Two office consoles whose clocks disagree can refuse a command sent just after the other's:
/// the refusal names the newer one's time, and the command signed again after it is carried out.
/// Only strictly older is refused: the same millisecond gives no order to go by. Against the
/// restart, a gateway clock ahead of the office's refuses a command signed just after it, until
/// the office's clock passes the restart's time the refusal names. Not the safe side for every
/// command: a refused unbypass leaves the point bypassed, a refused raise of the threat level the
/// perimeter unarmed, until the office signs again. Accepted: a held-back command must not undo a
/// newer one the restart forgot, and the office is answered and can sign again. Scenario starts
/// have no such floor: refusing every lockdown queued across a reboot would refuse a real one, so
/// one signed before an all-clear the restart forgot is still obeyed (residual).
/// </remarks>
internal static class CommandOrder
{
    /// <summary>The site's scenarios in <see cref="SiteState.LatestCommands"/>: the all-clear that ended them.</summary>
    public const string ScenariosKey = "scenarios";

    /// <summary>The thing <paramref name="command"/> sets (its key and its name for people), or null.</summary>
    public static (string Key, string Name)? Target(CommandEnvelope command) => command.Type switch
    {
        CommandType.Bypass or CommandType.Unbypass => command.StringArgument("point") is { } point ? ($"point/{point}", $"point '{point}'") : null,
        CommandType.SetThreatLevel => ("threat-level", "the threat level"),
        CommandType.DrillStart or CommandType.DrillStop => ("drill", "the drill"),
        CommandType.TechnicianAccess or CommandType.TechnicianAccessEnd => ("technician-access", "technician access"),
        _ => null,
    };

    /// <summary>The refusal for a command signed before the latest decided for its thing, or null.</summary>
    /// <param name="state">The site state, holding the latest decided commands.</param>
    /// <param name="command">The command to judge.</param>
    /// <param name="now">The decision's moment.</param>
    /// <param name="clockSkew">
    /// How far an office console's clock may be from the gateway's (the verifier's allowance, so two
    /// consoles may be twice that apart): a scenario start is refused only when signed more than twice
    /// that before the all-clear, so a real lockdown sent just after it from a console running behind
    /// the approver's is never refused. A start held back for less is obeyed: the safe side.
    /// </param>
    public static string? Superseded(SiteState state, CommandEnvelope command, Moment now, TimeSpan clockSkew)
    {
        // Before the drill's own order: a drill start is a scenario start too, and the all-clear
        // that ended a real lockdown ended whatever the office had asked for before it.
        if (StartsScenario(command.Type) && state.LatestCommands.TryGetValue(ScenariosKey, out var clear)
            && command.IssuedAt + (2 * clockSkew) < clear.IssuedAt)
        {
            return $"superseded: signed at {WireTime.Format(command.IssuedAt)}, before the all-clear {clear.Id} signed at {WireTime.Format(clear.IssuedAt)}, "
                + "the first approval of the two that ended the scenarios running then; sign it again if it is still wanted";
        }

        if (Target(command) is not { } target)
        {
            return null;
        }

        var signed = command.IssuedAt;
        if (state.LatestCommands.TryGetValue(target.Key, out var latest))
        {
            return signed < latest.IssuedAt
                ? $"superseded: signed at {WireTime.Format(signed)}, before the {CommandTypes.Wire(latest.Type)} {latest.Id} of {target.Name} "
                    + $"signed at {WireTime.Format(latest.IssuedAt)}, which this gateway has decided; sign it again if it is still wanted"
                : null;
        }

        return state.CommandsForgottenAt(now) is { } restart && signed < restart
            ? $"superseded: signed at {WireTime.Format(signed)}, before this gateway's restart at {WireTime.Format(restart)}, "
                + $"which forgot what it had decided for {target.Name}; sign it again if it is still wanted"
            : null;
    }

    /// <summary>
    /// <paramref name="after"/> with <paramref name="command"/> as the latest decided for its thing
    /// when it was carried out (<paramref name="done"/>), or refused only because what it asks for
    /// already holds (an unbypass of a configured point not bypassed, a drill stop with no drill
    /// running): that is the office's newer word too, and an older bypass or drill start held back
    /// past it must not undo it. A command refused for what it asks (an end already past, a level
    /// not configured) says nothing newer and changes nothing.
    /// </summary>
    public static SiteState Record(SiteDefinition site, SiteState before, SiteState after, CommandEnvelope command, bool done)
    {
        if (Target(command) is not { } target || !(done || AlreadyHolds(site, before, command)))
        {
            return after;
        }

        return after with { LatestCommands = after.LatestCommands.SetItem(target.Key, new DecidedCommand(command.Id, command.Type, command.IssuedAt)) };
    }

    /// <summary>
    /// <paramref name="cleared"/> with the two-person all-clear that ended its scenarios, counted
    /// by <paramref name="approvals"/>, as the office's latest word on them: a scenario start
    /// signed before it and held back past it must not start again what the office ended. Its time
    /// is the earliest approval's: one signed between the two approvals was not weighed by the
    /// first supervisor, and delivered in time it would have voided that approval, so it is obeyed.
    /// Only a completed all-clear counts: one approval ends nothing, and one refused because
    /// nothing runs is one supervisor's word, which must not stop another's lockdown.
    /// </summary>
    public static SiteState Ended(SiteState cleared, IEnumerable<Approval> approvals)
    {
        var first = approvals.MinBy(a => a.IssuedAt);
        if (first is null || (cleared.LatestCommands.TryGetValue(ScenariosKey, out var known) && known.IssuedAt >= first.IssuedAt))
        {
            return cleared;
        }

        return cleared with { LatestCommands = cleared.LatestCommands.SetItem(ScenariosKey, new DecidedCommand(first.CommandId, CommandType.AllClear, first.IssuedAt)) };
    }

    private static bool StartsScenario(CommandType type) =>
        type is CommandType.Lockdown or CommandType.Evacuate or CommandType.Shelter or CommandType.DrillStart;

    private static bool AlreadyHolds(SiteDefinition site, SiteState state, CommandEnvelope command) => command.Type switch
    {
        CommandType.Unbypass => command.StringArgument("point") is { } point && site.FindPoint(point) is not null && !state.Bypasses.ContainsKey(point),
        CommandType.DrillStop => state.Mode == SiteMode.Normal || state.Lockdown is not { Drill: true },
        CommandType.TechnicianAccessEnd => state.TechnicianAccess is null,
        _ => false,
    };
}
