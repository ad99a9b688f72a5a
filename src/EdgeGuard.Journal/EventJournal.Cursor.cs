using System.Globalization;
using EdgeGuard.Core;

namespace EdgeGuard.Journal;

// The delivery cursor's durability, all on the writer thread. The publisher only tells the journal
// in memory what the broker acknowledged (Acknowledged); it never writes the cursor itself. Every
// commit of events carries the acknowledged prefix (Transaction). When no events come to carry it,
// the idle writer commits the cursor alone once the prefix has been ahead of the durable cursor for
// CursorWriteInterval, or by CursorWriteBatch PUBACKs: after a crash the cursor is then at most
// ~250 ms or 255 events behind, and those are sent again (replayed: true).
//
// Why not on the publisher's loop, as before 2026-12-04: that commit's fsync takes as long as the
// disk does. A single door event is the common case: the writer commits it, the PUBACK comes, and
// 250 ms later the cursor is the last write of the burst, alone. On an SD card that hangs then, the
// publisher's loop hung with it: no state/lockdown refresh, no journal-stalled, no reconnect, no
// offline at a stop. The writer hung on the card is what the stall detection watches anyway.
//
// A cursor-only commit never delays an event: it runs only when nothing is handed out or queued,
// it takes neither _appendGate nor _writerBusy, so an event published meanwhile is handed out to the
// publisher at once and its commit waits only for this one, as it would for any commit. While
// events flow it does not run at all: their commits carry the cursor.
//
// A failed cursor-only commit is retried an interval later (a backoff, not a loop on a failing
// disk). onError hears the first failure of an episode and, once a commit carries the cursor
// again, one recovery, as the old publisher logged a busy cursor once: a card failing for an hour
// is two lines in the log, not 14,400. A stop, or a waiter at the stop, does not wait out the
// backoff: the final cursor commit is tried anyway.
public sealed partial class EventJournal
{
    /// <summary>The longest the acknowledged prefix waits, without events to carry it, for its own commit.</summary>
    public static readonly TimeSpan DefaultCursorWriteInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How many acknowledged events make a cursor-only commit due before the interval.</summary>
    public const int DefaultCursorWriteBatch = 256;

    private readonly List<(long Seq, TaskCompletionSource Done)> _cursorWaiters = [];
    private ITimer? _cursorTimer;

    // Under _queueGate: whether the acknowledged prefix is ahead of the durable cursor and since
    // when (a timestamp of _time); when the last cursor-only commit failed (retried an interval
    // later, not in a loop on a failing disk), and how many failed since the cursor last moved
    // (the episode: only its first failure and its end are reported).
    private bool _cursorBehind;
    private long _cursorBehindSince;
    private long? _cursorFailedAt;
    private long _cursorFailures;

    // Read from any thread (Interlocked).
    private long _cursorCommits;

    /// <summary>How long the acknowledged prefix may wait for a cursor-only commit; tests set it.</summary>
    internal TimeSpan CursorWriteInterval { get; set; } = DefaultCursorWriteInterval;

    /// <summary>How many acknowledged events make a cursor-only commit due at once; tests set it.</summary>
    internal int CursorWriteBatch { get; set; } = DefaultCursorWriteBatch;

    /// <summary>
    /// Called on the writer thread inside a cursor-only commit, before it commits, with the
    /// cursor. Lets a test hold the writer there, as a card hung in that fsync would; null in
    /// production.
    /// </summary>
    internal Action<long>? BeforeCursorCommit { get; set; }

