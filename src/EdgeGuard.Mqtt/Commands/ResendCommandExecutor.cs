using System.Globalization;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
/// <param name="log">Gets an error when the outcome of one carried out could not be journaled.</param>
public sealed partial class ResendCommandExecutor(
    OutboxPublisher publisher, ICommandJournal journal, ICommandExecutor next, TimeProvider time, ILogger<ResendCommandExecutor>? log = null) : ICommandExecutor
{
    private readonly OutboxPublisher _publisher = publisher ?? throw new ArgumentNullException(nameof(publisher));
    private readonly ICommandJournal _journal = journal ?? throw new ArgumentNullException(nameof(journal));
    private readonly ICommandExecutor _next = next ?? throw new ArgumentNullException(nameof(next));
    private readonly TimeProvider _time = time ?? throw new ArgumentNullException(nameof(time));
    private readonly ILogger<ResendCommandExecutor> _log = log ?? NullLogger<ResendCommandExecutor>.Instance;

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

    // The outcome is journaled after it took effect (events are being re-sent, the range trimmed),
    // so the answer is what happened, never "failed": that answer was stored as the command's final
    // result while the resend ran. A record that outlasts the flush bound stays queued and is
    // written when the disk answers; one the journal failed to write (an I/O error) is logged, and
    // the journal's write failure is the journal's own fault to report. A stop's cancellation
    // still throws: the handler answers "interrupted", which is true of a resend cut short.
    private async Task RecordAsync(DomainEvent outcome, CancellationToken cancellationToken)
    {
        try
        {
            await _journal.RecordAsync(outcome, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogOutcomeNotJournaled(outcome.Type, ex);
        }
    }

    [LoggerMessage(EventId = 369, Level = LogLevel.Error, Message = "An office command was carried out but its {Outcome} could not be journaled; answered done all the same, since it took effect")]
    private partial void LogOutcomeNotJournaled(string outcome, Exception exception);
}
