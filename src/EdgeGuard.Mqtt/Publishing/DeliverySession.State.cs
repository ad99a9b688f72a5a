using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

// The retained state topics: which are due, and publishing them through the same window as events.
// Retained state only needs its latest value, so a point's refreshes are coalesced: at most one
// publish per point per StateRefreshInterval, the later ones deferred until the interval has passed
// and then sent once with the state current at that moment. Without this a burst on many points
// doubles the MQTT messages (one event plus one state each). The first change after a quiet spell
// still goes out right after its event; a reconnect republishes everything at once; lockdown state
// is never deferred (it changes rarely, and it is what the office acts on).
internal sealed partial class DeliverySession
{
    // Points whose refresh waits for its interval, and when each point's state was last published.
    private readonly SortedSet<string> _deferredPoints = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _pointPublishedAt = new(StringComparer.Ordinal);

    // What the last lockdown state published on this connection showed.
    private LockdownView _lockdownShown;

    /// <summary>After an event is acknowledged, marks the state topic it changed as due.</summary>
    private void RefreshStateAfter(JournalRecord record)
    {
        if (record.Type.StartsWith("point.", StringComparison.Ordinal) && Topics.IsValidLevel(record.Point))
        {
            RefreshPoint(record.Point!);
        }
        else if (string.Equals(record.Type, "gateway.rebirth", StringComparison.Ordinal))
        {
            MarkAllStateDirty(); // the office asked for everything again, in order after this event
        }
        else if (!_pendingLockdown && _state.Current is { } current && LockdownView.Of(current) != _lockdownShown)
        {
            // Not a list of event types: one was missed before (evacuation.*, shelter.*, threat.*
            // left the retained mode stale). Whatever the event, the lockdown topic follows the
            // first one acknowledged after what it shows changed. Point events are left out so
            // that a panic's point.activated does not carry the lockdown state ahead of its
            // lockdown.started.
            _pendingLockdown = true;
        }
    }

    private void RefreshPoint(string point)
    {
        if (_pendingPoints.Contains(point) || _deferredPoints.Contains(point))
        {
            return; // already due: its publish reads the state current then, which includes this change
        }

        if (_pointPublishedAt.TryGetValue(point, out var at) && _time.GetElapsedTime(at) < _options.StateRefreshInterval)
        {
            _deferredPoints.Add(point);
        }
        else
        {
            _pendingPoints.Add(point);
        }
    }

    /// <summary>Moves the deferred points whose interval has passed to the due set.</summary>
    private void PromoteDeferredPoints()
    {
        if (_deferredPoints.Count == 0)
        {
            return;
        }

        List<string>? ready = null;
        foreach (var point in _deferredPoints)
        {
            if (_time.GetElapsedTime(_pointPublishedAt[point]) >= _options.StateRefreshInterval)
            {
                (ready ??= []).Add(point);
            }
        }

        foreach (var point in ready ?? [])
        {
            _deferredPoints.Remove(point);
            _pendingPoints.Add(point);
        }
    }

    /// <summary>How long until the earliest deferred point state is due; null when none is deferred.</summary>
    private TimeSpan? NextStateRefreshDueIn()
    {
        // Asked before every idle wait; a SortedSet's enumerator allocates even when it is empty.
        if (_deferredPoints.Count == 0)
        {
            return null;
        }

        TimeSpan? first = null;
        foreach (var point in _deferredPoints)
        {
            var dueIn = _options.StateRefreshInterval - _time.GetElapsedTime(_pointPublishedAt[point]);
            if (first is not { } earliest || dueIn < earliest)
            {
                first = dueIn;
            }
        }

        return first;
    }

    private void MarkAllStateDirty()
    {
        if (_state.Current is not { } current)
        {
            // Boot has not completed: publish everything as soon as the state exists.
            _stateNotYetAvailable = true;
            return;
        }

        _stateNotYetAvailable = false;
        _pendingLockdown = true;
        // Everything goes out now, deferred points included: after a (re)connect the office must
        // see the whole current state without waiting for an interval.
        _pendingPoints.UnionWith(current.Points.Keys.Where(Topics.IsValidLevel));
        _pendingPoints.UnionWith(_deferredPoints);
        _deferredPoints.Clear();
    }

    private void PublishState(InFlightKind kind, string? point)
    {
        var current = _state.Current;
        if (current is null)
        {
            _stateNotYetAvailable = true;
            return;
        }

        var now = _time.GetUtcNow();
        if (kind == InFlightKind.LockdownState)
        {
            _lockdownShown = LockdownView.Of(current);
        }

        var (topic, payload) = kind == InFlightKind.LockdownState
            ? (_topics.LockdownState, Payloads.LockdownState(current, _topics, now))
            : (_topics.PointState(point!), Payloads.PointState(point!, current.IsActive(point!), current.Bypasses.GetValueOrDefault(point!)?.Grant.Until, _topics, now));
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(true)
            .WithContentType(Payloads.JsonContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .Build();
        // Counted first: the PUBLISH may leave (and reach a subscriber) before PublishAsync returns.
        _stats.StatePublished();
        _window.Add(new InFlight(kind, null, point, _packetLimit.RefuseIfTooLarge(message) ?? _client.PublishAsync(message)));
        if (point is not null)
        {
            _pointPublishedAt[point] = _time.GetTimestamp();
        }
    }

    private bool TryTakeStateRefresh(out InFlightKind kind, out string? point)
    {
        if (_pendingLockdown)
        {
            _pendingLockdown = false;
            (kind, point) = (InFlightKind.LockdownState, null);
            return true;
        }

        if (_pendingPoints.Count > 0)
        {
            var first = _pendingPoints.Min!;
            _pendingPoints.Remove(first);
            (kind, point) = (InFlightKind.PointState, first);
            return true;
        }

        (kind, point) = (default, null);
        return false;
    }

    private void RequeueState(InFlight state)
    {
        if (state.Kind == InFlightKind.LockdownState)
        {
            _pendingLockdown = true;
        }
        else if (state.Point is { } point)
        {
            _deferredPoints.Remove(point);
            _pendingPoints.Add(point);
        }
    }

    /// <summary>Every field of <see cref="SiteState"/> that the lockdown state topic shows.</summary>
    private readonly record struct LockdownView(SiteMode Mode, LockdownInfo? Lockdown, bool SirenSounding, bool FireEgressReleased, int ThreatLevel)
    {
        public static LockdownView Of(SiteState state) =>
            new(state.Mode, state.Lockdown, state.SirenSounding, state.FireEgressReleased, state.ThreatLevel);
    }
}
