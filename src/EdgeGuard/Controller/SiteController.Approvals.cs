using EdgeGuard.Core;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// Keeping office commands to trusted operators: an operator's key withdrawn (its file gone or
// spoilt) or rotated (its file holds a new key) takes their pending all-clear approval with it,
// and a command that key verified is refused when its turn comes, not carried out nor counted.
public sealed partial class SiteController
{
    // Set once by the host's composition, before any command can reach the loop; null (tests,
    // a gateway without office commands) trusts each command's key as verified.
    private volatile Func<VerifiedCommand, string?>? _keyNoLongerTrusted;

    /// <summary>
    /// Has the loop ask <paramref name="keyNoLongerTrusted"/> (the verifier's
    /// <c>KeyNoLongerTrusted</c>) as it executes each command: why the key that verified it is no
    /// longer trusted, or null. Must not block: it runs on the loop. Call before the first command.
    /// </summary>
    public void RefuseWithdrawnKeys(Func<VerifiedCommand, string?> keyNoLongerTrusted) =>
        _keyNoLongerTrusted = keyNoLongerTrusted ?? throw new ArgumentNullException(nameof(keyNoLongerTrusted));

    /// <summary>
    /// Drops <paramref name="operator"/>'s pending all-clear approval, if any: their key file was
    /// given a new key (OperatorKeyFiles' re-check), so an approval the old, perhaps stolen, key
    /// signed must not be completed by a second supervisor. Callable from any thread; never blocks.
    /// </summary>
    public void WithdrawApprovalOf(string @operator) => _channel.Writer.TryWrite(new KeyRotatedMessage(@operator));

    // The handler checked the key just before the hand-over, but a withdrawal in between reaches
    // this loop first (the key lookup drops the key, then tells the loop): with no approval of that
    // operator's to drop yet, the command would then be carried out, an all-clear counted as an
    // approval. Asked here, as the loop executes it, whatever withdrawal the loop has been told of
    // is seen; one after this reaches the loop behind the command and drops what it counted.
    private CommandOutcome? RefusedForItsKey(OfficeCommandInput input, Moment now, List<DomainEvent> events)
    {
        if (_keyNoLongerTrusted?.Invoke(input.Command) is not { } withdrawn)
        {
            return null;
        }

        // Worded as the handler's refusal (code: detail), journaled as the command's final event.
        var command = input.Command.Command;
        var reason = $"{CommandRejection.KeyUnavailable.Code()}: {withdrawn}";
        events.Add(new CommandRefused(now.Utc, command.Id, command.Type, command.Operator, reason));
        LogKeyWithdrawnBeforeExecution(command.Id, command.Operator);
        return new CommandOutcome(false, reason);
    }

    // The commands whose all-clear approvals are counted now, by id: the key each was verified
    // with, asked again before a second approval could lift the scenario.
    private readonly Dictionary<string, VerifiedCommand> _approvedWith = new(StringComparer.Ordinal);

    // Before an all-clear: a counted approval whose key the lookup has withdrawn or replaced is
    // dropped, even if the loop has not been told yet (the lookup drops the key, then tells the
    // loop; the second approval can come in between). Dropped as a reported withdrawal would.
    private void DropApprovalsOfWithdrawnKeys(OfficeCommandInput input, Moment now, List<DomainEvent> events)
    {
        if (input.Command.Command.Type != CommandType.AllClear || _keyNoLongerTrusted is not { } judge
            || _state is not { AllClearApprovals: { } approvals })
        {
            return;
        }

        foreach (var approval in approvals.Approvals)
        {
            if (_approvedWith.TryGetValue(approval.CommandId, out var signed) && judge(signed) is not null)
            {
                WithdrawApproval(approval.Operator, now, events);
            }
        }
    }

    // After an all-clear was decided: remembers its command if it was counted, and forgets those
    // no longer counted (expired, dropped, the scenario ended), so this holds two or three at most.
    private void NoteApprovals(OfficeCommandInput input)
    {
        if (input.Command.Command.Type != CommandType.AllClear)
        {
            return;
        }

        var counted = _state.AllClearApprovals?.Approvals ?? [];
        if (counted.Any(a => a.CommandId == input.Command.Command.Id))
        {
            _approvedWith[input.Command.Command.Id] = input.Command;
        }

        foreach (var id in _approvedWith.Keys.Where(id => !counted.Any(a => a.CommandId == id)).ToList())
        {
            _approvedWith.Remove(id);
        }
    }

    // An operator's key reported unusable (OperatorKeyFiles: at start, or withdrawn by its
    // re-check) takes their pending all-clear approval with it. Before boot there is none.
    private void WithdrawApprovals(IReadOnlyList<DomainEvent> reported, Moment now, List<DomainEvent> events)
    {
        foreach (var fault in reported.OfType<OperatorKeyFault>())
        {
            WithdrawApproval(fault.Operator, now, events);
        }
    }

    private void WithdrawApproval(string @operator, Moment now, List<DomainEvent> events)
    {
        if (_state is not { AllClearApprovals: { } approvals } || !approvals.Approvals.Any(a => a.Operator == @operator))
        {
            return;
        }

        Apply(new OperatorKeyWithdrawn(@operator), now, events);
        // No event type says "approval dropped", and the office already hears of a withdrawn key
        // (fault.operator-key); a rotation is not a fault. The log says why the count restarted.
        LogApprovalDropped(@operator);
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Office command {CommandId} is not executed: the key of operator '{Operator}' that verified it was withdrawn or replaced after the command handler's check")]
    private partial void LogKeyWithdrawnBeforeExecution(string commandId, string @operator);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "The pending all-clear approval of operator '{Operator}' is dropped: their key was withdrawn or replaced, and the approval may have been signed with the old key. A second supervisor's approval now counts as a first; '{Operator}' approves again with the new key")]
    private partial void LogApprovalDropped(string @operator);
}
