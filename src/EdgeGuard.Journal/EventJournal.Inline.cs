using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Journal;

// The idle fast path. When the writer has nothing to do, Publish sequences its events on the
// caller's thread (the controller), announces them and wakes the publisher there too, so an event
// reaches the MQTT socket without waiting for two thread wake-ups (writer, then publisher). On a
// small gateway each wake-up of an idle core costs tens of microseconds, as much as the gateway's
// own work (docs/journal.md). The writer still commits the batch, right after, on its thread.
//
// Only in the plain case, so nothing else has to know about it: no event waiting or being
// written, no declared gap pending, not in a journal-full episode, room under the limit, no more
// than one batch (MaxBatch) and seqs inside the durable reservation. Anything else goes through the queue as before.
public sealed partial class EventJournal
{
    // A batch sequenced by a caller, waiting for the writer to commit it (under _queueGate).
    private SequencedBatch? _handedOut;

    // True while the writer works on a batch it took (under _queueGate): a caller must not
    // sequence ahead of a batch published before its own.
    private bool _writerBusy;

    // Sequences and announces the events on this thread if the writer is idle and the plain case
    // holds; then wakes the publisher here, holding no lock. False: nothing was done, queue them.
    private bool TryHandOutNow(IReadOnlyList<DomainEvent> events, bool drill)
    {
        if (!_appendGate.TryEnter())
        {
            return false;
        }

        SequencedBatch batch;
        try
        {
            var plan = new List<Pending>(events.Count);
            foreach (var domainEvent in events)
            {
                if (domainEvent is not null)
                {
                    plan.Add(new Pending(domainEvent, drill || domainEvent.Drill));
                }
            }

            if (plan.Count is 0 or > MaxBatch || _full || _pendingGap is not null || DurableSeq != LastSeq
                || _nextSeq + plan.Count - 1 > _reserved || Undelivered() + plan.Count > _limits.MaxRecords)
            {
                return false;
            }

            // _queueGate held while sequencing: the writer cannot take a batch published before
            // this one in the meantime, and nothing else sequences (this thread holds _appendGate).
            lock (_queueGate)
            {
                if (_stopping || _writerBusy || _handedOut is not null || _queue.Count > 0 || _overflowDropped > 0)
                {
                    return false;
                }

                var next = _nextSeq;
                try
                {
                    // Inside the reservation and not full: Sequence announces it (batch.HandedOut).
                    batch = Sequence(plan);
                }
#pragma warning disable CA1031 // Publish never throws: the writer meets the same failure and counts the batch lost.
                catch (Exception) when (_nextSeq == next)
#pragma warning restore CA1031
                {
                    // Nothing was handed out (describing an event failed): queue them.
                    return false;
                }

                _handedOut = batch;
                _writerBusy = true;
                _enqueued += plan.Count;
            }
        }
        finally
        {
            _appendGate.Exit();
        }

        // The publisher's continuation runs here: it reads the tail and starts the PUBLISH. Only
        // then is the writer woken for the commit, so the two do not compete for a core before the
        // PUBLISH is on its way (the commit is not what the office waits for).
        try
        {
            batch.Signal!.TrySetResult();
        }
        finally
        {
            lock (_queueGate)
            {
                Monitor.Pulse(_queueGate);
            }
        }

        return true;
    }

    // The writer's half of a batch a caller handed out: its commit. A failure is a write failure
    // like any other (the batch's seqs are declared skipped by the next row, and the episode says why).
    private void CommitHandedOut(SequencedBatch batch)
    {
        var raise = new List<DomainEvent>(2);
        lock (_appendGate)
        {
            TryWrite(() => Commit(batch), batch.Records.Length, _time.GetUtcNow(), raise);
        }

        RaiseAfter(raise);
    }

    // A batch given its seqs and ids in memory, not yet chained or committed. Signal is set when
    // it was announced before its commit: completing it wakes the readers.
    private sealed record SequencedBatch(long First, long Last, JournalRecord[] Records, JournalGap? Gap, TaskCompletionSource? Signal)
    {
        public bool HandedOut => Signal is not null;
    }
}
