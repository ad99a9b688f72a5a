using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Reports the broker refusing the gateway itself (CONNACK, DISCONNECT with a reason, TLS) as one
/// <see cref="BrokerFault"/> per episode: the first refusal, or a new reason, is reported; the same
/// refusal on every reconnect is not, so a broker that keeps refusing costs one journal record, not
/// one per backoff. The episode ends with <see cref="BrokerFaultRestored"/> once a connection has
/// caught up, or the broker answers an event with a refusal. Called from the publisher's loop and
/// from the MQTT client's disconnect handler.
/// </summary>
internal sealed class BrokerFaultReporter(IEventSink sink, TimeProvider time)
{
    private readonly Lock _gate = new();
    private string? _reason;
    private long _refusals;
    private long _total;

    /// <summary>Every refusal since start, reported or not.</summary>
    public long Refusals => Interlocked.Read(ref _total);

    /// <summary>Records a refusal; returns true when it opened an episode (or changed its reason) and was reported.</summary>
    public bool Refused(string reason)
    {
        Interlocked.Increment(ref _total);
        lock (_gate)
        {
            _refusals++;
            if (string.Equals(reason, _reason, StringComparison.Ordinal))
            {
                return false;
            }

            _reason = reason;
            // Under the lock, so a restore on the loop cannot slip between the fault and its record.
            sink.Publish([new BrokerFault(time.GetUtcNow(), reason)]);
            return true;
        }
    }

    /// <summary>Ends the episode, if one is open: a connection caught up, or the broker answered an event.</summary>
    public void Restored()
    {
        lock (_gate)
        {
            if (_reason is null)
            {
                return;
            }

            sink.Publish([new BrokerFaultRestored(time.GetUtcNow(), _refusals)]);
            _reason = null;
            _refusals = 0;
        }
    }
}
