using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Reports a refused event as one <see cref="DeliveryFault"/> per episode: the first refusal of a
/// sequence number (or a new reason for it) is reported; retries of the same refusal, across
/// reconnects too, are not. The episode ends when that record is delivered.
/// </summary>
internal sealed class DeliveryFaultReporter(IEventSink sink, TimeProvider time)
{
    private readonly Lock _gate = new();
    private long _seq;
    private string? _reason;
    private long _reported;
    private long _refusals;

    /// <summary>How many faults were reported.</summary>
    public long Reported => Interlocked.Read(ref _reported);

    /// <summary>Every refused publish of an event, retries included.</summary>
    public long Refusals => Interlocked.Read(ref _refusals);

    /// <summary>Whether an episode is open (a record is being refused).</summary>
    public bool InEpisode
    {
        get
        {
            lock (_gate)
            {
                return _reason is not null;
            }
        }
    }

    /// <summary>Records a refusal; returns true when it opened a new episode and was reported.</summary>
    public bool Refused(long seq, string reason)
    {
        Interlocked.Increment(ref _refusals);
        lock (_gate)
        {
            if (seq == _seq && string.Equals(reason, _reason, StringComparison.Ordinal))
            {
                return false;
            }

            _seq = seq;
            _reason = reason;
        }

        Interlocked.Increment(ref _reported);
        sink.Publish([new DeliveryFault(time.GetUtcNow(), seq, reason)]);
        return true;
    }

    /// <summary>Closes the episode once the refused record (or a later one) is delivered.</summary>
    public void Delivered(long seq)
    {
        lock (_gate)
        {
            if (_reason is not null && seq >= _seq)
            {
                _reason = null;
                _seq = 0;
            }
        }
    }
}
