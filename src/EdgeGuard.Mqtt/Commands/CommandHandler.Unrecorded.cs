using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Commands;

// An authentic lockdown during an SD card stall: the replay store or the journal's flush did not
// answer within its bound. Every other command is refused unavailable then; a lockdown is carried
// out, since a locked door is the fail-secure side and a copy run again only locks again. This
// process's memory keeps it from running twice (UnrecordedCommands, in the verifier) until the
// store takes it; its done says how little was recorded.
public sealed partial class CommandHandler
{
    // Accepted lockdowns whose command.received outlasted the flush bound (still queued), until
    // they are executed or abandoned: their done says so. Under _gate.
    private readonly HashSet<string> _unflushed = new(StringComparer.Ordinal);

    // The payload hash of each accepted lockdown until it is handed to the controller (or
    // finished, or abandoned): memory needs it to answer copies if the start mark times out.
    // Under _gate.
    private readonly Dictionary<string, byte[]> _payloads = new(StringComparer.Ordinal);

    // Under _gate, for a command just accepted and queued here.
    private void RememberPayloadLocked(VerifiedCommand command, byte[] payload)
    {
        if (UnrecordedCommands.RunsUnrecorded(command.Command.Type))
        {
            _payloads[command.Command.Id] = SHA256.HashData(payload);
        }
    }

    // The durable "handed to the controller" mark, before it is: a crash or a stop's deadline after
    // it leaves the command interrupted, never executed again by a redelivery. A command whose mark
    // cannot be written is not executed (it could run twice), unless a lockdown whose mark timed
    // out (StartsUnrecordedLocked). unflushed: a lockdown whose command.received outlasted its
    // recording deadline, so the card is known to hang and the deadline has passed: its mark takes
    // the database only if it is free (no wait), rather than waiting the store's own bound (up to
    // 5 s) for the writer stuck in that commit before the controller gets it.
    private bool TryStart(VerifiedCommand command, bool unflushed)
    {
        var id = command.Command.Id;
        lock (_gate)
        {
            try
            {
                _verifier.Start(id, unflushed ? TimeSpan.Zero : null);
                return true;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (StartsUnrecordedLocked(command, ex))
                {
                    return true;
                }

                LogStartFailed(id, ex);
                return false;
            }
            finally
            {
                _payloads.Remove(id);
            }
        }
    }

    // Under _gate. A lockdown the store recorded whose start mark then timed out (the journal's
    // writer hangs in a commit; the likely case right after its command.received outlasted the
    // flush bound, since the store shares the writer's lock): carried out, kept in memory as
    // started, and its row finished by the hand-over. A start mark that failed, rather than timed
    // out, or any other type, refuses as before.
    private bool StartsUnrecordedLocked(VerifiedCommand command, Exception failure)
    {
        if (!UnrecordedCommands.DidNotAnswerInTime(failure) || !_payloads.TryGetValue(command.Command.Id, out var hash)
            || !_verifier.StartUnrecorded(command.Command, hash, _time.GetUtcNow()))
        {
            return false;
        }

        LogStartedUnrecorded(command.Command.Id, failure);
        return true;
    }

    // The lockdown to carry out although its command.received was not on disk in time; null for
    // anything else (refused as before): another type, or a journal that failed rather than hung.
    private VerifiedCommand? CarriesOutUnjournaled(CommandVerdict verdict, Exception failure)
    {
        if (verdict.Command is not { } command || !UnrecordedCommands.RunsUnrecorded(command.Command.Type)
            || !UnrecordedCommands.DidNotAnswerInTime(failure))
        {
            return null;
        }

        LogAcceptedUnjournaled(command.Command.Id, failure);
        lock (_gate)
        {
            _unflushed.Add(command.Command.Id);
        }

        return command;
    }

    private bool ForgetUnflushed(string id)
    {
        lock (_gate)
        {
            return _unflushed.Remove(id);
        }
    }

    // The done of a lockdown carried out with less on disk than usual says what is missing, so the
    // office knows a copy may run again after a restart, or that its journal record comes late.
    private string? WithUnrecordedNote(string id, string? detail, bool unflushed)
    {
        var notes = new List<string>(2);
        if (_verifier.Unrecorded.Holds(id))
        {
            notes.Add("carried out without a durable record: the disk did not answer in time, so this gateway "
                + "remembers it only until it restarts (unless the disk answers first)");
        }

        if (unflushed)
        {
            notes.Add((notes.Count == 0 ? "carried out" : "and") + " before its command.received was on disk: the journal's "
                + "disk did not answer in time, and the record is written when it does");
        }

        var note = string.Join("; ", notes);
        return string.IsNullOrEmpty(detail) ? (note.Length == 0 ? null : note)
            : note.Length == 0 ? detail : $"{detail}; {note}";
    }

    /// <summary>
    /// Hands the finished lockdowns carried out without the replay store's record to it (see
    /// <see cref="CommandVerifier.HandOverUnrecorded"/>), with one bounded store wait at most; for
    /// the subscriber's periodic try while no command comes. Not under the handler's lock: memory
    /// forgets each only after the store holds it, so a copy meanwhile is answered by one or the
    /// other. A store that still hangs is logged at debug level only (each try would repeat it).
    /// </summary>
    public void HandOverUnrecorded()
    {
        if (_verifier.Unrecorded.Count == 0)
        {
            return;
        }

        try
        {
            _verifier.HandOverUnrecorded(_time.GetUtcNow());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogHandOverWaits(ex);
        }
    }

    // Under _gate, after the store answered: lockdowns carried out unrecorded that have finished
    // are recorded there with their results, so a copy after a restart is answered, not run.
    private void HandOverUnrecordedLocked()
    {
        if (_verifier.Unrecorded.Count == 0)
        {
            return;
        }

        try
        {
            _verifier.HandOverUnrecorded(_time.GetUtcNow());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogHandOverFailed(ex);
        }
    }

    [LoggerMessage(EventId = 364, Level = LogLevel.Warning, Message = "Lockdown '{Id}' carried out although the replay store did not answer in time (a slow or hung disk): this process alone keeps it from running twice until the store answers; after a restart a copy still valid could lock again")]
    private partial void LogAcceptedUnrecorded(string id, Exception exception);

    [LoggerMessage(EventId = 365, Level = LogLevel.Warning, Message = "Lockdown '{Id}' carried out although its command.received was not journaled within the flush bound (a slow or hung disk); the record stays queued and is written when the disk answers")]
    private partial void LogAcceptedUnjournaled(string id, Exception exception);

    [LoggerMessage(EventId = 367, Level = LogLevel.Warning, Message = "Lockdown '{Id}' carried out although the replay store did not mark it started in time (a slow or hung disk): this process alone keeps it from running twice until the store answers")]
    private partial void LogStartedUnrecorded(string id, Exception exception);

    [LoggerMessage(EventId = 368, Level = LogLevel.Debug, Message = "Lockdowns carried out without the replay store's record not handed to it yet (the disk still does not answer); tried again shortly")]
    private partial void LogHandOverWaits(Exception exception);

    [LoggerMessage(EventId = 366, Level = LogLevel.Error, Message = "Lockdowns carried out without the replay store's record could not be handed to it yet; tried again after the next command it answers, and every few seconds")]
    private partial void LogHandOverFailed(Exception exception);
}
