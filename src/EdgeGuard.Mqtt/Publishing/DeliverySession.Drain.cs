using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Contract;

namespace EdgeGuard.Mqtt.Publishing;

// The orderly stop's delivery (SIGTERM, systemctl stop): the outbox is delivered through its last
// seq, with the session's own pump (the window, PUBACK and refusal rules, the cursor moved only
// over acknowledged prefixes), then offline follows (OutboxPublisher.Availability.cs).
//
// Until 2026-12-05 the stop waited only for the PUBACKs already in flight: everything past the
// window (a panic, a lockdown's events, journaled in the last moments before the stop) waited in
// the journal for the next start, never if the gateway did not come back (decommissioned, a dead
// card), and the office got a plain offline with no word of it.
//
// Events the controller journals while this drain runs are delivered too: each pass goes through
// the last seq as it is when the pass starts, and the drain ends once a pass finds nothing new.
// The controller stops after the publisher (hosted services stop in reverse order) and keeps
// deciding until then, on purpose: a panic pressed during the stop still locks the doors. Waiting
// here for it to stop deciding would wait for something that comes only after this stop returns;
// stopping it first would leave the site undecided for the whole drain. What it journals after
// offline (its own stop: a safety state it could not save) is replayed at the next start, and
// offline's lastSeq and deliveredThrough tell the office whether anything was left behind.
//
// After the events, and before offline, the retained state they left: what a console that
// connects while the gateway is down reads must match the last event. Until 2026-12-05 the drain
// ended with the events: a point refresh the coalescing had put off never went (the door's last
// event said open, its retained state closed), and a stop before the stream (during the went-back
// check or the replay) left no state at all, or a previous process's.
//
// A point's state goes out only once the events that set it are delivered. The controller updates
// its state before it hands the decision's events to the journal, and the journal gives them a
// seq only when its writer is free: behind a commit, or for good behind a hung card (when a
// technician restarts the service). Read while they wait, the state showed a door open that no
// delivered event said (2026-12-05). So the drain reads the state only when nothing waits
// (IOutbox.EventsWaiting), checks the last seq again after reading it, and publishes the points
// from that one reading. Events that stay waiting past JournalWaitAtStop keep every point as its
// topic shows it: behind, which offline's lastSeq and deliveredThrough tell the office, never
// ahead. state/lockdown still goes, ahead of them if need be: it is the site now, what the office
// acts on (the README's "during a replay"). Not closed: the instant between the controller's state
// update and its hand-over (its log lines), far shorter than the state's round trip here; an event
// handed over then is delivered by the next pass, and the points go again after it.
internal sealed partial class DeliverySession
{
    /// <summary>
    /// How long the stop waits for events the journal holds without a seq (its writer busy) before
    /// it sends the retained state without the points: one commit of a card that keeps up.
    /// </summary>
    internal static readonly TimeSpan JournalWaitAtStop = TimeSpan.FromSeconds(1);

    // Set by the drain: no resend is continued (the office asked for it on a live link; the drain
    // ends it first), only the outbox goes out.
    private bool _draining;

    // The drain's one reading of the site's state, from which it publishes the retained state:
    // point states only from it while draining (TryTakeStateRefresh), never from a later decision
    // whose events may not be delivered. Null outside the drain's state passes.
    private SiteState? _stopState;

    /// <summary>The end of the contiguous prefix of events the broker acknowledged.</summary>
    public long AcknowledgedThrough => _acked;

