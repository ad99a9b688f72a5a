using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The writer thread: it drains the queue Publish fills and appends each batch in one
// transaction (group commit), signals waiting readers, and reports its failures.
public sealed partial class EventJournal
{
    // Only the writer thread hashes (in Transaction); one instance reuses its buffer across batches.
    private readonly JournalChain _chain = new();

    // Event ids; used only while sequencing, under _appendGate.
    private readonly EventIds _ids = new();

    // The writer thread's prepared statements; disposed once the writer has stopped.
    private AppendStatements? _statements;

    /// <summary>How long the idle writer sleeps before it looks at retention again.</summary>
    private static readonly TimeSpan IdleWake = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Called on the writer thread after a batch's commit and, for a batch not handed out early,
    /// before its announcement in <see cref="LastSeq"/>, with the batch's last seq. Lets a test hold the writer in exactly the
    /// window where the rows are visible to readers but not yet announced; null in production.
    /// </summary>
    internal Action<long>? AfterCommit { get; set; }

    /// <summary>
    /// Called on the writer thread inside a batch's transaction, after its rows are inserted and
    /// before the commit, with the batch's last seq. Lets a test hold the writer while a batch it
    /// handed out early is not yet durable; null in production.
    /// </summary>
    internal Action<long>? BeforeCommit { get; set; }

    // Continuations run where the signal is completed: on the pool from the writer, inline from a
    // caller that sequenced its own events (EventJournal.Inline.cs).
    private static TaskCompletionSource NewSignal() => new();

    private void WriterLoop()
    {
        var batch = new List<Pending>(MaxBatch);
        while (true)
        {
            long overflow = 0;
            bool last;
            List<SequencedBatch>? handedOut = null;
            var cursorOnly = false;
            lock (_queueGate)
            {
                while (_handedOut.Count == 0 && _queue.Count == 0 && !_stopping && !_wake && _overflowDropped == 0 && !_retentionBacklog
                    && !CursorCommitDue())
                {
                    if (LingerForHandOuts())
                    {
                        continue; // a flow of hand-outs: the wait ended by its hold or a pulse
                    }

                    _writerWaitsUnbounded = true;
                    var woken = Monitor.Wait(_queueGate, IdleWake);
                    _writerWaitsUnbounded = false;
                    if (!woken)
                    {
                        break; // idle: look at retention
                    }
                }

                // Batches callers sequenced come first: everything queued was published after them.
                if (_handedOut.Count > 0)
                {
                    HoldHandedOut();
                    handedOut = [.. _handedOut];
                    _handedOut.Clear();
                }
                else if (_queue.Count == 0 && !_wake && _overflowDropped == 0 && CursorCommitDue())
                {
                    // Idle with the acknowledged prefix due: a commit of the cursor alone. Not
                    // _writerBusy: an event published meanwhile is handed out at once and its
                    // commit waits only for this one (EventJournal.Cursor.cs).
                    cursorOnly = true;
                }
                else
                {
                    _writerBusy = true;
                    var take = Math.Min(_queue.Count, MaxBatch);
                    _takenUnreadable = take > 0;
                    for (var i = 0; i < take; i++)
                    {
                        batch.Add(_queue.Dequeue());
                    }

                    // Events dropped at Publish came after everything still queued: report them once
                    // the batch holding the last event before them is written.
                    if (_queue.Count == 0)
                    {
                        overflow = _overflowDropped;
                        _overflowDropped = 0;
                    }

                    _wake = false;
                }

                last = _stopping && _queue.Count == 0 && _handedOut.Count == 0;
            }

            var events = handedOut?.Sum(waiting => waiting.Records.Length) ?? batch.Count;
            try
            {
                if (cursorOnly)
                {
                    CommitCursor();
                }
                else if (handedOut is not null)
                {
                    CommitHandedOut(handedOut);
                }
                else
                {
                    Append(batch, overflow);
                }
            }
            catch (Exception ex)
            {
                // Append handles database failures itself; this is the last line for anything
                // else, so the writer lives on. The batch is lost: count it.
                Interlocked.Add(ref _dropped, events);
                Report(ex);
            }

            // The round's events are readable now (announced at their commit at the latest) or
            // never will be (dropped and counted): no longer waiting, before the housekeeping
            // below, which may take a while and during which a stop must not wait for them.
            lock (_queueGate)
            {
                _takenUnreadable = false;
            }

            try
            {
                Housekeep();
            }
            catch (Exception ex)
            {
                // Retention handles its write failures itself. Anything else comes after the
                // round's commit: the batch is in the file, so it is reported, not counted as
                // dropped (which it was while this shared the append's catch). No backlog round
                // right after it: a failure that repeats would spin the writer; the idle wake
                // retries.
                _retentionBacklog = false;
                Report(ex);
            }

            SaveOwedSession();
            TendBallast();
            Processed(events);
            batch.Clear();
            if (last)
            {
                return;
            }
        }
    }

