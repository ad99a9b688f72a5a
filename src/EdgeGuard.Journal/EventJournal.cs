using System.Globalization;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// This file: the public surface, the fields every part shares, construction and disposal. The other
// parts, by responsibility: EventJournal.Publish.cs (the controller's side: events into the queue,
// flushing it), EventJournal.Writer.cs (queue drain, sequencing, group commit),
// .Tail.cs (hand-off before the commit, seq reservation, gaps), .Inline.cs (sequencing on the
// caller's thread), .CommitHold.cs (when those are committed; the cursor in each commit),
// .FullPolicy.cs (journal-full episodes), .FromMemory.cs (what a failed commit still hands to the
// publisher), .Outbox.cs (reads, delivery cursor), .Retention.cs (bounded disk), .Gaps.cs (the
// declared gaps a start reads), .StartReads.cs (what a start reads, for the opener to read first).
/// <summary>
/// The gateway's event journal and the MQTT publisher's outbox, in the <c>events</c> table of the
/// journal database. Every domain event gets a 64-bit sequence number (from 1, kept across
/// restarts, never reused; the only jumps are ranges a journal.gap row declares), a UUIDv7 id, its
/// UTC time, the monotonic time of journaling and a drill flag.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Publish(IReadOnlyList{DomainEvent})"/> runs on the controller and never waits for the
/// disk. A dedicated writer thread drains the queue and appends everything waiting in one
/// transaction (group commit, at most <see cref="MaxBatch"/> records), so one fsync covers a whole
/// burst. When the writer holds no queued events (even while it commits), Publish sequences the
/// events itself and wakes the publisher on the caller's thread, leaving only the commit to the
/// writer (EventJournal.Inline.cs).
/// </para>
/// <para>
/// Disk use is bounded by <see cref="JournalLimits"/>: delivered records age out or are trimmed
/// oldest first; undelivered ones are never deleted. When <see cref="JournalLimits.MaxRecords"/>
/// undelivered records are waiting, or SQLite cannot write (disk full, I/O error), new events are
/// dropped and counted, and the journal records one <see cref="JournalFull"/> per episode (a small
/// reserve above the limit keeps room for it). Critical events (a lockdown, a panic button, an
/// output fault) and the clearing of a lockdown are still journaled at the limit, in a reserve of
/// <see cref="JournalLimits.CriticalReserve"/> records above it; once that is used up they are
/// dropped and counted too. While a commit fails having certainly written nothing (a full disk, a
/// failed write such as a card remounted read-only, SQLite refusing to write; not a failed fsync,
/// after which the commit may still be in the file), those events and the episode's fault are
/// handed to the publisher from memory after each failed commit, under seqs inside the durable
/// reservation that the next successful commit (or the next start) declares skipped with a
/// journal.gap; they stay readable in memory until delivered. Once there is room again the journal
/// records <see cref="JournalRecovered"/> with the number dropped before any new event. Nothing
/// here throws into the controller, and a failing writer never takes the process down.
/// </para>
/// </remarks>
public sealed partial class EventJournal : IEventSink, IOutbox, IDisposable
{
    /// <summary>
    /// Most records appended in one transaction. Large enough that the fsync is shared by a whole
    /// burst, small enough that a safety-state save waiting for the write lock waits for tens of
    /// milliseconds at most, not for one huge batch.
    /// </summary>
    public const int MaxBatch = 1024;

    /// <summary>Most events waiting in memory for the writer; beyond this they are dropped and counted.</summary>
    public const int MaxQueued = 262_144;

    /// <summary>How long <see cref="Dispose"/> waits for the writer to drain the queue.</summary>
    /// <remarks>
    /// The host disposes the journal after every service stopped, so this adds to their stop:
    /// systemd's TimeoutStopSec (deploy/edgeguard.service) must hold both, or its SIGKILL lands in
    /// the drain and the events the stop decided last are lost (ShutdownBudgetTests).
    /// </remarks>
    internal static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

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
    // Undelivered records found at open: the reserves lie above this when it is over the limit
    // (JournalLimits.CriticalCeilingAbove), so a limit lowered below the backlog keeps them.
    private long _waitingAtOpen;
    private TimeSpan? _lastAgeCheck; // retention clock; null until the first age check
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
    /// <param name="timeProvider">
    /// Clock for monotonic stamps, retention ages (its monotonic side only) and the journal's own fault events.
    /// </param>
    /// <param name="limits">Retention and capacity; <see cref="JournalLimits.Default"/> when null.</param>
    /// <param name="onError">
    /// Told about every failure of the writer (append, retention) on the writer thread, and about
    /// every stored row delivery could not read back (on the reader's thread), for the host's log.
    /// The journal carries on; exceptions the callback throws are ignored.
    /// </param>
    /// <param name="onJournalEvent">
    /// Told about events the journal raises itself (<see cref="JournalFull"/>,
    /// <see cref="JournalRecovered"/>, <see cref="JournalGap"/>), after it has tried to journal
    /// them, on the writer thread.
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

