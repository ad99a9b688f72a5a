using System.Diagnostics;
using EdgeGuard.Core;

namespace EdgeGuard.Journal;

// When the writer commits what callers handed out (EventJournal.Inline.cs). Those events are
// already on their way to the office when the writer wakes. With the broker on the gateway (the
// embedded broker, a local bridge, the bench), a commit started at once (SQLite, the hash chain,
// an fsync: hundreds of microseconds of CPU, more on a VM whose disk costs an exit per request)
// competes for the same cores with the broker and the office's delivery, the very round trip the
// office is waiting on. So while the broker's PUBACKs come back within CommitHold (smoothed over
// recent hand-outs), the writer holds the commit for CommitHold from the first held hand-out, and
// never when anything else needs it: events queued behind (they are written after it), a
// FlushAsync, a stop. With a remote broker the round trip is longer than the hold, nothing on the
// gateway competes with it, and holding would only postpone durability: the writer then commits
// at once, as it always did; a PUBACK that shows the round trip has grown past the hold ends a
// hold in progress.
//
// The PUBACK does not end the hold. Until 2026-12-02 it did, but a local broker sends the PUBACK as
// it delivers the event to the office's subscriber, and a commit started then still competed with
// that delivery: compared inside the same runs, the edge → subscriber p50 was lower without it in
// 8 of 8 runs (docs/PERFORMANCE.md, runs Z14), and the writer wakes once less per event.
//
// The cost of a hold is a longer window in which a power cut loses handed-out events: at most
// CommitHold (and up to 1 ms more: waits count whole milliseconds) more than the commit itself, declared by the next start as a journal.gap
// (unclean-shutdown) exactly as for a cut during the commit. The safety state is not involved: its
// save is a commit of its own, durable before any output moves.
//
// While holding, the writer is not woken when events are handed out: the end of its own wait or
// the hold timer wakes it. A wake-up at hand-out would only make it wait again, on a core the
// broker and the office need for this very PUBLISH.
//
// The writer lingers through a flow of events. For HandOutLinger after the last hand-out, its idle
// wait lasts at most one CommitHold, so a batch handed out meanwhile is committed when its hold
// runs out (rounded up to a whole millisecond) with nothing armed at all. The events of a flow come milliseconds apart (a lockdown's, door
// events in a busy hour, the bench's samples). An idle writer past the linger waits unbounded; the
// first hand-out of a flow then arms the hold timer (a pool thread) for the end of its hold. It
// fires once and stops, unless the writer is back in its unbounded wait with a batch still held.
//
// The linger used to be the hold timer's: it re-armed itself every CommitHold for 50 ms after a
// hand-out. That cost a timer-thread wake, a pool callback and a re-arm per CommitHold through
// every flow (1.25 callbacks per bench sample); the writer's own bounded wait costs one wake-up of
// the writer per CommitHold (docs/PERFORMANCE.md, runs Z13). A test that changes CommitHold during
// a linger waits out the wait begun under the old hold.
//
// Every commit also carries the acknowledged prefix as the delivery cursor when it is ahead of the
// durable one: the PUBACK of a local broker comes well within the hold, so the commit makes that
// PUBACK's cursor durable too, with no cursor-only commit (one more fsync) after it
// (EventJournal.Cursor.cs).
public sealed partial class EventJournal
{
    /// <summary>How long the writer holds the commit of handed-out events while the broker is on the gateway.</summary>
    public static readonly TimeSpan DefaultCommitHold = TimeSpan.FromMilliseconds(2);

    /// <summary>How long after the last hand-out the idle writer waits at most one hold at a time (see above).</summary>
    public static readonly TimeSpan DefaultHandOutLinger = TimeSpan.FromMilliseconds(50);

    private readonly Timer _holdTimer;

    // All under _queueGate. The highest seq the publisher reported acknowledged (in memory); when
    // the oldest batch in _handedOut was handed out (Stopwatch timestamp: the hold runs from then,
    // in real time like the fsync it bounds); when the last batch was handed out (for the writer's
    // linger); whether the writer is in its unbounded idle wait; whether Dispose closed the timer.
    private long _acknowledged;
    private long _handedOutSince;
    private long _lastHandOut;
    private bool _writerWaitsUnbounded;
    private bool _holdTimerClosed;

    // When the pending hold timer is due (Stopwatch timestamp), 0 when none is pending, and how
    // often it was armed. Under _queueGate.
    private long _holdTimerDue;
    private long _holdTimerArms;

