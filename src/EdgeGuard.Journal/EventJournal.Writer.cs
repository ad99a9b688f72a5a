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
        INSERT INTO gateway_meta (id, session, last_seq, chain_head) VALUES (1, 0, $last, $head)
        ON CONFLICT (id) DO UPDATE SET last_seq = max(gateway_meta.last_seq, excluded.last_seq), chain_head = excluded.chain_head;
        """;

    // Only the writer (under _appendGate) hashes; one instance reuses its buffer across batches.
    private readonly JournalChain _chain = new();

    /// <summary>How long the idle writer sleeps before it looks at retention again.</summary>
    private static readonly TimeSpan IdleWake = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Called on the writer thread between a batch's commit and its announcement in
    /// <see cref="LastSeq"/>, with the batch's last seq. Lets a test hold the writer in exactly the
    /// window where the rows are visible to readers but not yet announced; null in production.
    /// </summary>
    internal Action<long>? AfterCommit { get; set; }

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

    private void Write(List<Pending> plan)
    {
        var rows = new Row[plan.Count];
        for (var i = 0; i < plan.Count; i++)
        {
            var domainEvent = plan[i].Event;
            var fields = EventDataWriter.Describe(domainEvent);
            rows[i] = new Row(
                IdFor(domainEvent.At).ToString("D"),
                EventDataWriter.Iso(domainEvent.At),
                domainEvent.Type,
                fields.Point,
                fields.Zone,
                EventDataWriter.SeverityText(domainEvent.Severity),
                plan[i].Drill,
                fields.DataJson);
        }

        var first = LastSeq + 1;
        var last = _database.InTransaction(transaction =>
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

            // The chain continues from the head committed with the previous batch, read inside
            // this transaction: the hashes commit with their rows or not at all, so no crash can
            // leave a row without its link or a head that points past the last row.
            var head = ChainHead(transaction);
            var next = first;
            foreach (var row in rows)
            {
                var chained = new ChainedRow(next, row.Id, row.Timestamp, Monotonic().Ticks, row.Type, row.Point, row.Zone, row.Severity, row.Drill ? 1L : 0L, row.Data);
                var rowHash = _chain.Hash(head, chained);
                seq.Value = chained.Seq;
                id.Value = chained.Id;
                ts.Value = chained.Timestamp;
                mono.Value = chained.Monotonic;
                type.Value = chained.Type;
                point.Value = (object?)chained.Point ?? DBNull.Value;
                zone.Value = (object?)chained.Zone ?? DBNull.Value;
                severity.Value = chained.Severity;
                drill.Value = chained.Drill;
                data.Value = chained.Data;
                prevHash.Value = head;
                hash.Value = rowHash;
                insert.ExecuteNonQuery();
                head = rowHash;
                next++;
            }

            using var meta = JournalDatabase.Command(transaction, LastSeqSql);
            meta.Parameters.AddWithValue("$last", next - 1);
            meta.Parameters.Add("$head", SqliteType.Blob).Value = head;
            meta.ExecuteNonQuery();
            return next - 1;
        });

        Interlocked.Increment(ref _batches);
        AfterCommit?.Invoke(last);
        TaskCompletionSource signal;
        lock (_signalGate)
        {
            Volatile.Write(ref _lastSeq, last);
            signal = _appended;
            _appended = NewSignal();
        }

        signal.TrySetResult();
    }

    // The newest row's hash; the genesis value if the head was never written (cannot happen
    // after migration 8, which sets it, but a missing head must not stop the journal).
    private static byte[] ChainHead(SqliteTransaction transaction)
    {
        using var command = JournalDatabase.Command(transaction, "SELECT chain_head FROM gateway_meta WHERE id = 1;");
        return command.ExecuteScalar() as byte[] ?? JournalChain.Genesis.ToArray();
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

    private readonly record struct Row(string Id, string Timestamp, string Type, string? Point, string? Zone, string Severity, bool Drill, string Data);
}