    /// <summary>
    /// On orderly shutdown: ends a resend not finished (or not yet taken), so its
    /// <c>resend.ended</c> is journaled and goes out with the rest; then publishes what the
    /// outbox holds through its last seq (again through the new last seq while records come in
    /// meanwhile), in order, and waits for their PUBACKs; then every retained state topic that
    /// does not show the state they left (<see cref="MarkStateDueAtStop"/>), and their PUBACKs;
    /// all within <paramref name="timeout"/>, which ends it with an
    /// <see cref="OperationCanceledException"/> (the rest is replayed at the next start). Then
    /// waits for the journal to make the cursor durable, at most what is left of
    /// <paramref name="timeout"/> (at least <see cref="CursorWait"/>): a cursor not durable then
    /// lags, and the next start sends what it lags by again (replayed). A link that fails ends it
    /// with that failure.
    /// </summary>
    public async Task DrainAsync(TimeSpan timeout)
    {
        var started = _time.GetTimestamp();
        using var deadline = new CancellationTokenSource(timeout, _time);
        _draining = true;
        ForgetHeadWait();
        // Ended here, not when the session is abandoned after offline: its resend.ended is then
        // journaled before the first pass reads the last seq, so the drain delivers it and
        // offline's lastSeq covers it. Ended at abandon, it came at lastSeq + 1 after an offline
        // that could say nothing was left behind (2026-12-05).
        EndResendAtStop();
        try
        {
            for (var through = _outbox.LastSeq; ; through = _outbox.LastSeq)
            {
                await PumpAsync(through, live: false, deadline.Token).ConfigureAwait(false);
                if (_outbox.LastSeq > through
                    || (_outbox.EventsWaiting && await SequencedAfterAsync(through, deadline.Token).ConfigureAwait(false)))
                {
                    continue; // journaled meanwhile: delivered before the state that follows it
                }

                // Read after the look at the journal, which is looked at again after: a decision
                // whose events were handed over in between is delivered first, or (still without a
                // seq) keeps the points back.
                var current = _state.Current;
                var waiting = _outbox.EventsWaiting;
                if (_outbox.LastSeq > through)
                {
                    continue;
                }

                // Every event through the last seq is acknowledged: the state after them, then
                // its PUBACKs, within the same deadline (a broker that stops answering ends it).
                MarkStateDueAtStop(current, points: !waiting);
                try
                {
                    await PumpAsync(through, live: false, deadline.Token).ConfigureAwait(false);
                }
                finally
                {
                    _stopState = null;
                }

                if (_outbox.LastSeq <= through)
                {
                    break;
                }
            }
        }
        finally
        {
            var left = timeout - _time.GetElapsedTime(started);
            await CursorDurableAtStopAsync(left > CursorWait ? left : CursorWait).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether a record past <paramref name="through"/> becomes readable within
    /// <see cref="JournalWaitAtStop"/>: events the journal held without a seq got one. The drain's
    /// deadline ends the wait with the drain.
    /// </summary>
    private async Task<bool> SequencedAfterAsync(long through, CancellationToken drain)
    {
        using var bound = new CancellationTokenSource(JournalWaitAtStop, _time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(drain, bound.Token);
        try
        {
            await _outbox.WaitForRecordsAfterAsync(through, either.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!drain.IsCancellationRequested)
        {
            return false; // still waiting (a hung card): the state goes without the points
        }
    }

    /// <summary>
    /// Before <c>offline</c>: makes due every retained topic whose last publish in this session
    /// does not show <paramref name="current"/> (the drain's one reading of the state, which the
    /// state pass then publishes), whatever put it off, so that what stays retained while the
    /// gateway is down matches the last event delivered. Points only when
    /// <paramref name="points"/>: false while the journal holds events without a seq, which the
    /// state may already show. Put off by the coalescing (a point
    /// refreshed within StateRefreshInterval), by a stop before the stream (during the went-back
    /// check or the replay, which refreshes nothing per event: the republish after it never
    /// came), by the state check's second look. Only what differs: a stop while streaming costs
    /// the few topics that lag, not one message per point.
    /// </summary>
    private void MarkStateDueAtStop(SiteState? current, bool points)
    {
        _lockdownAheadOfReplay = false; // the replay is over; the comparison below covers lockdown
        DeliveryStateChanged();
        CheckUnheardShown();
        CheckJournalStallShown();
        // Never sent in this session (a stop before the replay's end): a broker that lost its
        // retained store has none, one that kept it may hold a previous process's.
        _pendingDelivery |= !_deliveryPublished;
        if (current is null)
        {
            return; // boot has not completed: there is no state to show
        }

        _stopState = current;
        if (!LockdownShows(current, out _))
        {
            _pendingLockdown = true;
        }

        if (!points)
        {
            // Each stays as its topic shows it (due ones are not taken without _stopState);
            // state/lockdown goes from the state as it is then, as while streaming.
            _stopState = null;
            return;
        }

        // A put-off point whose state is back to what its topic shows needs nothing; the rest are
        // found by the comparison. Refused ones (shown unknown) get one more try, backoff or not:
        // the pass ends when the window is empty, so a broker that keeps refusing costs one each.
        _deferredPoints.Clear();
        foreach (var point in current.Points.Keys)
        {
            if (Topics.IsValidLevel(point)
                && !(_pointPublished.TryGetValue(point, out var published) && published.Shown == PointShown.Of(current, point)))
            {
                _pendingPoints.Add(point);
            }
        }
    }

    // The head's PUBACK wait was made with the session's token, which the stop cancelled: reused,
    // it would end the drain at once. The PUBACK itself is still awaited, with a new wait.
    private void ForgetHeadWait()
    {
        if (_headWait is { } wait)
        {
            InFlightWindow.Observe(wait);
        }

        _headWait = null;
        _headWaitFor = null;
    }
}
