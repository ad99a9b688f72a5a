using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

// Payloads handled before (a redelivery, or anyone republishing captured bytes): answered again,
// audited, never acted on.
public sealed partial class CommandHandler
{
    private RepeatAudit? _repeats;

    /// <summary>How verbatim copies are journaled under a flood: one by one up to an allowance per command, then counted.</summary>
    public RepeatAudit Repeats =>
        LazyInitializer.EnsureInitialized(ref _repeats, () => new RepeatAudit(_time, JournalRepeatSummaryAsync));

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

    // A summary of copies counted under a flood; a failing journal is logged, never thrown (a stop
    // waits for it).
    private async Task JournalRepeatSummaryAsync(CommandRepeated summary)
    {
        LogRepeatsSummed(summary.CommandId, summary.Copies);
        try
        {
            await _journal.RecordAsync(summary, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogJournalFailed(summary.CommandId, ex);
        }
    }
}
