namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Counters the delivery sessions of one publisher share, for its status properties (the console,
/// the benchmarks, the tests). Written on the publisher's loop, read from any thread.
/// </summary>
internal sealed class DeliveryStats
{
    private long _acknowledgedThrough;
    private long _cursorWrites;
    private long _statePublishes;

    /// <summary>Highest seq of the contiguous prefix of events the broker acknowledged; never moves back.</summary>
    public long AcknowledgedThrough => Interlocked.Read(ref _acknowledgedThrough);

    /// <summary>Delivery cursor writes (<c>MarkDelivered</c> calls that succeeded).</summary>
    public long CursorWrites => Interlocked.Read(ref _cursorWrites);

    /// <summary>Retained state messages started (lockdown and point state).</summary>
    public long StatePublishes => Interlocked.Read(ref _statePublishes);

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

    public void CursorWritten() => Interlocked.Increment(ref _cursorWrites);

    public void StatePublished() => Interlocked.Increment(ref _statePublishes);
}
