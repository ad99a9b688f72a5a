using System.Buffers;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>What the gateway answers first to one payload on the command topic.</summary>
/// <param name="CommandId">The id as received, or empty when none was readable.</param>
/// <param name="Result">Accepted or rejected.</param>
/// <param name="Reason">Why it was rejected; null when accepted.</param>
/// <param name="Command">The command to hand to the controller; null unless accepted <em>and</em> journaled.</param>
public sealed record CommandAttempt(string CommandId, CommandResultKind Result, string? Reason, VerifiedCommand? Command);

/// <summary>
/// The transport-free part of the command path: verify a payload, journal the attempt durably,
/// and later hand an accepted command to the executor. <see cref="CommandSubscriber"/> runs
/// <see cref="ReceiveAsync"/> before the MQTT acknowledgement and <see cref="ExecuteAsync"/> after it.
/// Never throws for anything a payload contains: every failure becomes a rejection.
/// </summary>
public sealed partial class CommandHandler(
    CommandVerifier verifier, ICommandJournal journal, ICommandExecutor executor, int maxPayloadBytes, TimeProvider time, ILogger<CommandHandler> log)
{
    private readonly CommandVerifier _verifier = verifier ?? throw new ArgumentNullException(nameof(verifier));
    private readonly ICommandJournal _journal = journal ?? throw new ArgumentNullException(nameof(journal));
    private readonly ICommandExecutor _executor = executor ?? throw new ArgumentNullException(nameof(executor));
    private readonly TimeProvider _time = time ?? throw new ArgumentNullException(nameof(time));
    private readonly ILogger<CommandHandler> _log = log ?? throw new ArgumentNullException(nameof(log));

    /// <summary>Verifies and journals one payload; completes once the attempt is durable.</summary>
    public async Task<CommandAttempt> ReceiveAsync(ReadOnlySequence<byte> payload, bool retained, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        CommandVerdict verdict;
        // Checked on the sequence, before the payload is copied or parsed: a flood of large
        // messages costs a length comparison each.
        if (payload.Length > maxPayloadBytes)
        {
            verdict = new CommandVerdict(null, CommandRejection.Oversized, "", $"payload is {payload.Length} bytes, more than {maxPayloadBytes}");
        }
        else
        {
            var bytes = payload.ToArray();
            try
            {
                verdict = _verifier.Verify(bytes, retained, now);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Only the replay store can throw (a database error). An id that could not be
                // remembered could be replayed, so the command is refused.
                LogVerifyFailed(ex);
                return new CommandAttempt(ReadableId(bytes), CommandResultKind.Rejected, "unavailable: the replay store could not be written; send again later", null);
            }

            if (verdict.Rejection is { } r && r >= CommandRejection.Retained)
            {
                // The payload parsed: the journal gets the type and operator it claims too.
                return await JournalAsync(verdict, CommandEnvelope.TryParse(bytes, out _, out _, out _), now, cancellationToken).ConfigureAwait(false);
            }
        }

        return await JournalAsync(verdict, verdict.Command?.Command, now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Hands an accepted command to the executor; the follow-up result (<c>done</c> or <c>rejected</c>).</summary>
    public async Task<(CommandResultKind Result, string? Reason)> ExecuteAsync(VerifiedCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        CommandExecution outcome;
        try
        {
            outcome = await _executor.ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogExecuteFailed(command.Command.Id, ex);
            return (CommandResultKind.Rejected, $"failed: {ex.Message}");
        }

        // A done result may carry a note (the contract allows it); a refusal always says why.
        return outcome.Done
            ? (CommandResultKind.Done, string.IsNullOrEmpty(outcome.Detail) ? null : outcome.Detail)
            : (CommandResultKind.Rejected, string.IsNullOrEmpty(outcome.Detail) ? "refused" : outcome.Detail);
    }

    /// <summary>Both steps in one (tests and the fuzzer): every result the payload gets, in order.</summary>
    public async Task<IReadOnlyList<(CommandResultKind Result, string? Reason)>> HandleAsync(ReadOnlyMemory<byte> payload, bool retained, CancellationToken cancellationToken)
    {
        var attempt = await ReceiveAsync(new ReadOnlySequence<byte>(payload), retained, cancellationToken).ConfigureAwait(false);
        var results = new List<(CommandResultKind, string?)> { (attempt.Result, attempt.Reason) };
        if (attempt.Command is { } command)
        {
            results.Add(await ExecuteAsync(command, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    private async Task<CommandAttempt> JournalAsync(CommandVerdict verdict, CommandEnvelope? claimed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        DomainEvent attempt = verdict.Command is { } accepted
            ? new CommandReceived(now, accepted.Command.Id, accepted.Command.Type, accepted.Command.Operator, accepted.Role)
            : new CommandRejected(now, verdict.CommandId, claimed?.Type, claimed?.Operator, verdict.Rejection!.Value, verdict.Detail);
        try
        {
            await _journal.RecordAsync(attempt, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not journaled means not acted on: the journal must hold every command the site obeyed.
            LogJournalFailed(verdict.CommandId, ex);
            return new CommandAttempt(verdict.CommandId, CommandResultKind.Rejected, "unavailable: the command could not be journaled, so it was not acted on", null);
        }

        if (verdict.Command is { } command)
        {
            LogAccepted(command.Command.ToString(), command.Role.ToString());
            return new CommandAttempt(verdict.CommandId, CommandResultKind.Accepted, null, command);
        }

        LogRejected(verdict.CommandId, verdict.Reason!);
        return new CommandAttempt(verdict.CommandId, CommandResultKind.Rejected, verdict.Reason, null);
    }

    private static string ReadableId(byte[] payload)
    {
        CommandEnvelope.TryParse(payload, out _, out _, out var id);
        return id;
    }

    [LoggerMessage(EventId = 330, Level = LogLevel.Information, Message = "Command accepted: {Command} (role {Role})")]
    private partial void LogAccepted(string command, string role);

    [LoggerMessage(EventId = 331, Level = LogLevel.Warning, Message = "Command '{Id}' rejected: {Reason}")]
    private partial void LogRejected(string id, string reason);

    [LoggerMessage(EventId = 332, Level = LogLevel.Error, Message = "Command '{Id}' refused because it could not be journaled")]
    private partial void LogJournalFailed(string id, Exception exception);

    [LoggerMessage(EventId = 333, Level = LogLevel.Error, Message = "Command refused because the replay store failed")]
    private partial void LogVerifyFailed(Exception exception);

    [LoggerMessage(EventId = 334, Level = LogLevel.Error, Message = "Command '{Id}' failed in the controller")]
    private partial void LogExecuteFailed(string id, Exception exception);
}
