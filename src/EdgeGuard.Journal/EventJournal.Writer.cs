using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The writer thread: it drains the queue Publish fills and appends each batch in one
// transaction (group commit), signals waiting readers, and reports its failures.
public sealed partial class EventJournal
{
    private const string InsertSql = """
        INSERT INTO events (seq, id, ts, mono, type, point, zone, severity, drill, data, prev_hash, hash)
        VALUES ($seq, $id, $ts, $mono, $type, $point, $zone, $severity, $drill, $data, $prev, $hash);
        """;

    private const string LastSeqSql = """
        INSERT INTO gateway_meta (id, session, last_seq, chain_head, reserved_through) VALUES (1, 0, $last, $head, $reserve)
        ON CONFLICT (id) DO UPDATE SET
            last_seq = max(gateway_meta.last_seq, excluded.last_seq),
            chain_head = excluded.chain_head,
            reserved_through = max(gateway_meta.reserved_through, excluded.reserved_through)
        RETURNING reserved_through;
        """;

    // Only the writer (under _appendGate) hashes; one instance reuses its buffer across batches.
    private readonly JournalChain _chain = new();

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

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void WriterLoop()
    {
        var batch = new List<Pending>(MaxBatch);
        while (true)
        {
            long overflow;
            bool last;
            lock (_queueGate)
            {
                while (_queue.Count == 0 && !_stopping && !_wake && _overflowDropped == 0 && !_retentionBacklog)
                {
                    if (!Monitor.Wait(_queueGate, IdleWake))
                    {
                        break; // idle: look at retention
                    }
                }

                var take = Math.Min(_queue.Count, MaxBatch);
                for (var i = 0; i < take; i++)
                {
                    batch.Add(_queue.Dequeue());
                }

                // Events dropped at Publish came after everything still queued: report them once
                // the batch holding the last event before them is written.
                overflow = 0;
                if (_queue.Count == 0)
                {
                    overflow = _overflowDropped;
                    _overflowDropped = 0;
                }

                _wake = false;
                last = _stopping && _queue.Count == 0;
            }

            try
            {
                Append(batch, overflow);
                Housekeep();
            }
            catch (Exception ex)
            {
                // Append handles database failures itself; this is the last line for anything
                // else, so the writer lives on. The batch is lost: count it.
                Interlocked.Add(ref _dropped, batch.Count);
                Report(ex);
            }

            Processed(batch.Count);
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

    // Sequences the plan (seq, UUIDv7, chain link) in memory, after the journal.gap that declares a
    // skipped range if one is pending (returned, for the host), hands it to the publisher at once when
    // its seqs are inside the durable reservation (EventJournal.Tail.cs), and commits it with the
    // chain head, last_seq and a reservation raised past it. Without a reservation to cover it
    // (the first batch after a start) it is announced only after the commit, as before.
    private JournalGap? Write(List<Pending> plan)
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
        var rows = new ChainedRow[plan.Count];
        var hashes = new byte[plan.Count][];
        var records = new JournalRecord[plan.Count];
        var head = _chainHead;
        for (var i = 0; i < plan.Count; i++)
        {
            var domainEvent = plan[i].Event;
            var fields = EventDataWriter.Describe(domainEvent);
            var id = IdFor(domainEvent.At);
            var monotonic = Monotonic();
            var drill = plan[i].Drill;
            rows[i] = new ChainedRow(first + i, id.ToString("D"), EventDataWriter.Iso(domainEvent.At), monotonic.Ticks, domainEvent.Type, fields.Point, fields.Zone, EventDataWriter.SeverityText(domainEvent.Severity), drill ? 1L : 0L, fields.DataJson);
            hashes[i] = _chain.Hash(head, rows[i]);
            head = hashes[i];
            // UTC, as SQLite gives it back: a record reads the same from memory and after a restart.
            records[i] = new JournalRecord(first + i, id, domainEvent.At.ToUniversalTime(), monotonic, domainEvent.Type, fields.Point, fields.Zone, domainEvent.Severity, drill, fields.DataJson);
        }

        // In a full or failing episode a commit is likely to fail: hand nothing out before it, so
        // a failing disk does not turn every retry into skipped seqs.
        var early = last <= _reserved && !_full;
        if (early)
        {
            _nextSeq = last + 1;
            Announce(records);
        }

        long reserved;
        try
        {
            reserved = _database.InTransaction(transaction =>
            {
                var durable = Insert(transaction, rows, hashes, _chainHead, last + ReserveAhead);
                BeforeCommit?.Invoke(last);
                return durable;
            });
        }
        catch
        {
            if (early)
            {
                SkipFailed(first, last);
            }

            throw;
        }

        _chainHead = head;
        _reserved = reserved;
        _nextSeq = last + 1;
        Volatile.Write(ref _durableSeq, last);
        if (gap is not null)
        {
            GapDeclared(first - 1);
        }

        Interlocked.Increment(ref _batches);
        AfterCommit?.Invoke(last);
        if (!early)
        {
            Announce(records);
        }

        return gap;
    }

    // One batch's rows and the meta row that moves with them; returns the reservation now durable.
    private static long Insert(SqliteTransaction transaction, ChainedRow[] rows, byte[][] hashes, byte[] prev, long reserve)
    {
        using var insert = JournalDatabase.Command(transaction, InsertSql);
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var ts = insert.Parameters.Add("$ts", SqliteType.Text);
        var mono = insert.Parameters.Add("$mono", SqliteType.Integer);
        var type = insert.Parameters.Add("$type", SqliteType.Text);
        var point = insert.Parameters.Add("$point", SqliteType.Text);
        var zone = insert.Parameters.Add("$zone", SqliteType.Text);
        var severity = insert.Parameters.Add("$severity", SqliteType.Text);
        var drill = insert.Parameters.Add("$drill", SqliteType.Integer);
        var data = insert.Parameters.Add("$data", SqliteType.Text);
        var prevHash = insert.Parameters.Add("$prev", SqliteType.Blob);
        var hash = insert.Parameters.Add("$hash", SqliteType.Blob);
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            seq.Value = row.Seq;
            id.Value = row.Id;
            ts.Value = row.Timestamp;
            mono.Value = row.Monotonic;
            type.Value = row.Type;
            point.Value = (object?)row.Point ?? DBNull.Value;
            zone.Value = (object?)row.Zone ?? DBNull.Value;
            severity.Value = row.Severity;
            drill.Value = row.Drill;
            data.Value = row.Data;
            prevHash.Value = i == 0 ? prev : hashes[i - 1];
            hash.Value = hashes[i];
            insert.ExecuteNonQuery();
        }

        using var meta = JournalDatabase.Command(transaction, LastSeqSql);
        meta.Parameters.AddWithValue("$last", rows[^1].Seq);
        meta.Parameters.Add("$head", SqliteType.Blob).Value = hashes[^1];
        meta.Parameters.AddWithValue("$reserve", reserve);
        return (long)meta.ExecuteScalar()!;
    }

    // UUIDv7 carries the event time in its first 48 bits; a time before 1970 cannot be encoded,
    // so such an event (a badly set clock) gets the epoch rather than failing the batch.
    private static Guid IdFor(DateTimeOffset at) =>
        Guid.CreateVersion7(at < DateTimeOffset.UnixEpoch ? DateTimeOffset.UnixEpoch : at);

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
