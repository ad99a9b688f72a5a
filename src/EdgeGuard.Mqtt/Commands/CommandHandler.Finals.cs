using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

// Final results and the replay store: stored when reached, or kept here and stored later, so a
// command this process refused is never executed by a copy after a restart.
public sealed partial class CommandHandler
{
    /// <summary>
    /// Stores the final results the replay store could not take when they were reached (its wait
    /// for a busy journal writer ran out), so a restart never executes a command this process
    /// refused, and hands it the lockdowns carried out without its record (<see cref="Unrecorded"/>).
    /// Done after each command the store answered, and at a stop. Bounded: it gives up at the
    /// first that still fails (one store wait at most), and they are tried again later.
    /// </summary>
    public void StoreUnstoredResults()
    {
        lock (_gate)
        {
            StoreUnstoredResultsLocked();
        }
    }

    // Under _gate. Refusals first: a started command's unstored result is answered "interrupted"
    // after a restart, never executed, but a refusal's is not (the row reads recorded, not started).
    private void StoreUnstoredResultsLocked()
    {
        var unstored = _inFlight.Where(e => e.Value is not null).OrderBy(e => e.Value!.Done).ToList();
        foreach (var (id, final) in unstored)
        {
            if (!TryStore(id, final!, started: final!.Done))
            {
                return;
            }
        }

        HandOverUnrecordedLocked();
    }

    // started: whether the store holds its "started" mark (it was handed to the controller).
    private void Finish(string id, CommandFinal final, bool started = true)
    {
        lock (_gate)
        {
            _payloads.Remove(id);
            if (!TryStore(id, final, started))
            {
                // The store does not know: this process answers a redelivery with the result, and
                // each copy tries the store again (ReceiveAsync).
                _inFlight[id] = final;
            }
        }
    }

    // Stores a final result and forgets it here; false (logged) when the store fails. After a
    // restart, a "started" mark has an unstored result answered as interrupted; without one, a copy
    // still valid is executed (nothing durable can say otherwise), so the log says so. Under _gate.
    private bool TryStore(string id, CommandFinal final, bool started)
    {
        try
        {
            _verifier.Finish(id, final);
            _inFlight.Remove(id);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (started)
            {
                LogFinishFailed(id, ex);
            }
            else
            {
                LogRefusalNotStored(id, ex);
            }

            return false;
        }
    }

    // The refusal of a command whose command.received is journaled or still queued (it timed out
    // in the flush), queued behind it with no wait: the disk may be what is slow.
    private void EnqueueRefusal(
        VerifiedCommand command, DateTimeOffset now,
        string detail = "its command.received was not journaled within the flush bound (the journal's disk is slow or hung), so it was not acted on")
    {
        var c = command.Command;
        try
        {
            _journal.Enqueue(new CommandRejected(now, c.Id, c.Type, c.Operator, CommandRejection.Unavailable, detail));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogJournalFailed(c.Id, ex);
        }
    }
}
