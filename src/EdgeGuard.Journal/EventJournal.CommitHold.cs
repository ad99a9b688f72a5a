using System.Diagnostics;

namespace EdgeGuard.Journal;

// When the writer commits what callers handed out (EventJournal.Inline.cs). Those events are
// already on their way to the office when the writer wakes; a commit started at once (SQLite,
// the hash chain, an fsync: hundreds of microseconds of CPU) competes for the gateway's two cores
// with the broker and the office's delivery, the very round trip the office is waiting on. So the
// writer holds the commit until the broker has acknowledged the handed-out events, for at most
// CommitHold, and never when anything else needs it: events queued behind (they are written after
// it), a FlushAsync, a stop. The cost is a longer window in which a power cut loses handed-out
// events: at most CommitHold more than the commit itself, and declared by the next start as a
// journal.gap (unclean-shutdown), exactly as for a cut during the commit. Events the office has
// acknowledged are the office's already; the ones it has not are declared, never silently lost.
// The safety state is not involved: its save is a commit of its own, durable before any effect.
//
// The writer is not woken when events are handed out: the PUBACK wakes it (Acknowledged), or, if
// none comes, the hold timer. A wake-up at hand-out would only make it wait again, on one of the
// two cores, at the moment the broker and the office handle the PUBLISH.
//
// Every commit also carries the acknowledged prefix as the delivery cursor when it is ahead of the
// durable one: the commit after a PUBACK then makes that PUBACK's cursor durable too, and the
// publisher's own cursor write (one more fsync, on its loop) is left with nothing to do.
public sealed partial class EventJournal
{
    /// <summary>Longest the writer holds the commit of handed-out events for the broker's PUBACK.</summary>
    public static readonly TimeSpan DefaultCommitHold = TimeSpan.FromMilliseconds(2);

    // Highest seq the publisher reported acknowledged by the broker (under _queueGate; in memory).
    private long _acknowledged;

    // When the oldest batch in _handedOut was handed out (Stopwatch timestamp, under _queueGate):
    // the hold runs from then. The timer wakes the writer when it ends without a PUBACK; real time,
    // like the fsync it bounds, not the journal's (possibly fake) clock.
    private long _handedOutSince;
    private readonly Timer _holdTimer;

    /// <summary>
    /// Longest the writer waits, after callers handed events out, for the broker to acknowledge
    /// them before it commits them; <see cref="TimeSpan.Zero"/> commits at once. Tests set it.
    /// </summary>
    internal TimeSpan CommitHold { get; set; } = DefaultCommitHold;

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
            if (_handedOut.Count > 0 && seq >= _handedOut[^1].Last)
            {
                Monitor.Pulse(_queueGate);
            }
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

    // After a caller handed events out: with no hold, wakes the writer now; else, for the first
    // batch waiting, starts the timer that wakes it when the hold ends. No wake-up now: the writer
    // would only wait again, on a core the broker and the office need for this very PUBLISH.
    private void WakeWriterForHandedOut(bool firstWaiting)
    {
        var hold = CommitHold;
        if (hold <= TimeSpan.Zero)
        {
            lock (_queueGate)
            {
                Monitor.Pulse(_queueGate);
            }
        }
        else if (firstWaiting)
        {
            _holdTimer.Change(hold, Timeout.InfiniteTimeSpan);
        }
    }

    private static Timer NewHoldTimer(EventJournal journal) =>
        new(static state => ((EventJournal)state!).WakeWriter(), journal, Timeout.Infinite, Timeout.Infinite);

    private void WakeWriter()
    {
        lock (_queueGate)
        {
            Monitor.Pulse(_queueGate);
        }
    }

    // Waits (releasing _queueGate) until everything handed out is acknowledged, CommitHold has
    // passed since the wait began, or something needs the commit now. Caller holds _queueGate.
    private void HoldHandedOut()
    {
        var hold = CommitHold;
        var started = _handedOutSince;
        while (_handedOut.Count > 0 && _acknowledged < _handedOut[^1].Last
            && _queue.Count == 0 && _flushWaiters.Count == 0 && _overflowDropped == 0 && !_stopping)
        {
            var left = hold - Stopwatch.GetElapsedTime(started);
            if (left <= TimeSpan.Zero)
            {
                return;
            }

            // Monitor.Wait counts whole milliseconds: round up, never 0 (which would not wait).
            Monitor.Wait(_queueGate, (int)Math.Ceiling(left.TotalMilliseconds));
        }
    }
}
