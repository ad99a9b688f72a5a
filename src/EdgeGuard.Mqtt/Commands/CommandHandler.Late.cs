using EdgeGuard.Core;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

// A command that verified in time but waited past its expiry before the controller could have it:
// a journal or replay store stuck on a hung SD card, or a long queue. The office signed it for a
// moment that has passed (an evacuate signed at 10:00 for 60 s must not open doors at 10:20), so
// it is refused, answered and journaled, and the refusal is its final result.
public sealed partial class CommandHandler
{
    // Null when still valid; otherwise the refusal, already stored as the final result.
    private async Task<(CommandResultKind Result, string? Reason)?> RefuseIfExpiredAsync(VerifiedCommand command, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (!_verifier.HasExpired(command.Command, now))
        {
            return null;
        }

        var id = command.Command.Id;
        var detail = $"expired before it could be executed: valid until {WireTime.Format(command.Command.ExpiresAt)}, "
            + $"its turn came at {WireTime.Format(now)} (the journal or the queue held it up); send a new command if still wanted";
        LogExpiredBeforeExecution(id, detail);
        try
        {
            await _journal.RecordAsync(new CommandRejected(now, id, command.Command.Type, command.Command.Operator, CommandRejection.Expired, detail), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Refused all the same: not carrying it out needs no record, and the log has it.
            LogJournalFailed(id, ex);
        }

        var expired = new CommandFinal(false, $"{CommandRejection.Expired.Code()}: {detail}");
        Finish(id, expired, started: false);
        return Answer(expired);
    }
}