        var (metaLast, maxSeq, minSeq, delivered, reserved, head) = database.Read(connection =>
        {
            // The declared gaps; a damaged gap row is reported, never a stop (EventJournal.Gaps.cs).
            ReadDeclaredGaps(connection);

            using var command = connection.CreateCommand();
            command.CommandText = ReadHeadSql;
            using var reader = command.ExecuteReader();
            reader.Read();
            return (reader.GetInt64(0), reader.GetInt64(1), reader.IsDBNull(2) ? (long?)null : reader.GetInt64(2), reader.GetInt64(3),
                reader.GetInt64(4), reader.IsDBNull(5) ? null : (byte[])reader.GetValue(5));
        });

        // Retention only deletes delivered records, so even an emptied table leaves the last seq
        // in gateway_meta and in the outbox cursor: the sequence never restarts. The cursor may be
        // past the last committed row (the broker acknowledged a record still being committed).
        var durable = Math.Max(metaLast, maxSeq);
        _lastSeq = Math.Max(durable, delivered);
        _durableSeq = durable;
        _deliveredThrough = delivered;
        _firstSeq = minSeq ?? _lastSeq + 1;
        _tailFirst = _lastSeq + 1;
        _reserved = reserved;
        _nextSeq = _lastSeq + 1;
        // A missing head cannot happen after migration 8, which sets it, but must not stop the journal.
        _chainHead = head ?? JournalChain.Genesis.ToArray();
        if (reserved > durable)
        {
            // The last run handed out seqs up to its reservation and did not stop cleanly: any of
            // them may have reached the office without reaching the disk. Never reuse them.
            // Or its opener raised it past seqs another journal may have used (JournalDatabase.Start.cs).
            _pendingGap = (durable + 1, database.StartGapCause ?? JournalGapCause.UncleanShutdown);
            _nextSeq = Math.Max(reserved, delivered) + 1;
            _wake = true;
        }

        _faultRecorded = database.PendingFault() is not null;
        _waitingAtOpen = Undelivered();
        ResumeEpisode(database);
        ResumeRetentionClock(database);
        _reader = database.OpenConnection();
        _holdTimer = NewHoldTimer(this);
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

    /// <summary>True while the journal is in a full episode and drops new events (all but critical ones, while their reserve lasts).</summary>
    public bool IsFull => _isFull;

    /// <summary>Transactions that appended records since this journal was opened.</summary>
    public long CommittedBatches => Interlocked.Read(ref _batches);

    /// <summary>
    /// Events handed to the journal so far and events its writer has handled (committed, or dropped and
    /// counted): read together, so the difference is what waits. The systemd watchdog uses it to notice
    /// a writer stuck on its disk.
    /// </summary>
    public (long Enqueued, long Handled) Progress
    {
        get
        {
            lock (_queueGate)
            {
                return (_enqueued, _processed);
            }
        }
    }

    /// <summary>Most events waiting for the writer; <see cref="MaxQueued"/> unless a test lowers it.</summary>
    internal int QueueCapacity { get; set; } = MaxQueued;

    /// <summary>The limits this journal keeps to.</summary>
    public JournalLimits Limits => _limits;

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

        CloseHoldTimer();
        CloseCursor();
        ReleaseReservation();
        if (!_writer.IsAlive)
        {
            lock (_appendGate)
            {
                _statements?.Dispose();
                _statements = null;
            }
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

        TaskCompletionSource signal;
        lock (_signalGate)
        {
            signal = _appended;
        }

        // Outside the lock: a waiter's continuation runs on this thread.
        signal.TrySetException(new ObjectDisposedException(nameof(EventJournal)));

        lock (_readGate)
        {
            _readCommand?.Dispose();
            _readCommand = null;
            _readOneCommand?.Dispose();
            _readOneCommand = null;
            _nextSeqCommand?.Dispose();
            _nextSeqCommand = null;
            _reader?.Dispose();
            _reader = null;
        }
    }

    private readonly record struct Pending(DomainEvent Event, bool Drill);
}
