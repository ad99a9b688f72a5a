using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// Keeping the two-person all-clear to trusted operators: an operator's key withdrawn (its file
// gone or spoilt) or rotated (its file holds a new key) takes their pending approval with it.
public sealed partial class SiteController
{
    /// <summary>
    /// Drops <paramref name="operator"/>'s pending all-clear approval, if any: their key file was
    /// given a new key (OperatorKeyFiles' re-check), so an approval the old, perhaps stolen, key
    /// signed must not be completed by a second supervisor. Callable from any thread; never blocks.
    /// </summary>
    public void WithdrawApprovalOf(string @operator) => _channel.Writer.TryWrite(new KeyRotatedMessage(@operator));

    // An operator's key reported unusable (OperatorKeyFiles: at start, or withdrawn by its
    // re-check) takes their pending all-clear approval with it. Before boot there is none.
    private void WithdrawApprovals(IReadOnlyList<DomainEvent> reported, Moment now, List<DomainEvent> events)
    {
        foreach (var fault in reported.OfType<Core.Commands.OperatorKeyFault>())
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

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "The pending all-clear approval of operator '{Operator}' is dropped: their key was withdrawn or replaced, and the approval may have been signed with the old key. A second supervisor's approval now counts as a first; '{Operator}' approves again with the new key")]
    private partial void LogApprovalDropped(string @operator);
}
