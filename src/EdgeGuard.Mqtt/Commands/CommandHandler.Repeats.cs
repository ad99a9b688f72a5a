using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

// Payloads handled before (a redelivery, or anyone republishing captured bytes): answered again,
// audited, never acted on.
public sealed partial class CommandHandler
{
    private RepeatAudit? _repeats;

    /// <summary>How verbatim copies are journaled under a flood: one by one up to an allowance per command, then counted.</summary>
    public RepeatAudit Repeats =>
        LazyInitializer.EnsureInitialized(ref _repeats, () => new RepeatAudit(_time, JournalRepeatSummariesAsync));

    /// <summary>A payload handled before: answered again (the final result, or accepted while it runs), audited, never acted on.</summary>
    private async Task<CommandAttempt> RepeatAsync(VerifiedCommand command, CommandFinal? final, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (result, reason) = final is null ? (CommandResultKind.Accepted, null) : Answer(final);
        var id = command.Command.Id;
        var copy = new CommandRepeated(now, id, command.Command.Type, command.Command.Operator, CommandResultPayload.Wire(result), reason);
        if (!Repeats.Admit(copy, command.Command.ExpiresAt))
        {
            // A flood of copies: answered at once, counted for a summary (RepeatAudit), no journal
            // record nor log line of its own.
            return new CommandAttempt(id, result, reason, null);
        }

        try
        {
            await _journal.RecordAsync(copy, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Answered all the same: a repeat changes nothing, and its first delivery is journaled.
            LogJournalFailed(id, ex);
        }

        LogRepeated(id, CommandResultPayload.Wire(result));
        return new CommandAttempt(id, result, reason, null);
    }

    // Summaries of copies counted under a flood: all queued, then one bounded wait for the flush
    // that covers them (everything published before it), so a stop on a hung card waits 5 s once,
    // not 5 s per command. A failing journal is logged, never thrown (a stop waits for it).
    private async Task JournalRepeatSummariesAsync(IReadOnlyList<CommandRepeated> summaries)
    {
        if (summaries.Count == 0)
        {
            return;
        }

        var last = summaries[^1];
        try
        {
            foreach (var summary in summaries)
            {
                LogRepeatsSummed(summary.CommandId, summary.Copies);
                if (!ReferenceEquals(summary, last))
                {
                    _journal.Enqueue(summary);
                }
            }

            await _journal.RecordAsync(last, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogJournalFailed(last.CommandId, ex);
        }
    }
}
