namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Counters the delivery sessions of one publisher share, for its status properties (the console,
/// the benchmarks, the tests). Written on the publisher's loop, read from any thread.
/// </summary>
internal sealed class DeliveryStats
{
    private long _acknowledgedThrough;
    private long _statePublishes;
    private long _sentThrough;
    private long _stateChecks;
    private long _stateResyncs;
    private long _lockdownSentAhead;
    private long _unheardEvents;
    private long _unheardWarnings;
    private long _resendsDone;
    private long _resendsCut;

    /// <summary>Highest seq of the contiguous prefix of events the broker acknowledged; never moves back.</summary>
    public long AcknowledgedThrough => Interlocked.Read(ref _acknowledgedThrough);

    /// <summary>Retained state messages started (lockdown and point state).</summary>
    public long StatePublishes => Interlocked.Read(ref _statePublishes);

    /// <summary>Comparisons of the retained state topics with the site's state.</summary>
    public long StateChecks => Interlocked.Read(ref _stateChecks);

    /// <summary>State topics found out of date with no event to refresh them, so made due.</summary>
    public long StateResyncs => Interlocked.Read(ref _stateResyncs);

    /// <summary>state/lockdown publishes sent ahead of waiting events (a replay, a refused event) because the site changed.</summary>
    public long LockdownSentAhead => Interlocked.Read(ref _lockdownSentAhead);

    /// <summary>Events the broker acknowledged with NoMatchingSubscribers (16): no client subscribed.</summary>
    public long UnheardEvents => Interlocked.Read(ref _unheardEvents);

    /// <summary>Warnings about such events: one per connection that had any.</summary>
    public long UnheardWarnings => Interlocked.Read(ref _unheardWarnings);

    /// <summary>Highest event seq handed to the MQTT client (sent, not necessarily acknowledged).</summary>
    public long SentThrough => Volatile.Read(ref _sentThrough);

    /// <summary>Resends carried out to their last seq.</summary>
    public long ResendsDone => Interlocked.Read(ref _resendsDone);

    /// <summary>Resends ended before their last seq (refused, journal failed, connection ended).</summary>
    public long ResendsCut => Interlocked.Read(ref _resendsCut);

    /// <summary>Counts a resend's end.</summary>
    public void ResendEnded(bool done) => Interlocked.Increment(ref done ? ref _resendsDone : ref _resendsCut);

    /// <summary>Notes the highest event seq handed to the client so far; called in the publisher's send order.</summary>
    public void Sent(long highest) => Volatile.Write(ref _sentThrough, highest);

    public void Acknowledged(long seq)
    {
        var current = Interlocked.Read(ref _acknowledgedThrough);
        while (seq > current)
        {
            var seen = Interlocked.CompareExchange(ref _acknowledgedThrough, seq, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    public void StatePublished() => Interlocked.Increment(ref _statePublishes);

    public void StateChecked() => Interlocked.Increment(ref _stateChecks);

    public void StateResynced() => Interlocked.Increment(ref _stateResyncs);

    public void SentLockdownAhead() => Interlocked.Increment(ref _lockdownSentAhead);

    /// <summary>Counts an event acknowledged with no subscriber, and the warning when one was given for it.</summary>
    public void Unheard(bool warned)
    {
        Interlocked.Increment(ref _unheardEvents);
        if (warned)
        {
            Interlocked.Increment(ref _unheardWarnings);
        }
    }
}
