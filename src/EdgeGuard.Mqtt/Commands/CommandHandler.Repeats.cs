using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

// Payloads handled before (a redelivery, or anyone republishing captured bytes): answered again,
// audited, never acted on.
public sealed partial class CommandHandler
{
    /// <summary>A payload handled before: answered again (the final result, or accepted while it runs), audited, never acted on.</summary>
    private async Task<CommandAttempt> RepeatAsync(VerifiedCommand command, CommandFinal? final, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (result, reason) = final is null ? (CommandResultKind.Accepted, null) : Answer(final);
        var id = command.Command.Id;
        try
        {
            await _journal.RecordAsync(new CommandRepeated(now, id, command.Command.Type, command.Command.Operator, CommandResultPayload.Wire(result), reason), cancellationToken).ConfigureAwait(false);
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
}
