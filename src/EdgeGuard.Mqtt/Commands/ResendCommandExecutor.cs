using System.Globalization;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>
/// Carries out the office's <c>resend</c> command on the publisher (it changes nothing on site, so
/// the controller never sees it) and hands every other command to <paramref name="next"/>. Like
/// the controller's commands, the outcome is journaled (<c>command.done</c> or
/// <c>command.refused</c>) before it is answered. <c>done</c> means the resend has started, below
/// the live stream: the office sees it end with a <c>resend.ended</c> event carrying its id,
/// done or cut short (a broken link ends it early, not resumed). It also carries out
/// <c>heard</c>: the office's word that it has every event through a seq, which trims
/// <c>state/delivery</c>'s unheard range (nothing else does).
/// </summary>
/// <param name="publisher">The publisher whose stream carries the resent events.</param>
/// <param name="journal">Where the outcome is journaled.</param>
/// <param name="next">Every other command: the controller.</param>
/// <param name="time">Clock for the journaled outcome.</param>
public sealed class ResendCommandExecutor(OutboxPublisher publisher, ICommandJournal journal, ICommandExecutor next, TimeProvider time) : ICommandExecutor
{
    private readonly OutboxPublisher _publisher = publisher ?? throw new ArgumentNullException(nameof(publisher));
    private readonly ICommandJournal _journal = journal ?? throw new ArgumentNullException(nameof(journal));
    private readonly ICommandExecutor _next = next ?? throw new ArgumentNullException(nameof(next));
    private readonly TimeProvider _time = time ?? throw new ArgumentNullException(nameof(time));

    /// <inheritdoc />
    public async Task<CommandExecution> ExecuteAsync(VerifiedCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var envelope = command.Command;
        if (envelope.Type == CommandType.Heard)
        {
            return await HeardAsync(envelope, cancellationToken).ConfigureAwait(false);
        }

        if (envelope.Type != CommandType.Resend)
        {
            return await _next.ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
        }

        // The verifier checked both are integers of at least 1 (CommandTypes.Table).
        var from = ((JsonIntegerItem)envelope.Args.Members["from"]).Value;
        var to = ((JsonIntegerItem)envelope.Args.Members["to"]).Value;
        var problem = _publisher.StartResend(envelope.Id, from, to);
        var detail = problem ?? string.Create(
            CultureInfo.InvariantCulture,
            $"resending seqs {from} to {to} below the live stream, each replayed with resend {envelope.Id}; a lost link ends it (not resumed)");
        DomainEvent outcome = problem is null
            ? new CommandDone(_time.GetUtcNow(), envelope.Id, envelope.Type, envelope.Operator, detail)
            : new CommandRefused(_time.GetUtcNow(), envelope.Id, envelope.Type, envelope.Operator, problem);
        await RecordAsync(outcome, cancellationToken).ConfigureAwait(false);
        return new CommandExecution(problem is null, detail);
    }

    // The office's word that it has every event through a seq: the only thing that trims the
    // unheard range. Always done (a seq below the range, or no range, changes nothing); the
    // detail says what state/delivery shows now.
    private async Task<CommandExecution> HeardAsync(CommandEnvelope envelope, CancellationToken cancellationToken)
    {
        var through = ((JsonIntegerItem)envelope.Args.Members["through"]).Value;
        var changed = _publisher.MarkHeard(through);
        var left = _publisher.Unheard is { } range
            ? string.Create(CultureInfo.InvariantCulture, $"unheard {(changed ? "now" : "still")} seqs {range.FromSeq} to {range.ThroughSeq}")
            : "nothing unheard";
        var detail = string.Create(CultureInfo.InvariantCulture, $"the office has every event through seq {through}: {left}");
        await RecordAsync(new CommandDone(_time.GetUtcNow(), envelope.Id, envelope.Type, envelope.Operator, detail), cancellationToken).ConfigureAwait(false);
        return new CommandExecution(true, detail);
    }

    // The outcome is journaled after it took effect (events are being re-sent, the range trimmed):
    // a record that outlasts the flush bound stays queued and is written when the disk answers,
    // so the answer is what happened, not "failed". Other journal faults still throw.
    private async Task RecordAsync(DomainEvent outcome, CancellationToken cancellationToken)
    {
        try
        {
            await _journal.RecordAsync(outcome, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
    }
}