    // The hand-out → PUBACK round trip, smoothed (1/8 per sample), in ticks of the journal's clock
    // (a fake one in tests); 0 until measured. One batch at a time is timed: _probeSeq, from _probeAt.
    private long _roundTrip;
    private long _probeSeq;
    private long _probeAt;

    /// <summary>
    /// How long the writer waits, after callers handed events out, before it commits them while the
    /// broker's round trip is within it; <see cref="TimeSpan.Zero"/> commits at once. Tests set it.
    /// </summary>
    internal TimeSpan CommitHold { get; set; } = DefaultCommitHold;

    /// <summary>How long after the last hand-out the idle writer's wait stays bounded by the hold; tests set it.</summary>
    internal TimeSpan HandOutLinger { get; set; } = DefaultHandOutLinger;

    /// <summary>Whether the writer is in its unbounded idle wait, past the linger (for tests).</summary>
    internal bool WriterWaitsUnbounded
    {
        get
        {
            lock (_queueGate)
            {
                return _writerWaitsUnbounded;
            }
        }
    }

    /// <summary>How often the hold timer was armed (for tests).</summary>
    internal long HoldTimerArms
    {
        get
        {
            lock (_queueGate)
            {
                return _holdTimerArms;
            }
        }
    }

    /// <summary>Whether the hold timer is armed (for tests).</summary>
    internal bool HoldTimerPending
    {
        get
        {
            lock (_queueGate)
            {
                return _holdTimerDue != 0;
            }
        }
    }

    /// <summary>True while commits are held: the smoothed hand-out → PUBACK round trip is within <see cref="CommitHold"/>.</summary>
    internal bool HoldsCommits
    {
        get
        {
            var hold = CommitHold;
            return hold > TimeSpan.Zero && TimeSpan.FromSeconds((double)Volatile.Read(ref _roundTrip) / _time.TimestampFrequency) <= hold;
        }
    }

    /// <inheritdoc />
    public void Acknowledged(long seq)
    {
        lock (_queueGate)
        {
            if (seq <= _acknowledged)
            {
                return;
            }

            // Never past what was journaled, whatever a caller claims: the cursor is written from it.
            _acknowledged = Math.Min(seq, LastSeq);
            CursorAhead(); // committed alone if no events come to carry it (EventJournal.Cursor.cs)
            if (_probeSeq != 0 && seq >= _probeSeq)
            {
                MeasuredRoundTrip(_time.GetTimestamp() - _probeAt);
            }

            // Only a round trip that outgrew the hold ends a hold in progress (see above).
            if (_handedOut.Count > 0 && !HoldsCommits)
            {
                Monitor.Pulse(_queueGate);
            }
        }
    }

    // Under _queueGate: a batch handed out now; times it unless another one is being timed.
    private void HandedOut(SequencedBatch batch, bool firstWaiting)
    {
        _lastHandOut = Stopwatch.GetTimestamp();
        if (firstWaiting)
        {
            _handedOutSince = Stopwatch.GetTimestamp();
        }

        if (_probeSeq == 0)
        {
            (_probeSeq, _probeAt) = (batch.Last, _time.GetTimestamp());
        }
    }

    // Under _queueGate. A sample is capped at four holds, so one PUBACK that waited out a broker
    // restart cannot keep commits unheld for long once round trips are short again.
    private void MeasuredRoundTrip(long ticks)
    {
        var cap = (long)(CommitHold.TotalSeconds * 4 * _time.TimestampFrequency);
        var sample = Math.Clamp(ticks, 1, Math.Max(cap, 1));
        var smoothed = _roundTrip == 0 ? sample : _roundTrip + ((sample - _roundTrip) / 8);
        Volatile.Write(ref _roundTrip, smoothed);
        _probeSeq = 0;
    }

    // After a caller handed events out: not holding, wakes the writer now; holding, makes sure the
    // writer wakes by the end of the first waiting batch's hold. A writer that is busy, or lingering
    // in a wait bounded by the hold, will; one in its unbounded idle wait needs the hold timer.
    private void WakeWriterForHandedOut(bool firstWaiting)
    {
        if (!HoldsCommits)
        {
            WakeWriter();
            return;
        }

        if (!firstWaiting)
        {
            return; // whatever wakes the writer for the first batch waiting wakes it for this one
        }

        lock (_queueGate)
        {
            if (_writerWaitsUnbounded)
            {
                ArmHoldTimer();
            }
        }
    }

