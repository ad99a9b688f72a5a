using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Reports the broker refusing the gateway itself (CONNACK, DISCONNECT with a reason, TLS) as one
/// <see cref="BrokerFault"/> per episode: the first refusal, or a new reason, is reported; the same
/// refusal on every reconnect is not, so a broker that keeps refusing costs one journal record, not
/// one per backoff. The same is the same <see cref="BrokerRefusal.Key"/>, not the same words: those
/// may carry the gateway's clock or a broker's counter, different at every attempt. The episode ends with <see cref="BrokerFaultRestored"/> once a connection has
/// caught up, or the broker answers an event with a refusal. A refused birth (<c>online</c>) is a
/// refusal too, and it keeps the episode open until a birth is accepted: the broker drops a will
/// on a topic the gateway may not publish, so until then the office cannot learn that the gateway
/// went dark, however well its events flow. Called from the publisher's loop, the birth's retries
/// and the MQTT client's disconnect handler.
/// </summary>
internal sealed class BrokerFaultReporter(IEventSink sink, TimeProvider time)
{
    private readonly Lock _gate = new();
    // The open episode's reason's key; null: no episode.
    private string? _reason;
    private bool _birthRefused;
    private bool _restoreDeferred;
    private long _refusals;
    private long _total;

    /// <summary>Every refusal since start, reported or not.</summary>
    public long Refusals => Interlocked.Read(ref _total);

    /// <summary>Records a refusal whose words are its key (<see cref="BrokerRefusal.Stable"/>).</summary>
    public bool Refused(string reason) => Refused(BrokerRefusal.Stable(reason));

    /// <summary>
    /// Records a refusal; returns true when it opened an episode (or changed its reason's key) and
    /// was reported, in its own words.
    /// </summary>
    public bool Refused(BrokerRefusal refusal)
    {
        Interlocked.Increment(ref _total);
        lock (_gate)
        {
            _refusals++;
            if (string.Equals(refusal.Key, _reason, StringComparison.Ordinal))
            {
                return false;
            }

            _reason = refusal.Key;
            // Under the lock, so a restore on the loop cannot slip between the fault and its record.
            sink.Publish([new BrokerFault(time.GetUtcNow(), refusal.Text)]);
            return true;
        }
    }

    /// <summary>Whether the last birth the broker answered was refused.</summary>
    public bool BirthRefused
    {
        get
        {
            lock (_gate)
            {
                return _birthRefused;
            }
        }
    }

    /// <summary>
    /// Records a refused birth: a refusal like <see cref="Refused(BrokerRefusal)"/>, and the episode stays open
    /// through catch-ups until <see cref="BirthAccepted"/>.
    /// </summary>
    public bool RefusedBirth(BrokerRefusal refusal)
    {
        lock (_gate)
        {
            _birthRefused = true;
        }

        return Refused(refusal);
    }

    /// <summary>
    /// A birth was accepted: a refused one no longer holds the episode open, and the episode ends
    /// now if this connection has caught up meanwhile (its <see cref="Restored"/> was deferred).
    /// </summary>
    public void BirthAccepted()
    {
        lock (_gate)
        {
            _birthRefused = false;
            if (_restoreDeferred)
            {
                _restoreDeferred = false;
                RestoreLocked();
            }
        }
    }

    /// <summary>A new connection is up: a catch-up of an earlier one no longer ends the episode.</summary>
    public void Connected()
    {
        lock (_gate)
        {
            _restoreDeferred = false;
        }
    }

    /// <summary>
    /// Ends the episode, if one is open: a connection caught up, or the broker answered an event.
    /// Not while the broker refuses the birth (see <see cref="RefusedBirth"/>).
    /// </summary>
    public void Restored()
    {
        lock (_gate)
        {
            if (_birthRefused)
            {
                // The birth's retry ends it once the broker accepts it (BirthAccepted).
                _restoreDeferred = _reason is not null;
                return;
            }

            RestoreLocked();
        }
    }

    // Under the lock, so a refusal cannot slip between the record and the reset.
    private void RestoreLocked()
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