    private void Processed(int count)
    {
        List<TaskCompletionSource>? done = null;
        lock (_queueGate)
        {
            _writerBusy = false;
            _processed += count;
            for (var i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                if (_flushWaiters[i].Target <= _processed)
                {
                    (done ??= []).Add(_flushWaiters[i].Done);
                    _flushWaiters.RemoveAt(i);
                }
            }
        }

        if (done is not null)
        {
            foreach (var waiter in done)
            {
                waiter.TrySetResult();
            }
        }
    }

    // Sequences the plan and commits it (see Sequence and Commit); the writer's path. When the
    // commit fails, what the office must not miss is handed out from memory (EventJournal.FromMemory.cs).
    // episode: the journal-full episode as it is to be recorded in the same commit; null when unchanged.
    // inEpisode: the batch is in a journal-full episode, maybe one it starts itself (not yet _full
    // until its commit): nothing is handed out before the commit, as in any episode.
    private JournalGap? Write(List<Pending> plan, EpisodeWrite? episode = null, bool inEpisode = false)
    {
        var batch = Sequence(plan, inEpisode);
        CompleteOnPool(batch.Signal);
        try
        {
            return Commit(batch, episode);
        }
        catch (Exception ex) when (NothingWasWritten(ex))
        {
            CompleteOnPool(HandOutFromMemory(plan, batch));
            throw;
        }
    }

    // Sequences the plan (seq, UUIDv7, record) in memory, after the journal.gap that declares a
    // skipped range if one is pending, and hands it to the publisher at once (puts it in the tail
    // and moves LastSeq; the returned batch carries the signal to complete) when its seqs are
    // inside the durable reservation (EventJournal.Tail.cs). Without a reservation to cover it
    // (the first batch after a start) it is announced only after the commit. Caller holds _appendGate.
    private SequencedBatch Sequence(List<Pending> plan, bool inEpisode = false)
    {
        // A skipped range ends at _nextSeq - 1, so its declaration must be the next row written.
        JournalGap? gap = null;
        if (_pendingGap is { } pending)
        {
            gap = new JournalGap(_time.GetUtcNow(), pending.From, _nextSeq - 1, pending.Cause);
            plan.Insert(0, new Pending(gap, false));
        }

        var first = _nextSeq;
        var last = first + plan.Count - 1;
        var records = new JournalRecord[plan.Count];
        for (var i = 0; i < plan.Count; i++)
        {
            var domainEvent = plan[i].Event;
            var fields = DescribeOrEmpty(domainEvent);
            // UTC, as SQLite gives it back: a record reads the same from memory and after a restart.
            records[i] = new JournalRecord(first + i, _ids.Next(domainEvent.At), domainEvent.At.ToUniversalTime(), Monotonic(), domainEvent.Type, fields.Point, fields.Zone, domainEvent.Severity, plan[i].Drill, fields.DataJson);
        }

        // In a full or failing episode a commit is likely to fail: hand nothing out before it, so
        // a failing disk does not turn every retry into skipped seqs. If it does fail, what the
        // office must not miss goes out from memory then (Write, EventJournal.FromMemory.cs).
        // Nor while a failure could not pin what it handed out (EventJournal.Pinned.cs).
        var early = last <= _reserved && !_full && !inEpisode && PinRoomFor(last);
        TaskCompletionSource? signal = null;
        if (early)
        {
            _nextSeq = last + 1;
            signal = Announce(records);
            _takenUnreadable = false; // readable now, before their commit: no longer waiting
        }

        return new SequencedBatch(first, last, records, gap, signal);
    }