    // The writer's idle wait while a flow of hand-outs goes on (see above): at most one hold, so a
    // batch handed out during it is committed when its hold runs out. False, without waiting, once the
    // last hand-out is older than HandOutLinger or commits are not held. Caller holds _queueGate.
    private bool LingerForHandOuts()
    {
        // _lastHandOut is 0 until the first hand-out. Stopwatch counts from the machine's boot, so
        // "elapsed since 0" is the uptime: within a linger of a fresh boot it would linger for a
        // hand-out that never happened.
        if (!HoldsCommits || _lastHandOut == 0 || Stopwatch.GetElapsedTime(_lastHandOut) >= HandOutLinger)
        {
            return false;
        }

        Monitor.Wait(_queueGate, TimerDelay.Until(CommitHold));
        return true;
    }

    // Under _queueGate: makes sure a timer fires by the end of the oldest held batch's hold. One
    // already due by then is left as it is.
    private void ArmHoldTimer()
    {
        if (_handedOut.Count == 0)
        {
            return;
        }

        var due = _handedOutSince + HoldTicks();
        if (_holdTimerDue == 0 || _holdTimerDue > due)
        {
            ArmHoldTimerAt(due);
        }
    }

    private long HoldTicks() => (long)(CommitHold.TotalSeconds * Stopwatch.Frequency);

    // Under _queueGate: the hold timer fires at due (a Stopwatch timestamp), or just after.
    private void ArmHoldTimerAt(long due)
    {
        if (_holdTimerClosed)
        {
            return;
        }

        _holdTimerDue = due;
        _holdTimerArms++;
        // Rounded up to whole milliseconds, so it never fires before the hold is over by more than
        // the timer's own millisecond granularity.
        _holdTimer.Change(TimerDelay.Until(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due)), Timeout.InfiniteTimeSpan);
    }

    // The hold timer fired (a pool thread): wakes the writer if the oldest held batch's hold is
    // over, re-arms for it if not. It stops with nothing held (a flush, queued events or a stop had
    // it committed first), and when the writer is busy or lingering: either way it reaches the held
    // batch within its hold by itself.
    private void OnHoldTimer()
    {
        lock (_queueGate)
        {
            _holdTimerDue = 0;
            if (_handedOut.Count == 0 || !_writerWaitsUnbounded)
            {
                return;
            }

            // Less than a timer tick left (a timer may fire up to a tick early): the writer waits out
            // the rest itself (HoldHandedOut), rather than this re-arming a 0 ms timer again and again.
            if (CommitHold - Stopwatch.GetElapsedTime(_handedOutSince) < TimeSpan.FromMilliseconds(1))
            {
                Monitor.Pulse(_queueGate);
                return;
            }

            ArmHoldTimer();
        }
    }

    // From Dispose, even with a writer that did not stop in time: no one arms the timer after this.
    private void CloseHoldTimer()
    {
        lock (_queueGate)
        {
            _holdTimerClosed = true;
        }

        _holdTimer.Dispose();
    }

    private static Timer NewHoldTimer(EventJournal journal) =>
        new(static state => ((EventJournal)state!).OnHoldTimer(), journal, Timeout.Infinite, Timeout.Infinite);

    private void WakeWriter()
    {
        lock (_queueGate)
        {
            Monitor.Pulse(_queueGate);
        }
    }

    // The cursor the next commit writes: the acknowledged prefix when it is ahead of the durable
    // cursor, else 0 (nothing to write).
    private long CursorToPersist()
    {
        long acknowledged;
        lock (_queueGate)
        {
            acknowledged = _acknowledged;
        }

        return acknowledged > DeliveredThrough ? acknowledged : 0;
    }

    // Waits (releasing _queueGate) until the hold has run out since the first batch waiting was
    // handed out, or something needs the commit now; not at all while commits are not held.
    // Caller holds _queueGate.
    private void HoldHandedOut()
    {
        var hold = CommitHold;
        var started = _handedOutSince;
        while (_handedOut.Count > 0 && HoldsCommits
            && _queue.Count == 0 && _flushWaiters.Count == 0 && _overflowDropped == 0 && !_stopping)
        {
            var left = hold - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            // Monitor.Wait counts whole milliseconds: rounded up, never 0 (which would not wait).
            Monitor.Wait(_queueGate, TimerDelay.Until(left));
        }
    }
}
