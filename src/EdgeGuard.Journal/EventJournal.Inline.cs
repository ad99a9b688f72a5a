using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Journal;

// The caller's fast path. When the writer holds no unsequenced events, Publish sequences its events
// on the caller's thread (the controller), announces them and wakes the publisher there too, so an
// event reaches the MQTT socket without waiting for two thread wake-ups (writer, then publisher).
// On a small gateway each wake-up of an idle core costs tens of microseconds, as much as a step of
// the gateway's own work (docs/PERFORMANCE.md). The writer commits what was handed out this way, in order,
// as one group, and does so without _appendGate: an event that comes while a commit (an fsync,
// milliseconds on an SD card) is running is handed out at once instead of waiting for it.
//
// Only in the plain case, so nothing else has to know about it: no event queued or taken by the
// writer and not yet written, no declared gap pending, not in a journal-full episode, room under
// the limit, seqs inside the durable reservation, no more than one batch (MaxBatch) past the
// last commit, and room to pin them if that commit fails (EventJournal.Pinned.cs). Anything else
// goes through the queue as before.
public sealed partial class EventJournal
{
    // Batches sequenced by callers, in seq order, waiting for the writer to commit them (under
    // _queueGate). Contiguous: nothing else is sequenced while any is waiting (see _writerBusy).
    private readonly List<SequencedBatch> _handedOut = [];

    // True while the writer holds queued events it took and has not finished writing (under
    // _queueGate): a caller must not sequence ahead of events published before its own.
    private bool _writerBusy;

    // True from the moment the writer takes queued events until they are readable: handed out
    // early when sequenced, or else once the round's write returns (announced at their commit,
    // or dropped and counted), not at the round's end: housekeeping follows. Set under
    // _queueGate, cleared under it or, at an early hand-out, under _appendGate: volatile, since
    // EventsWaiting reads it under _queueGate alone. With the queue, what EventsWaiting
    // reports: taken but unread, they are still events the site's state may show and no reader
    // can have.
    private volatile bool _takenUnreadable;

    // Sequences and announces the events on this thread if the plain case holds; then wakes the
    // publisher here, holding no lock. False: nothing was done, queue them.
    private bool TryHandOutNow(IReadOnlyList<DomainEvent> events, bool drill)
    {
        if (!_appendGate.TryEnter())
        {
            return false;
        }

        SequencedBatch batch;
        var firstWaiting = false;
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

            // At most one batch ahead of the last commit: one failed commit then skips no more than
            // a batch (as on the writer's own path), and the writer's group stays within MaxBatch.
            // A ballast freed by another commit is the writer's to turn into an episode (Append).
            var last = _nextSeq + plan.Count - 1;
            if (plan.Count == 0 || _full || _database.BallastFreed || _pendingGap is not null || last > _reserved || last > DurableSeq + MaxBatch
                || Undelivered() + plan.Count > _limits.MaxRecords || !PinRoomFor(last))
            {
                return false;
            }

            // _queueGate held while sequencing: the writer cannot take events published before
            // these in the meantime, and nothing else sequences (this thread holds _appendGate).
            lock (_queueGate)
            {
                if (_stopping || _writerBusy || _queue.Count > 0 || _overflowDropped > 0)
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

                firstWaiting = _handedOut.Count == 0;
                HandedOut(batch, firstWaiting);
                _handedOut.Add(batch);
                _enqueued += plan.Count;
            }
        }
        finally
        {
            _appendGate.Exit();
        }

        // The publisher's continuation runs here: it reads the tail and starts the PUBLISH. Only
        // then is the writer woken for the commit, or, while commits are held, the end of the
        // writer's own bounded wait or the hold timer will wake it
        // (EventJournal.CommitHold.cs).
        try
        {
            batch.Signal!.TrySetResult();
        }
        finally
        {
            WakeWriterForHandedOut(firstWaiting);
        }

        return true;
    }

    // The writer's half of the batches callers handed out: one commit for all of them, without
    // _appendGate. A failure is a write failure like any other: the seqs are declared skipped by
    // the next row, together with any batch handed out meanwhile, and the episode says why.
    private void CommitHandedOut(List<SequencedBatch> batches)
    {
        var batch = batches.Count == 1
            ? batches[0]
            : new SequencedBatch(batches[0].First, batches[^1].Last, [.. batches.SelectMany(b => b.Records)], null, batches[^1].Signal);
        var raise = new List<DomainEvent>(2);
        long reserved;
        byte[] head;
        try
        {
            reserved = Transaction(batch, out head);
        }
#pragma warning disable CA1031 // Whatever stops the write, the controller must not see it: it becomes the fault.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            long abandoned = 0;
            try
            {
                lock (_appendGate)
                {
                    // Batches handed out during this commit follow a hole now: they cannot be
                    // committed after it, so their seqs join the skipped range the next row declares.
                    abandoned = AbandonHandedOut();
                    SkipFailed(batch.First, _nextSeq - 1);
                    WriteFailed(ex, batch.Records.Length + abandoned, _time.GetUtcNow(), raise);
                }
            }
#pragma warning disable CA1031 // Counted above: the writer loop must not count these events again.
            catch (Exception faultFailure)
#pragma warning restore CA1031
            {
                Report(faultFailure);
            }
            finally
            {
                Processed((int)abandoned);
            }

            RaiseAfter(raise);
            return;
        }

        lock (_appendGate)
        {
            Durable(batch, reserved, head);
        }
    }

    // Takes every batch still waiting to be committed off the list (a commit before them failed);
    // returns how many events they held. Caller holds _appendGate.
    private long AbandonHandedOut()
    {
        lock (_queueGate)
        {
            long events = 0;
            foreach (var waiting in _handedOut)
            {
                events += waiting.Records.Length;
            }

            _handedOut.Clear();
            return events;
        }
    }

    // A batch given its seqs and ids in memory, not yet chained or committed. Signal is set when
    // it was announced before its commit: completing it wakes the readers.
    private sealed record SequencedBatch(long First, long Last, JournalRecord[] Records, JournalGap? Gap, TaskCompletionSource? Signal)
    {
        public bool HandedOut => Signal is not null;
    }
}
