using System.Collections.Immutable;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// The latest office command the gateway decided for one thing it sets (a point's bypass, the
/// threat level, the drill; the site's scenarios, ended by a two-person all-clear): a command for
/// it signed before this is refused as superseded (<see cref="CommandOrder"/>).
/// </summary>
/// <param name="Id">The command's id, named in the refusal so the office can find it.</param>
/// <param name="Type">What it asked for.</param>
/// <param name="IssuedAt">When the office signed it (its <c>issued_at</c>, the office's clock).</param>
public sealed record DecidedCommand(string Id, CommandType Type, DateTimeOffset IssuedAt);

// The order of the office's commands for the things they set. Signed commands are valid for
// their whole lifetime wherever they are delivered, so arrival order is no proof of the order
// the office meant: someone on the broker who holds one back can deliver it after a newer one.
public sealed partial record SiteState
{
    /// <summary>
    /// Per thing an office command sets (<see cref="CommandOrder.Target"/>: <c>point/{id}</c>,
    /// <c>threat-level</c>, <c>drill</c>; and <see cref="CommandOrder.ScenariosKey"/>, the
    /// all-clear that ended the scenarios), the latest command decided for it. Not persisted: it
    /// is a few entries, but a restart forgets it and <see cref="CommandsForgottenBefore"/> stands
    /// in for it, as the restart does for <see cref="ApprovalsValidFrom"/>; so no schema change.
    /// Not for the scenarios: a restart refusing every start queued across it would refuse a real one.
    /// </summary>
    public ImmutableSortedDictionary<string, DecidedCommand> LatestCommands { get; init; } =
        ImmutableSortedDictionary.Create<string, DecidedCommand>(StringComparer.Ordinal);

    /// <summary>
    /// The restart (<see cref="Restore"/>), on both clocks: what was decided before it is not
    /// saved, so any of it may be newer than a command signed before it, and a command for a
    /// thing with no entry in <see cref="LatestCommands"/> signed before it is refused as
    /// superseded (sign it again). Null for a state not made by a restore.
    /// </summary>
    public Moment? CommandsForgottenBefore { get; init; }

    /// <summary>
    /// When <see cref="CommandsForgottenBefore"/>'s restart happened, judged at
    /// <paramref name="now"/> as <see cref="ApprovalsValidAt"/> judges an alert (a boot clock behind
    /// by the outage is corrected by the monotonic time since); null when unknown.
    /// </summary>
    public DateTimeOffset? CommandsForgottenAt(Moment now) => JudgedAt(CommandsForgottenBefore, now);
}