    /// <summary>
    /// Commits that wrote only the delivery cursor (no events came to carry it) since the journal
    /// opened. Each is one fsync on the writer thread.
    /// </summary>
    public long CursorCommits => Interlocked.Read(ref _cursorCommits);

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seq"/> is negative or beyond <see cref="LastSeq"/>.</exception>
    public Task CursorDurableAsync(long seq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        var last = LastSeq;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seq, last);
        lock (_queueGate)
        {
            if (DeliveredThrough >= seq)
            {
                return Task.CompletedTask;
            }

            if (Volatile.Read(ref _disposed) != 0)
            {
                return Task.FromException(new ObjectDisposedException(nameof(EventJournal)));
            }

            if (seq > _acknowledged)
            {
                _acknowledged = seq;
            }

            CursorAhead();
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _cursorWaiters.Add((seq, done));
            Monitor.Pulse(_queueGate); // a waiter makes the commit due now (CursorCommitDue)
            return done.Task;
        }
    }

    // Under _queueGate, after _acknowledged moved: starts the interval when the prefix just went
    // ahead of the durable cursor, and wakes the writer when a batch of PUBACKs is waiting.
    private void CursorAhead()
    {
        var durable = DeliveredThrough;
        if (_acknowledged <= durable)
        {
            return;
        }

        if (!_cursorBehind)
        {
            _cursorBehind = true;
            _cursorBehindSince = _time.GetTimestamp();
            ArmCursorTimer(CursorWriteInterval);
        }

        if (_acknowledged - durable >= CursorWriteBatch)
        {
            Monitor.Pulse(_queueGate);
        }
    }

    // Under _queueGate: whether the idle writer should commit the cursor alone now. A stop does
    // not wait out a failure's backoff: it is the writer's last chance to save the cursor.
    private bool CursorCommitDue()
    {
        if (!_cursorBehind || _acknowledged <= DeliveredThrough)
        {
            return false;
        }

        if (_stopping)
        {
            return true;
        }

        if (_cursorFailedAt is { } failed && _time.GetElapsedTime(failed) < CursorWriteInterval)
        {
            return false;
        }

        return _cursorWaiters.Count > 0
            || _acknowledged - DeliveredThrough >= CursorWriteBatch
            || _time.GetElapsedTime(_cursorBehindSince) >= CursorWriteInterval;
    }

    // The writer's cursor-only commit. A failure is retried an interval later and reported only
    // when it starts an episode; the cursor lags meanwhile (a restart resends what it lags by),
    // and whoever waits for it hears.
    private void CommitCursor()
    {
        var capturedAt = _time.GetTimestamp();
        var cursor = CursorToPersist();
        if (cursor == 0)
        {
            return;
        }

        try
        {
            _database.InTransaction(transaction =>
            {
                WriteCursor(transaction, cursor);
                BeforeCursorCommit?.Invoke(cursor);
            });
        }
#pragma warning disable CA1031 // The writer lives on; the cursor only lags.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (CursorCommitFailed(ex))
            {
                Report(JournalException.For(_database.Path, string.Create(
                    CultureInfo.InvariantCulture,
                    $"could not commit the delivery cursor ({ex.InnerException?.Message ?? ex.Message}): it lags (a restart resends what it lags by) and is retried every {CursorWriteInterval.TotalMilliseconds} ms; reported again once it is durable"), ex));
            }

            return;
        }

        Interlocked.Increment(ref _cursorCommits);
        AdvanceDelivered(cursor, capturedAt);
    }

    // True when this failure starts an episode (the first since the cursor last moved).
    private bool CursorCommitFailed(Exception ex)
    {
        List<(long Seq, TaskCompletionSource Done)> failed;
        bool first;
        lock (_queueGate)
        {
            first = _cursorFailures++ == 0;
            _cursorFailedAt = _time.GetTimestamp();
            ArmCursorTimer(CursorWriteInterval);
            failed = [.. _cursorWaiters];
            _cursorWaiters.Clear();
        }

        foreach (var (_, done) in failed)
        {
            done.TrySetException(ex);
        }

        return first;
    }

    // After the durable cursor moved (any commit that carried it, or MarkDelivered): waiters it
    // satisfies complete, acknowledgements that came during the commit (after capturedAt) start
    // the next interval from then, and an episode of failed cursor-only commits ends (reported).
    private void CursorMoved(long capturedAt)
    {
        List<TaskCompletionSource>? done = null;
        long durable;
        long failures;
        lock (_queueGate)
        {
            durable = DeliveredThrough;
            failures = _cursorFailures;
            _cursorFailures = 0;
            _cursorFailedAt = null;
            for (var i = _cursorWaiters.Count - 1; i >= 0; i--)
            {
                if (_cursorWaiters[i].Seq <= durable)
                {
                    (done ??= []).Add(_cursorWaiters[i].Done);
                    _cursorWaiters.RemoveAt(i);
                }
            }

            _cursorBehind = false;
            if (_acknowledged > durable)
            {
                _cursorBehind = true;
                _cursorBehindSince = capturedAt;
                ArmCursorTimer(CursorWriteInterval - _time.GetElapsedTime(capturedAt));
            }
            else
            {
                // Caught up (usually a commit of events carried it): no pool callback 250 ms on
                // for nothing after every event.
                _cursorTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        if (done is not null)
        {
            foreach (var waiter in done)
            {
                waiter.TrySetResult();
            }
        }

        if (failures > 0)
        {
            Report(JournalException.For(_database.Path, string.Create(
                CultureInfo.InvariantCulture,
                $"the delivery cursor is durable again (through seq {durable}) after {failures} failed cursor-only commit(s)")));
        }
    }

    // Under _queueGate: a timer of _time wakes the writer when the interval runs out, so a fake
    // clock drives it in tests as the real one does in the field.
    private void ArmCursorTimer(TimeSpan due)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        _cursorTimer ??= _time.CreateTimer(static state => ((EventJournal)state!).OnCursorTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _cursorTimer.Change(due > TimeSpan.Zero ? TimerDelay.Until(due) : TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    // The interval ran out: wakes the writer. A timer that fired before the commit is due (a tick
    // of granularity early, or during a failure's backoff even with a waiter or a batch) waits out
    // the rest: a pulse then would find nothing due, and the writer would sleep to its idle wake
    // (30 s) with the cursor behind and nothing left to wake it.
    private void OnCursorTimer()
    {
        lock (_queueGate)
        {
            if (!_cursorBehind)
            {
                return;
            }

            var left = CursorWriteInterval - _time.GetElapsedTime(_cursorBehindSince);
            if (_cursorFailedAt is { } failed)
            {
                left = TimeSpan.FromTicks(Math.Max(left.Ticks, (CursorWriteInterval - _time.GetElapsedTime(failed)).Ticks));
            }

            if (!CursorCommitDue())
            {
                if (left > TimeSpan.Zero)
                {
                    ArmCursorTimer(left);
                }

                return;
            }

            Monitor.Pulse(_queueGate);
        }
    }

    // From Dispose, after the writer's last round: no one arms the timer or waits after this.
    private void CloseCursor()
    {
        List<(long Seq, TaskCompletionSource Done)> left;
        ITimer? timer;
        lock (_queueGate)
        {
            timer = _cursorTimer;
            _cursorTimer = null;
            left = [.. _cursorWaiters];
            _cursorWaiters.Clear();
        }

        timer?.Dispose();
        foreach (var (_, done) in left)
        {
            done.TrySetException(new ObjectDisposedException(nameof(EventJournal)));
        }
    }
}
