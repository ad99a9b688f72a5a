using System.Globalization;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

/// <summary>
/// The gateway's event journal and the MQTT publisher's outbox, in the <c>events</c> table of the
/// journal database. Every domain event gets a 64-bit sequence number (last + 1, from 1, kept
/// across restarts, never reused), a UUIDv7 id, its UTC time, the monotonic time of journaling
/// and a drill flag.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Publish(IReadOnlyList{DomainEvent})"/> runs on the controller loop and only enqueues.
/// A dedicated writer thread drains the queue and appends everything waiting in one transaction
/// (group commit, at most <see cref="MaxBatch"/> records), so one fsync covers a whole burst.
/// </para>
/// <para>
/// Disk use is bounded by <see cref="JournalLimits"/>: delivered records age out or are trimmed
/// oldest first; undelivered ones are never deleted. When <see cref="JournalLimits.MaxRecords"/>
/// undelivered records are waiting, or SQLite cannot write (disk full, I/O error), new events are
/// dropped and counted, and the journal records one <see cref="JournalFull"/> per episode (a small
/// reserve above the limit keeps room for it). Once there is room again it records
/// <see cref="JournalRecovered"/> with the number dropped before any new event. Nothing here
/// throws into the controller, and a failing writer never takes the process down.
/// </para>
/// </remarks>
public sealed class EventJournal : IEventSink, IOutbox, IDisposable
{
    /// <summary>
    /// Most records appended in one transaction. Large enough that the fsync is shared by a whole
    /// burst, small enough that a safety-state save waiting for the write lock waits for tens of
    /// milliseconds at most, not for one huge batch.
    /// </summary>
    public const int MaxBatch = 1024;

    /// <summary>Most events waiting in memory for the writer; beyond this they are dropped and counted.</summary>
    public const int MaxQueued = 262_144;

    /// <summary>Most rows retention deletes in one transaction, so it never holds the database long.</summary>
    internal const int RetentionChunk = 10_000;

    private const int SqliteIoError = 10;
    private const int SqliteFull = 13;

    private const string InsertSql = """
        INSERT INTO events (seq, id, ts, mono, type, point, zone, severity, drill, data)
        VALUES ($seq, $id, $ts, $mono, $type, $point, $zone, $severity, $drill, $data);
        """;

    private const string LastSeqSql = """
        INSERT INTO gateway_meta (id, session, last_seq) VALUES (1, 0, $last)
        ON CONFLICT (id) DO UPDATE SET last_seq = max(gateway_meta.last_seq, excluded.last_seq);
        """;

    /// <summary>How often (journal clock) delivered records are checked for age.</summary>
    private static readonly TimeSpan AgeCheckInterval = TimeSpan.FromMinutes(1);

    /// <summary>How long the idle writer sleeps before it looks at retention again.</summary>
    private static readonly TimeSpan IdleWake = TimeSpan.FromSeconds(30);

    /// <summary>How long <see cref="Dispose"/> waits for the writer to drain the queue.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    private readonly JournalDatabase _database;
    private readonly TimeProvider _time;
    private readonly JournalLimits _limits;
    private readonly Action<Exception>? _onError;
    private readonly Action<DomainEvent>? _onJournalEvent;
    private readonly Thread _writer;

    // The queue between the controller and the writer. Monitor, not Lock: the writer waits on it.
    private readonly object _queueGate = new();
    private readonly Queue<Pending> _queue = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _flushWaiters = [];
    private long _enqueued;
    private long _processed;
    private long _overflowDropped;
    private bool _wake;
    private bool _stopping;

    // The writer's state; also taken by EnforceRetention from other threads.
    private readonly Lock _appendGate = new();
    private long _firstSeq;
    private bool _full;
    private bool _faultJournaled;
    private bool _faultAnnounced;
    private string _fullReason = string.Empty;
    private long _episodeDropped;
    private DateTimeOffset _lastAgeCheck = DateTimeOffset.MinValue;
    private volatile bool _retentionBacklog;

