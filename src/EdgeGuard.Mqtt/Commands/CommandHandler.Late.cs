using EdgeGuard.Core;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

// What may change while an accepted command waits for the controller (a journal or replay store
// stuck on a hung SD card, or a long queue), checked again just before it is handed over:
// - its expiry: the office signed it for a moment that has passed (an evacuate signed at 10:00
//   for 60 s must not open doors at 10:20);
// - its key: withdrawn (a stolen key revoked) or rotated, so the signature no longer speaks for a
//   trusted operator; the controller, told of the withdrawal before it sees the command, would
//   count an all-clear it signed as an approval, with nothing left to drop it. A withdrawal in
//   the instant after this check would still reach the controller first: the controller asks
//   again as it executes the command (CommandVerifier.KeyNoLongerTrusted). This check stays: it
//   answers early and spares the hand-over.
// Either way it is refused, answered and journaled, and the refusal is its final result.
public sealed partial class CommandHandler
{
    // Null when it may still be acted on; otherwise the refusal, already stored as the final result.
    private async Task<(CommandResultKind Result, string? Reason)?> RefuseIfStaleAsync(VerifiedCommand command, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (_verifier.HasExpired(command.Command, now))
        {
            var late = $"expired before it could be executed: valid until {WireTime.Format(command.Command.ExpiresAt)}, "
                + $"its turn came at {WireTime.Format(now)} (the journal or the queue held it up); send a new command if still wanted";
            return await RefuseBeforeExecutionAsync(command, CommandRejection.Expired, late, now, cancellationToken).ConfigureAwait(false);
        }

        if (_verifier.KeyWithdrawn(command) is { } withdrawn)
        {
            return await RefuseBeforeExecutionAsync(command, CommandRejection.KeyUnavailable, withdrawn, now, cancellationToken).ConfigureAwait(false);
        }

        return null;
    }

    private async Task<(CommandResultKind Result, string? Reason)> RefuseBeforeExecutionAsync(
        VerifiedCommand command, CommandRejection rejection, string detail, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var id = command.Command.Id;
        LogNotExecuted(id, detail);
        try
        {
            await _journal.RecordAsync(new CommandRejected(now, id, command.Command.Type, command.Command.Operator, rejection, detail), cancellationToken).ConfigureAwait(false);
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

        var refused = new CommandFinal(false, $"{rejection.Code()}: {detail}");
        Finish(id, refused, started: false);
        return Answer(refused);
    }
}
