using System.Collections.Immutable;

namespace EdgeGuard.Core.Commands;

/// <summary>Where a remote all-clear stands.</summary>
public enum ApprovalStatus
{
    /// <summary>Counted; a second, different supervisor is still needed.</summary>
    Pending,
    /// <summary>Two different supervisors approved within the window: the lockdown may be lifted.</summary>
    Done,
    /// <summary>Not counted (not an all-clear, not a supervisor, the same person again).</summary>
    Refused,
}

/// <summary>What <see cref="TwoPersonApproval.Add"/> decided.</summary>
/// <param name="Status">Pending, done or refused.</param>
/// <param name="Detail">A sentence for the command result and the journal.</param>
/// <param name="Approvers">The operators whose approvals count now (both when done).</param>
public sealed record ApprovalOutcome(ApprovalStatus Status, string Detail, ImmutableArray<string> Approvers);

/// <summary>One counted approval: who, which command, when it arrived (monotonic), and when it was signed.</summary>
/// <param name="Operator">The supervisor who signed it.</param>
/// <param name="CommandId">The all-clear command's id.</param>
/// <param name="At">When it arrived, monotonic: the window is judged on this.</param>
/// <param name="IssuedAt">
/// When the office signed it (its <c>issued_at</c>): the all-clear that completes the rule
/// supersedes scenario commands signed before every approval counted (<c>CommandOrder</c>).
/// </param>
public sealed record Approval(string Operator, string CommandId, TimeSpan At, DateTimeOffset IssuedAt);

/// <summary>
/// The two-person rule for lifting a lockdown remotely (like the Bosch "two man rule" and the
/// DSC second code within 120 s): signed all-clear commands from two <em>different</em>
/// supervisors, both within <see cref="Window"/>. One approval alone, or the same supervisor
/// twice, never lifts it. Immutable and bound to one lockdown: approvals collected for a
/// lockdown that has since ended or been replaced count for nothing (see <see cref="For"/>).
/// Times are monotonic (<see cref="Moment.Monotonic"/>) so a wall-clock jump cannot stretch the window.
/// </summary>
public sealed record TwoPersonApproval
{
    /// <summary>Default window between the first and second approval.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromSeconds(120);

    private TwoPersonApproval(string lockdownId, TimeSpan window, ImmutableArray<Approval> approvals)
    {
        LockdownId = lockdownId;
        Window = window;
        Approvals = approvals;
    }

    /// <summary>Identifies the lockdown being lifted (e.g. scenario and start time); set by the controller.</summary>
    public string LockdownId { get; }

    /// <summary>Both approvals must fall within this span.</summary>
    public TimeSpan Window { get; }

    /// <summary>Approvals counted so far (at most one per supervisor).</summary>
    public ImmutableArray<Approval> Approvals { get; }

    /// <summary>No approvals yet for <paramref name="lockdownId"/>.</summary>
    public static TwoPersonApproval Start(string lockdownId, TimeSpan? window = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(lockdownId);
        var span = window ?? DefaultWindow;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(span, TimeSpan.Zero, nameof(window));
        return new(lockdownId, span, []);
    }

    /// <summary>This collection if it is for <paramref name="lockdownId"/>, else a fresh one: a new lockdown starts from zero.</summary>
    public TwoPersonApproval For(string lockdownId) =>
        lockdownId == LockdownId ? this : Start(lockdownId, Window);

    /// <summary>Counts <paramref name="command"/> at monotonic time <paramref name="now"/>.</summary>
    public (TwoPersonApproval Next, ApprovalOutcome Outcome) Add(VerifiedCommand command, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (command.Command.Type != CommandType.AllClear)
        {
            return (this, Outcome(ApprovalStatus.Refused, $"'{CommandTypes.Wire(command.Command.Type)}' is not an all-clear", Approvals));
        }

        // Checked again here although the role table already says so: this is the rule that
        // stands between one stolen key and an unlocked embassy.
        if (command.Role != OperatorRole.Supervisor)
        {
            return (this, Outcome(ApprovalStatus.Refused, $"'{command.Command.Operator}' is not a supervisor", Approvals));
        }

        var live = Approvals.RemoveAll(a => now - a.At > Window);
        var by = command.Command.Operator;
        if (live.Any(a => a.Operator == by))
        {
            // Refused, and the earlier approval keeps its time: re-sending cannot extend the window.
            var same = new TwoPersonApproval(LockdownId, Window, live);
            return (same, Outcome(ApprovalStatus.Refused, $"'{by}' has already approved; a different supervisor must approve", live));
        }

        var next = new TwoPersonApproval(LockdownId, Window, live.Add(new Approval(by, command.Command.Id, now, command.Command.IssuedAt)));
        if (next.Approvals.Length >= 2)
        {
            // Done is final for this lockdown: the controller lifts it and drops this record.
            return (next, Outcome(ApprovalStatus.Done, $"approved by {string.Join(" and ", next.Approvals.Select(a => a.Operator))}", next.Approvals));
        }

        return (next, Outcome(ApprovalStatus.Pending, $"approved by '{by}'; a second supervisor must approve within {Window.TotalSeconds:0} s", next.Approvals));
    }

    /// <summary>
    /// This collection without <paramref name="operator"/>'s approval: their key is no longer
    /// trusted, so their approval must not be the one that completes the two-person rule.
    /// </summary>
    public TwoPersonApproval Without(string @operator) =>
        Approvals.Any(a => a.Operator == @operator) ? new(LockdownId, Window, Approvals.RemoveAll(a => a.Operator == @operator)) : this;

    private static ApprovalOutcome Outcome(ApprovalStatus status, string detail, ImmutableArray<Approval> approvals) =>
        new(status, detail, [.. approvals.Select(a => a.Operator)]);
}