    // Read from any thread.
    private long _lastSeq;
    private long _deliveredThrough;
    private long _dropped;
    private long _batches;
    private volatile bool _isFull;

    private readonly Lock _signalGate = new();
    private TaskCompletionSource _appended = NewSignal();

    private readonly Lock _readGate = new();
    private SqliteConnection? _reader;
    private SqliteCommand? _readCommand;
    private int _disposed;

    /// <summary>Opens the journal over <paramref name="database"/> and starts its writer thread.</summary>
    /// <param name="database">The gateway's journal database; the caller keeps owning it and disposes it after this journal.</param>
    /// <param name="timeProvider">Clock for monotonic stamps, retention ages and the journal's own fault events.</param>
    /// <param name="limits">Retention and capacity; <see cref="JournalLimits.Default"/> when null.</param>
    /// <param name="onError">
    /// Told about every failure of the writer (append, retention) on the writer thread, for the
    /// host's log. The journal carries on; exceptions the callback throws are ignored.
    /// </param>
    /// <param name="onJournalEvent">
    /// Told about events the journal raises itself (<see cref="JournalFull"/>,
    /// <see cref="JournalRecovered"/>), after it has tried to journal them, on the writer thread.
    /// </param>
    /// <exception cref="JournalException">The journal's tables cannot be read.</exception>
    public EventJournal(
        JournalDatabase database,
        TimeProvider timeProvider,
        JournalLimits? limits = null,
        Action<Exception>? onError = null,
        Action<DomainEvent>? onJournalEvent = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(timeProvider);
        limits ??= JournalLimits.Default;
        limits.Validate();

        _database = database;
        _time = timeProvider;
        _limits = limits;
        _onError = onError;
        _onJournalEvent = onJournalEvent;

        var (metaLast, maxSeq, minSeq, delivered) = database.Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT
                    coalesce((SELECT last_seq FROM gateway_meta WHERE id = 1), 0),
                    coalesce((SELECT max(seq) FROM events), 0),
                    (SELECT min(seq) FROM events),
                    coalesce((SELECT delivered_through FROM outbox WHERE id = 1), 0);
                """;
            using var reader = command.ExecuteReader();
            reader.Read();
            return (reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? (long?)null : reader.GetInt64(2), reader.GetInt64(3));
        });

        // Retention only deletes delivered records, so even an emptied table leaves the last seq
        // in gateway_meta and in the outbox cursor: the sequence never restarts.
        _lastSeq = Math.Max(Math.Max(metaLast, maxSeq), delivered);
        _deliveredThrough = delivered;
        _firstSeq = minSeq ?? _lastSeq + 1;

        _reader = database.OpenConnection();
        _writer = new Thread(WriterLoop)
        {
            IsBackground = true,
            Name = "EdgeGuard journal writer",
        };
        _writer.Start();
    }

    /// <inheritdoc />
    public long LastSeq => Volatile.Read(ref _lastSeq);

    /// <inheritdoc />
    public long DeliveredThrough => Volatile.Read(ref _deliveredThrough);

    /// <summary>Events dropped since this journal was opened (journal full, write failures, queue overflow, after dispose).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>True while the journal is in a full episode and drops new events.</summary>
    public bool IsFull => _isFull;

    /// <summary>Transactions that appended records since this journal was opened.</summary>
    public long CommittedBatches => Interlocked.Read(ref _batches);

    /// <summary>Most events waiting for the writer; <see cref="MaxQueued"/> unless a test lowers it.</summary>
    internal int QueueCapacity { get; set; } = MaxQueued;

    /// <summary>The limits this journal keeps to.</summary>
    public JournalLimits Limits => _limits;

    /// <inheritdoc />
    /// <remarks>Enqueues only; never blocks on disk and never throws. Events are not drills.</remarks>
    public void Publish(IReadOnlyList<DomainEvent> events) => Publish(events, drill: false);

    /// <summary>Enqueues <paramref name="events"/> for the writer, flagged as drill events or not.</summary>
    /// <param name="events">Events in the order they happened.</param>
    /// <param name="drill">True when they happened during a drill.</param>
    public void Publish(IReadOnlyList<DomainEvent> events, bool drill)
    {
        if (events is null || events.Count == 0)
        {
            return;
        }

        lock (_queueGate)
        {
            var wasEmpty = _queue.Count == 0;
            long dropped = 0;
            foreach (var domainEvent in events)
            {
                if (domainEvent is null)
                {
                    continue;
                }

                if (_stopping || _queue.Count >= QueueCapacity)
                {
                    dropped++;
                    continue;
                }

                _queue.Enqueue(new Pending(domainEvent, drill));
                _enqueued++;
            }

            if (dropped > 0)
            {
                Interlocked.Add(ref _dropped, dropped);
                if (!_stopping)
                {
                    // The writer opens a full episode for these, so the office learns of them.
                    _overflowDropped += dropped;
                    Monitor.Pulse(_queueGate);
                }
            }

            if (wasEmpty && _queue.Count > 0)
            {
                Monitor.Pulse(_queueGate);
            }
        }
    }

    /// <summary>
    /// Completes when every event enqueued before the call has been handled by the writer:
    /// committed, or dropped and counted because the journal was full.
    /// </summary>
    /// <returns>A task that completes then; it faults with <see cref="ObjectDisposedException"/> if the journal is disposed first.</returns>
    public Task FlushAsync()
    {
        lock (_queueGate)
        {
            var target = _enqueued;
            if (_processed >= target)
            {
                return Task.CompletedTask;
            }

            if (Volatile.Read(ref _disposed) != 0 && !_writer.IsAlive)
            {
                return Task.FromException(new ObjectDisposedException(nameof(EventJournal)));
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((target, done));
            return done.Task;
        }
    }

    /// <summary>Records with <c>Seq &gt;= fromSeq</c>, oldest first, at most <paramref name="max"/> (for journal tail/export).</summary>
    /// <param name="fromSeq">First sequence number wanted.</param>
    /// <param name="max">Most records returned; at least 1.</param>
    /// <returns>The records, delivered or not.</returns>
    /// <exception cref="JournalException">SQLite failed or a stored row cannot be read back.</exception>
    public IReadOnlyList<JournalRecord> Read(long fromSeq, int max) => Query(fromSeq, max);

    /// <inheritdoc />
    /// <remarks>Returns records with <c>Seq &gt; max(afterSeq, 0)</c>; pass <see cref="DeliveredThrough"/> to get the undelivered ones.</remarks>
    /// <exception cref="JournalException">SQLite failed or a stored row cannot be read back.</exception>
    public IReadOnlyList<JournalRecord> ReadAfter(long afterSeq, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        // Nothing can follow the largest seq, and + 1 would wrap to the smallest.
        return afterSeq == long.MaxValue ? [] : Query(Math.Max(afterSeq, 0) + 1, max);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seq"/> is negative or beyond <see cref="LastSeq"/>.</exception>
    /// <exception cref="JournalException">The cursor could not be committed; it stays where it was.</exception>
    public void MarkDelivered(long seq)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        var last = LastSeq;
        if (seq > last)
        {
            throw new ArgumentOutOfRangeException(nameof(seq), seq, string.Create(CultureInfo.InvariantCulture, $"Sequence number {seq} has not been journaled; the last one is {last}."));
        }

        if (seq <= DeliveredThrough)
        {
            return;
        }

        _database.InTransaction(transaction =>
        {
            using var command = JournalDatabase.Command(transaction, """
                INSERT INTO outbox (id, delivered_through) VALUES (1, $seq)
                ON CONFLICT (id) DO UPDATE SET delivered_through = max(outbox.delivered_through, excluded.delivered_through);
                """);
            command.Parameters.AddWithValue("$seq", seq);
            command.ExecuteNonQuery();
        });

        var current = Volatile.Read(ref _deliveredThrough);
        while (seq > current)
        {
            var seen = Interlocked.CompareExchange(ref _deliveredThrough, seq, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        if (_isFull)
        {
            // Room may have returned: let the writer record the recovery without waiting for the
            // next event.
            lock (_queueGate)
            {
                _wake = true;
                Monitor.Pulse(_queueGate);
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The journal was disposed before such a record arrived.</exception>
    public async Task WaitForRecordsAfterAsync(long afterSeq, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_signalGate)
            {
                if (LastSeq > afterSeq)
                {
                    return;
                }

                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                signal = _appended.Task;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Increments and returns the persisted session counter (1 on a new gateway). The MQTT client
    /// takes one per connection for its birth and will messages.
    /// </summary>
    /// <returns>The new session number.</returns>
    /// <exception cref="JournalException">The counter could not be committed.</exception>
    public long NextSession() => _database.InTransaction(transaction =>
    {
        using var command = JournalDatabase.Command(transaction, """
            INSERT INTO gateway_meta (id, session, last_seq) VALUES (1, 1, 0)
            ON CONFLICT (id) DO UPDATE SET session = gateway_meta.session + 1
            RETURNING session;
            """);
        return (long)command.ExecuteScalar()!;
    });

    /// <summary>
    /// Applies the retention policy now, completely: deletes delivered records older than
    /// <see cref="JournalLimits.MaxDeliveredAge"/>, then the oldest delivered ones while more than
    /// <see cref="JournalLimits.MaxRecords"/> are kept. Undelivered records are never deleted.
    /// The writer does the same on its own, a chunk at a time; this is for tools and tests.
    /// </summary>
    /// <returns>How many records were deleted.</returns>
    /// <exception cref="JournalException">SQLite failed; what was deleted before stays deleted.</exception>
    public long EnforceRetention()
    {
        lock (_appendGate)
        {
            var now = _time.GetUtcNow();
            long total = 0;
            long deleted;
            do
            {
                deleted = RetentionStep(now, slack: 0);
                total += deleted;
            }
            while (deleted > 0);

            _lastAgeCheck = now;
            return total;
        }
    }

    /// <summary>
    /// Stops taking events, lets the writer drain what is queued (waiting up to 10 s), then closes
    /// the journal's reader connection. The database itself stays open for its owner.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_queueGate)
        {
            _stopping = true;
            Monitor.PulseAll(_queueGate);
        }

        if (!_writer.Join(DrainTimeout))
        {
            Report(new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"The journal writer did not drain its queue within {DrainTimeout.TotalSeconds} s; events still queued are lost.")));
        }

        List<(long Target, TaskCompletionSource Done)> waiting;
        lock (_queueGate)
        {
            waiting = [.. _flushWaiters];
            _flushWaiters.Clear();
        }

        foreach (var (_, done) in waiting)
        {
            done.TrySetException(new ObjectDisposedException(nameof(EventJournal)));
        }

        lock (_signalGate)
        {
            _appended.TrySetException(new ObjectDisposedException(nameof(EventJournal)));
        }

        lock (_readGate)
        {
            _readCommand?.Dispose();
            _readCommand = null;
            _reader?.Dispose();
            _reader = null;
        }
    }

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

    // Plans what to write (the journal's own fault records, then as many events as fit), writes
    // it in one transaction, and moves the full-episode state only once that has committed.
    private void Append(List<Pending> batch, long overflowDropped)
    {
        var raise = new List<DomainEvent>(2);
        lock (_appendGate)
        {
            var now = _time.GetUtcNow();
            if (_full)
            {
                // Deleting delivered records may be what frees the disk.
                TryRetentionStep(now);
            }

            var max = _limits.MaxRecords;
            var undelivered = LastSeq - DeliveredThrough;
            var full = _full;
            var faultJournaled = _faultJournaled;
            var reason = _fullReason;
            var episodeDropped = _episodeDropped;
            long dropped = 0;
            var plan = new List<Pending>(batch.Count + 4);
            var own = new List<DomainEvent>(4);

            // In an episode: write its fault if that has not been possible yet (it fits in the
            // reserve above the limit however full the journal is), then end the episode if there
            // is room again. Runs before the batch and after it.
            void Settle()
            {
                if (full && !faultJournaled && undelivered < max + JournalLimits.FaultReserve)
                {
                    var fault = new JournalFull(now, undelivered, reason);
                    plan.Add(new Pending(fault, false));
                    own.Add(fault);
                    undelivered++;
                    faultJournaled = true;
                }

                if (full && undelivered <= max - ResumeMargin(max))
                {
                    var recovered = new JournalRecovered(now, episodeDropped);
                    plan.Add(new Pending(recovered, false));
                    own.Add(recovered);
                    undelivered++;
                    full = false;
                    faultJournaled = false;
                    episodeDropped = 0;
                }
            }

            void Drop(long count, string why)
            {
                if (!full)
                {
                    full = true;
                    faultJournaled = false;
                    episodeDropped = 0;
                    reason = why;
                }

                episodeDropped += count;
            }

            Settle();
            foreach (var pending in batch)
            {
                if (!full && undelivered < max)
                {
                    plan.Add(pending);
                    undelivered++;
                    continue;
                }

                Drop(1, string.Create(CultureInfo.InvariantCulture, $"{undelivered} events are waiting for delivery, the journal's limit of {max}; new events are dropped and counted until the office catches up"));
                dropped++;
            }

            if (overflowDropped > 0)
            {
                // Dropped by Publish after everything in this batch was queued (already counted in
                // Dropped). The writer has room, so this episode usually ends right away.
                Drop(overflowDropped, string.Create(CultureInfo.InvariantCulture, $"the journal writer fell behind: events beyond its in-memory queue of {QueueCapacity} were dropped"));
            }

            Settle();

            var failed = false;
            if (plan.Count > 0)
            {
                try
                {
                    Write(plan);
                }
#pragma warning disable CA1031 // Whatever stops the write, the controller must not see it: it becomes the fault.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    // Nothing was written: every event of the batch is lost, and the episode (new
                    // or ongoing) says why. Then try to get the fault itself onto disk on its own.
                    Interlocked.Add(ref _dropped, batch.Count);
                    BeginOrExtendEpisode(FailureReason(ex), batch.Count);
                    Report(ex);
                    TryWriteFault(now, raise);
                    failed = true;
                }
            }

            if (!failed)
            {
                Committed(now, full, faultJournaled, reason, episodeDropped, dropped, undelivered, own, raise);
            }
        }

        RaiseAfter(raise);
    }

    // After a successful write (or when there was nothing to write): the episode state moves on
    // and the host hears, once per episode, that it began, and when it ended.
    private void Committed(
        DateTimeOffset now,
        bool full,
        bool faultJournaled,
        string reason,
        long episodeDropped,
        long dropped,
        long undelivered,
        List<DomainEvent> own,
        List<DomainEvent> raise)
    {
        _full = full;
        _faultJournaled = faultJournaled;
        _fullReason = reason;
        _episodeDropped = episodeDropped;
        _isFull = full;
        Interlocked.Add(ref _dropped, dropped);

        // Tell the host once per episode that it began, and when it ended.
        var announced = _faultAnnounced;
        foreach (var domainEvent in own)
        {
            if (domainEvent is JournalRecovered)
            {
                raise.Add(domainEvent);
                announced = false;
            }
            else if (!announced)
            {
                raise.Add(domainEvent);
                announced = true;
            }
        }

        if (full && !announced)
        {
            // No room even for the fault record (reserve used up): the host still hears of it.
            raise.Add(new JournalFull(now, undelivered, reason));
            announced = true;
        }

        _faultAnnounced = announced;
    }

    private static bool IsWriteFailure(Exception ex) =>
        ex is JournalException or SqliteException or ObjectDisposedException or InvalidOperationException;

    private void TryWriteFault(DateTimeOffset now, List<DomainEvent> raise)
    {
        var undelivered = LastSeq - DeliveredThrough;
        var fault = new JournalFull(now, undelivered, _fullReason);
        if (!_faultJournaled && undelivered < _limits.MaxRecords + JournalLimits.FaultReserve)
        {
            try
            {
                Write([new Pending(fault, false)]);
                _faultJournaled = true;
            }
            catch (Exception ex) when (IsWriteFailure(ex))
            {
                // Still no room: the fault stays pending and is written with the next attempt.
                Report(ex);
            }
        }

        if (!_faultAnnounced)
        {
            raise.Add(fault);
            _faultAnnounced = true;
        }
    }

    private void BeginOrExtendEpisode(string reason, long dropped)
    {
        if (!_full)
        {
            _full = true;
            _faultJournaled = false;
            _fullReason = reason;
            _episodeDropped = 0;
            _faultAnnounced = false;
            _isFull = true;
        }

        _episodeDropped += dropped;
    }

    // Resume only with a little room to spare, so a journal at its limit does not flap between
    // full and recovered with every acknowledgement.
    private static long ResumeMargin(long max) => Math.Max(1, max / 100);

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

            var next = first;
            foreach (var row in rows)
            {
                seq.Value = next;
                id.Value = row.Id;
                ts.Value = row.Timestamp;
                mono.Value = Monotonic().Ticks;
                type.Value = row.Type;
                point.Value = (object?)row.Point ?? DBNull.Value;
                zone.Value = (object?)row.Zone ?? DBNull.Value;
                severity.Value = row.Severity;
                drill.Value = row.Drill ? 1L : 0L;
                data.Value = row.Data;
                insert.ExecuteNonQuery();
                next++;
            }

            using var meta = JournalDatabase.Command(transaction, LastSeqSql);
            meta.Parameters.AddWithValue("$last", next - 1);
            meta.ExecuteNonQuery();
            return next - 1;
        });

        Interlocked.Increment(ref _batches);
        TaskCompletionSource signal;
        lock (_signalGate)
        {
            Volatile.Write(ref _lastSeq, last);
            signal = _appended;
            _appended = NewSignal();
        }

        signal.TrySetResult();
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

    private void Housekeep()
    {
        lock (_appendGate)
        {
            var now = _time.GetUtcNow();
            var count = LastSeq - _firstSeq + 1;
            var overLimit = count > _limits.MaxRecords + (_limits.MaxRecords / 64);
            var ageDue = now - _lastAgeCheck >= AgeCheckInterval || now < _lastAgeCheck;
            if (!overLimit && !ageDue && !_retentionBacklog)
            {
                return;
            }

            if (ageDue)
            {
                _lastAgeCheck = now;
            }

            TryRetentionStep(now);
        }
    }

    private void TryRetentionStep(DateTimeOffset now)
    {
        try
        {
            // Over the limit, trim back to it (not to the slack), so the next trim is a while off.
            var deleted = RetentionStep(now, slack: 0);
            _retentionBacklog = deleted >= RetentionChunk;
        }
        catch (Exception ex) when (IsWriteFailure(ex))
        {
            _retentionBacklog = false;
            Report(ex);
        }
    }

    // Deletes one chunk from the front of the table: delivered records that are too old, and the
    // oldest delivered ones while more than MaxRecords + slack are kept. Always a prefix, so the
    // table stays one contiguous range of seq.
    private long RetentionStep(DateTimeOffset now, long slack)
    {
        var first = _firstSeq;
        var last = LastSeq;
        var delivered = DeliveredThrough;
        var chunkEnd = Math.Min(delivered, first + RetentionChunk - 1);
        if (first > last || chunkEnd < first)
        {
            return 0;
        }

        var count = last - first + 1;
        var excess = count - (_limits.MaxRecords + slack);
        var countBound = excess > 0 ? Math.Min(chunkEnd, first + excess - 1) : first - 1;
        var cutoff = now.UtcTicks - DateTimeOffset.MinValue.UtcTicks > _limits.MaxDeliveredAge.Ticks
            ? EventDataWriter.Iso(now - _limits.MaxDeliveredAge)
            : EventDataWriter.Iso(DateTimeOffset.MinValue);

        var (bound, deleted) = _database.InTransaction(transaction =>
        {
            // The first delivered record in the chunk that is still young ends the age prefix.
            using var young = JournalDatabase.Command(transaction, "SELECT seq FROM events WHERE seq >= $first AND seq <= $end AND ts >= $cutoff ORDER BY seq LIMIT 1;");
            young.Parameters.AddWithValue("$first", first);
            young.Parameters.AddWithValue("$end", chunkEnd);
            young.Parameters.AddWithValue("$cutoff", cutoff);
            var firstYoung = young.ExecuteScalar();
            var ageBound = firstYoung is long seq ? seq - 1 : chunkEnd;
            var through = Math.Max(countBound, ageBound);
            if (through < first)
            {
                return (first - 1, 0L);
            }

            using var delete = JournalDatabase.Command(transaction, "DELETE FROM events WHERE seq <= $through;");
            delete.Parameters.AddWithValue("$through", through);
            return (through, (long)delete.ExecuteNonQuery());
        });

        _firstSeq = bound + 1;
        return deleted;
    }

    private IReadOnlyList<JournalRecord> Query(long from, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        lock (_readGate)
        {
            ObjectDisposedException.ThrowIf(_reader is null, this);
            try
            {
                // One prepared statement, reused: the publisher calls this for every batch it sends.
                if (_readCommand is null)
                {
                    _readCommand = _reader.CreateCommand();
                    _readCommand.CommandText = "SELECT seq, id, ts, mono, type, point, zone, severity, drill, data FROM events WHERE seq >= $from ORDER BY seq LIMIT $max;";
                    _readCommand.Parameters.Add("$from", SqliteType.Integer);
                    _readCommand.Parameters.Add("$max", SqliteType.Integer);
                }

                _readCommand.Parameters[0].Value = from;
                _readCommand.Parameters[1].Value = max;
                using var reader = _readCommand.ExecuteReader();
                var records = new List<JournalRecord>(Math.Min(max, 1024));
                while (reader.Read())
                {
                    records.Add(ReadRecord(reader));
                }

                return records;
            }
            catch (SqliteException ex)
            {
                throw JournalException.For(_database.Path, $"reading events failed: {ex.Message}", ex);
            }
        }
    }

    private JournalRecord ReadRecord(SqliteDataReader reader)
    {
        var seq = reader.GetInt64(0);
        var idText = reader.GetString(1);
        var tsText = reader.GetString(2);
        var severityText = reader.GetString(7);
        var drill = reader.GetInt64(8);

        if (!Guid.TryParseExact(idText, "D", out var id))
        {
            throw Corrupt(seq, $"has id '{idText}', not a UUID.");
        }

        if (!DateTimeOffset.TryParseExact(tsText, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var timestamp))
        {
            throw Corrupt(seq, $"has timestamp '{tsText}', not ISO-8601 round-trip text.");
        }

        var severity = EventDataWriter.ParseSeverity(severityText) ?? throw Corrupt(seq, $"has unknown severity '{severityText}'.");

        return new JournalRecord(
            seq,
            id,
            timestamp,
            TimeSpan.FromTicks(reader.GetInt64(3)),
            reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            severity,
            drill != 0,
            reader.GetString(9));
    }

    private JournalException Corrupt(long seq, string problem) =>
        JournalException.For(_database.Path, string.Create(CultureInfo.InvariantCulture, $"event {seq} {problem}"));

    private static string FailureReason(Exception ex)
    {
        var sqlite = ex as SqliteException ?? ex.InnerException as SqliteException;
        var what = (sqlite?.SqliteErrorCode & 0xFF) switch
        {
            SqliteFull => "the disk is full",
            SqliteIoError => "disk I/O error",
            _ => "the journal could not be written",
        };
        return $"{what}: {(sqlite ?? ex).Message}";
    }

    private void RaiseAfter(List<DomainEvent> own)
    {
        if (_onJournalEvent is null)
        {
            return;
        }

        foreach (var domainEvent in own)
        {
            try
            {
                _onJournalEvent(domainEvent);
            }
            catch (Exception ex)
            {
                Report(ex);
            }
        }
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

    private readonly record struct Pending(DomainEvent Event, bool Drill);

    private readonly record struct Row(string Id, string Timestamp, string Type, string? Point, string? Zone, string Severity, bool Drill, string Data);
}
