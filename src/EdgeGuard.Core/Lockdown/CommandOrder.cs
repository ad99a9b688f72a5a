using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// Refuses an office command signed before the latest one decided for the same thing
/// (<see cref="SiteState.LatestCommands"/>): a point's bypass and unbypass, the threat level, the
/// drill's start and stop. Lockdown, evacuate, shelter and all-clear keep their own rules (the
/// transition table's ranks, the two-person all-clear signed after the latest alert); acknowledge
/// has its own (the latest alert by the journal's order). Part of <see cref="SiteDecider"/>: pure.
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
/// newer one the restart forgot, and the office is answered and can sign again.
/// </remarks>
internal static class CommandOrder
{
    /// <summary>The thing <paramref name="command"/> sets (its key and its name for people), or null.</summary>
    public static (string Key, string Name)? Target(CommandEnvelope command) => command.Type switch
    {
        CommandType.Bypass or CommandType.Unbypass => Argument(command, "point") is { } point ? ($"point/{point}", $"point '{point}'") : null,
        CommandType.SetThreatLevel => ("threat-level", "the threat level"),
        CommandType.DrillStart or CommandType.DrillStop => ("drill", "the drill"),
        _ => null,
    };

    /// <summary>The refusal for a command signed before the latest decided for its thing, or null.</summary>
    public static string? Superseded(SiteState state, CommandEnvelope command, Moment now)
    {
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

    private static bool AlreadyHolds(SiteDefinition site, SiteState state, CommandEnvelope command) => command.Type switch
    {
        CommandType.Unbypass => Argument(command, "point") is { } point && site.FindPoint(point) is not null && !state.Bypasses.ContainsKey(point),
        CommandType.DrillStop => state.Mode == SiteMode.Normal || state.Lockdown is not { Drill: true },
        _ => false,
    };

    private static string? Argument(CommandEnvelope command, string name) =>
        command.Args.Members.TryGetValue(name, out var item) && item is JsonStringItem { Value: var text } ? text : null;
}
