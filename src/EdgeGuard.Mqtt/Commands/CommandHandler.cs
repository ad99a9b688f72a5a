using System.Buffers;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>What the gateway answers first to one payload on the command topic.</summary>
/// <param name="CommandId">The id as received, or empty when none was readable.</param>
/// <param name="Result">Accepted or rejected; for a repeat of a finished command, its final result.</param>
/// <param name="Reason">Why it was rejected (or the final result's note); null when accepted.</param>
/// <param name="Command">The command to hand to the controller; null unless accepted <em>and</em> journaled <em>and</em> not already queued.</param>
public sealed record CommandAttempt(string CommandId, CommandResultKind Result, string? Reason, VerifiedCommand? Command);

/// <summary>
/// The transport-free part of the command path: verify a payload, journal the attempt durably,
/// and later hand an accepted command to the executor. <see cref="CommandSubscriber"/> runs
/// <see cref="ReceiveAsync"/> before the MQTT acknowledgement and <see cref="ExecuteAsync"/> after it.
/// Never throws for anything a payload contains: every failure becomes a rejection.
/// </summary>
/// <remarks>
/// An idempotent receiver: QoS 1 is at least once, so the same payload may arrive again (the
/// PUBACK was lost with the link, or a stop or crash came before it). The replay store remembers
/// each authentic payload's hash and final result, and this handler which commands are queued or
/// executing in this process; a repeat is answered, never executed twice (see <see cref="ISeenCommandIds"/>).
/// </remarks>
public sealed partial class CommandHandler(
    CommandVerifier verifier, ICommandJournal journal, ICommandExecutor executor, int maxPayloadBytes, TimeProvider time, ILogger<CommandHandler> log)
{
    private readonly CommandVerifier _verifier = verifier ?? throw new ArgumentNullException(nameof(verifier));
    private readonly ICommandJournal _journal = journal ?? throw new ArgumentNullException(nameof(journal));
    private readonly ICommandExecutor _executor = executor ?? throw new ArgumentNullException(nameof(executor));
    private readonly TimeProvider _time = time ?? throw new ArgumentNullException(nameof(time));
    private readonly ILogger<CommandHandler> _log = log ?? throw new ArgumentNullException(nameof(log));

    // Commands accepted by this process and not finished: null while queued or executing, the final
    // result once finished if the replay store could not be written (so a redelivery in this process
    // still gets it). One lock over the store's verdict and this map, so a command finishing
    // concurrently is seen either as still queued or executing or as finished, never as neither;
    // and a "started" row with no entry here can only be an earlier run's.
    private readonly Dictionary<string, CommandFinal?> _inFlight = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    // Turns commands refused for their times into one fault.clock per episode. Under _gate.
    private readonly CommandClockWatch _clock = new();
    private RejectionAudit? _rejections;

    /// <summary>How rejections are journaled under a flood: one by one up to an allowance, then counted.</summary>
    public RejectionAudit Rejections =>
        LazyInitializer.EnsureInitialized(ref _rejections, () => new RejectionAudit(_time, JournalSummaryAsync));

    /// <summary>
    /// Where the command path's attempts are journaled; the subscriber journals its connection's
    /// news (<c>fault.session-taken-over</c>, <c>command.session-lost</c>) there too.
    /// </summary>
    public ICommandJournal Journal => _journal;

    /// <summary>Commands accepted and not yet finished in this process (tests and diagnostics).</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count(e => e.Value is null);
            }
        }
    }

    /// <summary>Lockdowns carried out without the replay store's record, not yet handed to it (tests and diagnostics).</summary>
    public int Unrecorded => _verifier.Unrecorded.Count;

    /// <summary>Verifies and journals one payload; completes once the attempt is durable.</summary>
    public async Task<CommandAttempt> ReceiveAsync(ReadOnlySequence<byte> payload, bool retained, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var recording = _time.GetTimestamp(); // a lockdown's recording deadline counts from here
        // Checked on the sequence, before the payload is copied or parsed: a flood of large
        // messages costs a length comparison each.
        if (payload.Length > maxPayloadBytes)
        {
            var oversized = new CommandVerdict(null, CommandRejection.Oversized, "", $"payload is {payload.Length} bytes, more than {maxPayloadBytes}");
            return await JournalAsync(oversized, null, now, cancellationToken).ConfigureAwait(false);
        }

        var bytes = payload.ToArray();
        CommandVerdict verdict;
        DomainEvent? clockEvent;
        CommandFinal? queuedHere = null;
        var isQueuedHere = false;
        try
        {
            lock (_gate)
            {
                verdict = _verifier.Verify(bytes, retained, now, RecordingWaitLeft(recording));
                clockEvent = ObserveClock(ref verdict, now);
                if (verdict.Command is { } command)
                {
                    isQueuedHere = _inFlight.TryGetValue(command.Command.Id, out queuedHere);
                    if (!isQueuedHere)
                    {
                        _inFlight.Add(command.Command.Id, null);
                        RememberPayloadLocked(command, bytes);
                    }
                    else if (verdict is { Unrecorded: true, StoreFailure: not null })
                    {
                        // Kept in memory just now, but this process runs it from the store's record:
                        // its start and finish stay the store's (see UnrecordedCommands).
                        _verifier.Unrecorded.Forget(command.Command.Id);
                    }
                    else if (queuedHere is { } refusal)
                    {
                        // A refusal the store could not keep (never handed to the controller): stored
                        // now if the disk answers, or after a restart a valid copy would be executed.
                        TryStore(command.Command.Id, refusal, started: false);
                    }
                }
                else if (verdict is { Started: true, Repeat: { } started })
                {
                    // Handed to the controller and not finished. Executing here: a copy gets
                    // "accepted" (its result follows), and the real result is what the store
                    // keeps. Nothing here has it: an earlier run's stop deadline or crash cut it
                    // short, so "interrupted" is its answer from now on, stored.
                    isQueuedHere = _inFlight.TryGetValue(started.Command.Command.Id, out queuedHere);
                    if (!isQueuedHere)
                    {
                        _verifier.Finish(started.Command.Command.Id, started.Final);
                    }
                    else if (queuedHere is { } kept)
                    {
                        // Ran to the end, result not stored: stored now if the disk answers, or after
                        // a restart the command would be called interrupted.
                        TryStore(started.Command.Command.Id, kept, started: true);
                    }
                }

                if ((verdict.Command is not null || verdict.Repeat is not null) && !verdict.Unrecorded && verdict.StoreFailure is null && !verdict.OnlyRead)
                {
                    // The store just answered: results it could not take earlier are stored now.
                    // Not when the answer came from memory or a read (the store was not asked, or hangs).
                    StoreUnstoredResultsLocked();
                }
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Only the replay store can throw (a database error). An id that could not be
            // remembered could be replayed, so the command is refused; and journaled, since a store
            // that fails may be a disk fault or a flood aimed at it, evidence either way.
            LogVerifyFailed(ex);
            var failed = new CommandVerdict(null, CommandRejection.Unavailable, ReadableId(bytes), "the replay store could not be written; send again later");
            return await JournalAsync(failed, CommandEnvelope.TryParse(bytes, out _, out _, out _), now, cancellationToken).ConfigureAwait(false);
        }

        if (verdict is { Command: not null, Unrecorded: true, StoreFailure: { } notRecorded } && !isQueuedHere)
        {
            // Only for a verdict that carries a command to execute, not a copy of one queued here.
            LogAcceptedUnrecorded(verdict.CommandId, notRecorded);
        }

        if (clockEvent is not null)
        {
            // Before the command's own record: the office reads the cause first. A lockdown's only
            // queues it: its own record's flush, within the lockdown's deadline, covers it too.
            var queueOnly = verdict.Command is { } clocked && UnrecordedCommands.RunsUnrecorded(clocked.Command.Type);
            await JournalClockAsync(clockEvent, queueOnly, cancellationToken).ConfigureAwait(false);
        }

        if (isQueuedHere)
        {
            // Still queued or executing here (or finished with a result the store could not keep):
            // the first delivery's result follows, once.
            return await RepeatAsync(verdict.Command ?? verdict.Repeat!.Command, queuedHere, now, cancellationToken).ConfigureAwait(false);
        }

        if (verdict.Repeat is { } repeat)
        {
            return await RepeatAsync(repeat.Command, repeat.Final, now, cancellationToken).ConfigureAwait(false);
        }

        if (verdict.Rejection is { } r && r >= CommandRejection.Retained)
        {
            // The payload parsed: the journal gets the type and operator it claims too.
            return await JournalAsync(verdict, CommandEnvelope.TryParse(bytes, out _, out _, out _), now, cancellationToken).ConfigureAwait(false);
        }

        if (verdict.Unfinished)
        {
            // Recorded by an earlier run that stopped or crashed before executing it: the broker
            // redelivered it because it was never acknowledged, and it is still valid (verified again).
            LogResumed(verdict.CommandId);
        }

        return await JournalAsync(verdict, verdict.Command?.Command, now, cancellationToken, recording: recording).ConfigureAwait(false);
    }

    /// <summary>Hands an accepted command to the executor; the follow-up result (<c>done</c> or <c>rejected</c>), remembered as its final result.</summary>
    public async Task<(CommandResultKind Result, string? Reason)> ExecuteAsync(VerifiedCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var unflushed = ForgetUnflushed(command.Command.Id);
        if (await RefuseIfStaleAsync(command, cancellationToken).ConfigureAwait(false) is { } refusedBefore)
        {
            return refusedBefore;
        }

        if (!TryStart(command, unflushed))
        {
            var refused = new CommandFinal(false, "unavailable: the replay store could not be written, so it was not executed; send a new command");
            // Behind its command.received (durable, or still queued): never left open in the journal.
            EnqueueRefusal(command, _time.GetUtcNow(), "the replay store could not mark it handed to the controller (a slow or failing disk), so it was not executed");
            Finish(command.Command.Id, refused, started: false);
            return Answer(refused);
        }

        CommandExecution outcome;
        try
        {
            outcome = await _executor.ExecuteAsync(command, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cut short by a stop's deadline after it was handed to the controller, which may still
            // carry it out: never run again, and a resend is told so.
            Finish(command.Command.Id, CommandVerifier.Interrupted);
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Journaled behind its command.received, never left open there; and answered without the
            // exception's text, which every office client reads (a journal error names the database's
            // path): that stays in the gateway's log, as key-unavailable keeps a key file's path out.
            LogExecuteFailed(command.Command.Id, ex);
            EnqueueRefusal(command, _time.GetUtcNow(), $"the gateway failed on it ({ex.GetType().Name}); see the gateway's log");
            outcome = new CommandExecution(false, "failed: the gateway failed on this command; see its log");
        }

        // A done result may carry a note (the contract allows it); a refusal always says why.
        var final = outcome.Done
            ? new CommandFinal(true, WithUnrecordedNote(command.Command.Id, outcome.Detail, unflushed))
            : new CommandFinal(false, string.IsNullOrEmpty(outcome.Detail) ? "refused" : outcome.Detail);
        Finish(command.Command.Id, final);
        return Answer(final);
    }

    /// <summary>
    /// Journals messages the subscriber dropped unread (a flood on the command topic) as one
    /// <c>command.rejected</c> with no id, rejection <c>unavailable</c> and <paramref name="reason"/>:
    /// none of them can be answered, but the journal must show they came. A failing journal is logged.
    /// </summary>
    public Task JournalDroppedAsync(string reason, CancellationToken cancellationToken) =>
        JournalAsync(new CommandVerdict(null, CommandRejection.Unavailable, "", reason), null, _time.GetUtcNow(), cancellationToken, counted: false);

    // A flood's notice or summary (RejectionAudit): a command.rejected with no id, under the code
    // that tells its severity; never itself counted.
    private Task JournalSummaryAsync(CommandRejection code, string text) =>
        JournalAsync(new CommandVerdict(null, code, "", text), null, _time.GetUtcNow(), CancellationToken.None, counted: false);

    /// <summary>
    /// Forgets that <paramref name="command"/> is queued here, leaving it unfinished in the replay
    /// store: it was accepted but will not be executed by this process (stopping), so a redelivery
    /// at the next start executes it.
    /// </summary>
    public void Abandon(VerifiedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        lock (_gate)
        {
            if (_inFlight.TryGetValue(command.Command.Id, out var final) && final is null)
            {
                _inFlight.Remove(command.Command.Id);
            }

            _unflushed.Remove(command.Command.Id);
            _payloads.Remove(command.Command.Id);
        }
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

    private static (CommandResultKind Result, string? Reason) Answer(CommandFinal final) =>
        final.Done ? (CommandResultKind.Done, final.Reason) : (CommandResultKind.Rejected, final.Reason ?? "rejected");

    // counted: a rejection that may be counted for a summary instead (RejectionAudit); not the
    // records that are themselves summaries of what was not journaled one by one.
    // recording: when the handler started recording it, for the deadline of a lockdown's flush.
    private async Task<CommandAttempt> JournalAsync(CommandVerdict verdict, CommandEnvelope? claimed, DateTimeOffset now, CancellationToken cancellationToken, bool counted = true, long? recording = null)
    {
        if (verdict.Command is null && counted && Rejections.Admit(verdict.Rejection!.Value, claimed?.Operator) is { OnItsOwn: false } admission)
        {
            // A flood: answered at once, counted for the window's summary (RejectionAudit); the
            // first one counted is announced durably, so a crash during the flood leaves a trace.
            if (admission.Notice is { } notice)
            {
                await JournalSummaryAsync(verdict.Rejection.Value, notice).ConfigureAwait(false);
            }

            return new CommandAttempt(verdict.CommandId, CommandResultKind.Rejected, verdict.Reason, null);
        }

        DomainEvent attempt = verdict.Command is { } accepted
            ? new CommandReceived(now, accepted.Command.Id, accepted.Command.Type, accepted.Command.Operator, accepted.Role)
            : new CommandRejected(now, verdict.CommandId, claimed?.Type, claimed?.Operator, verdict.Rejection!.Value, verdict.Detail);
        try
        {
            await RecordAttemptAsync(attempt, verdict.Command, recording, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            if (verdict.Command is { } stopped)
            {
                Abandon(stopped);
            }

            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (CarriesOutUnjournaled(verdict, ex) is { } lockdown)
            {
                // A lockdown whose command.received outlasted the flush bound: it stays queued and
                // is written when the disk answers, before what the controller journals for it.
                LogAccepted(lockdown.Command.ToString(), lockdown.Role.ToString());
                return new CommandAttempt(verdict.CommandId, CommandResultKind.Accepted, null, lockdown);
            }

            // Not journaled means not acted on: the journal must hold every command the site obeyed.
            // And never acted on later: the office was told so, so the refusal is its final result
            // and the same bytes sent again (a resend, a captured copy) get this answer, not a run.
            LogJournalFailed(verdict.CommandId, ex);
            var refused = new CommandFinal(false, "unavailable: the command could not be journaled, so it was not acted on; send a new command");
            if (verdict.Command is { } unjournaled)
            {
                if (ex is TimeoutException)
                {
                    // Its command.received is still queued and is written when the disk answers:
                    // the refusal is queued behind it, so the journal never shows it received
                    // and left open. No wait: the disk is what is slow.
                    EnqueueRefusal(unjournaled, now);
                }

                Finish(unjournaled.Command.Id, refused, started: false);
            }

            return new CommandAttempt(verdict.CommandId, CommandResultKind.Rejected, refused.Reason, null);
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
}