    // An event whose data cannot be written (a bug: a value the writer has no wire name for)
    // must not cost the batch it came with, up to MaxBatch events with a lockdown among them: it
    // is journaled with its type, severity and time, empty data, and the failure goes to the
    // host's error log.
    private EventFields DescribeOrEmpty(DomainEvent domainEvent)
    {
        try
        {
            return EventDataWriter.Describe(domainEvent);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Report(new InvalidOperationException($"The data of a {domainEvent.Type} event could not be written; it is journaled with empty data: {ex.Message}", ex));
            return new EventFields(null, null, "{}");
        }
    }

    // Chains and commits a sequenced batch with the chain head, last_seq and a reservation raised past it,
    // then announces it if Sequence did not. A failed commit of a batch already handed out skips
    // its seqs (journal.gap). Caller holds _appendGate.
    private JournalGap? Commit(SequencedBatch batch, EpisodeWrite? episode)
    {
        long reserved;
        byte[] head;
        try
        {
            reserved = Transaction(batch, out head, episode);
        }
        catch
        {
            if (batch.HandedOut)
            {
                SkipFailed(batch.First, batch.Last);
            }

            throw;
        }

        return Durable(batch, reserved, head);
    }

    // The commit itself: chain links, rows, meta row, fsync. Writer thread only (it alone touches
    // _chainHead and the prepared statements); needs no _appendGate, so a batch handed out on the
    // caller's thread is committed while the next one may be sequenced (EventJournal.Inline.cs).
    // Returns the reservation now durable and, in head, the batch's last hash.
    private long Transaction(SequencedBatch batch, out byte[] head, EpisodeWrite? episode = null)
    {
        // The chain links are made here, on the writer, not when sequencing: the office needs none
        // of them, so the hashing stays off the path an event takes to the publisher.
        var last = batch.Last;
        var rows = new ChainedRow[batch.Records.Length];
        var hashes = new byte[rows.Length][];
        var link = _chainHead;
        for (var i = 0; i < rows.Length; i++)
        {
            var record = batch.Records[i];
            rows[i] = new ChainedRow(record.Seq, record.Id.ToString("D"), EventDataWriter.Iso(record.Timestamp), record.Monotonic.Ticks, record.Type, record.Point, record.Zone, EventDataWriter.SeverityText(record.Severity), record.Drill ? 1L : 0L, record.DataJson);
            hashes[i] = _chain.Hash(link, rows[i]);
            link = hashes[i];
        }

        head = link;
        var capturedAt = _time.GetTimestamp();
        var cursor = CursorToPersist();
        var durable = _database.InTransaction(transaction =>
        {
            // Prepared once on the shared connection; made again only if that connection changed.
            var statements = PreparedFor(transaction);

            var reserved = statements.Insert(transaction, rows, hashes, _chainHead, last + ReserveAhead, cursor);
            if (episode is not null)
            {
                SaveEpisode(statements, transaction, episode);
            }

            ClearJournaledFault(transaction, rows);

            BeforeCommit?.Invoke(last);
            return reserved;
        });
        AdvanceDelivered(cursor, capturedAt);
        FaultJournaled();
        return durable;
    }

    // After a batch's commit: the durable state moves on, a declared gap is recorded, and a batch
    // not handed out early is announced now. Caller holds _appendGate.
    private JournalGap? Durable(SequencedBatch batch, long reserved, byte[] head)
    {
        var (first, last) = (batch.First, batch.Last);
        _chainHead = head;
        _reserved = Math.Max(_reserved, reserved);
        // Batches handed out meanwhile may already have taken the seqs after this one.
        _nextSeq = Math.Max(_nextSeq, last + 1);
        Volatile.Write(ref _durableSeq, last);
        if (batch.Gap is not null)
        {
            GapDeclared(first - 1);
        }

        Interlocked.Increment(ref _batches);
        AfterCommit?.Invoke(last);
        if (!batch.HandedOut)
        {
            CompleteOnPool(Announce(batch.Records));
        }

        return batch.Gap;
    }

    private TimeSpan Monotonic()
    {
        var timestamp = _time.GetTimestamp();
        var frequency = _time.TimestampFrequency;
        return frequency == TimeSpan.TicksPerSecond
            ? TimeSpan.FromTicks(timestamp)
            : TimeSpan.FromTicks((long)((Int128)timestamp * TimeSpan.TicksPerSecond / frequency));
    }

    private void Report(Exception ex)
    {
        try
        {
            _onError?.Invoke(ex);
        }
#pragma warning disable CA1031 // A logging callback that throws must not stop the journal.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

}
