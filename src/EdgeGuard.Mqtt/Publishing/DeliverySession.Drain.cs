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
internal sealed partial class DeliverySession
{
    // Set by the drain: no resend is continued (the office asked for it on a live link; the drain
    // ends it first), only the outbox goes out.
    private bool _draining;

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
                if (_outbox.LastSeq > through)
                {
                    continue; // journaled meanwhile: delivered before the state that follows it
                }

                // Every event through the last seq is acknowledged: the state after them, then
                // its PUBACKs, within the same deadline (a broker that stops answering ends it).
                MarkStateDueAtStop();
                await PumpAsync(through, live: false, deadline.Token).ConfigureAwait(false);
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
    /// Before <c>offline</c>: makes due every retained topic whose last publish in this session
    /// does not show the current state, whatever put it off, so that what stays retained while
    /// the gateway is down matches the last event delivered. Put off by the coalescing (a point
    /// refreshed within StateRefreshInterval), by a stop before the stream (during the went-back
    /// check or the replay, which refreshes nothing per event: the republish after it never
    /// came), by the state check's second look. Only what differs: a stop while streaming costs
    /// the few topics that lag, not one message per point.
    /// </summary>
    private void MarkStateDueAtStop()
    {
        _lockdownAheadOfReplay = false; // the replay is over; the comparison below covers lockdown
        DeliveryStateChanged();
        CheckUnheardShown();
        CheckJournalStallShown();
        // Never sent in this session (a stop before the replay's end): a broker that lost its
        // retained store has none, one that kept it may hold a previous process's.
        _pendingDelivery |= !_deliveryPublished;
        if (_state.Current is not { } current)
        {
            return; // boot has not completed: there is no state to show
        }

        if (!LockdownShows(current, out _))
        {
            _pendingLockdown = true;
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
