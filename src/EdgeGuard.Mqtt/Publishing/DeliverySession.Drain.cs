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
    /// meanwhile), in order, and waits for their PUBACKs;
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
