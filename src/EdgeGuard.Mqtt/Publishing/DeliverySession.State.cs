using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

// The retained state topics: which are due, and publishing them through the same window as events.
internal sealed partial class DeliverySession
{
    /// <summary>After an event is acknowledged, marks the state topic it changed as due.</summary>
    private void RefreshStateAfter(JournalRecord record)
    {
        if (record.Type.StartsWith("point.", StringComparison.Ordinal) && Topics.IsValidLevel(record.Point))
        {
            _pendingPoints.Add(record.Point!);
        }
        else if (record.Type.StartsWith("lockdown.", StringComparison.Ordinal)
            || record.Type.StartsWith("siren.", StringComparison.Ordinal)
            || record.Type.StartsWith("fire.", StringComparison.Ordinal)
            || string.Equals(record.Type, "gateway.started", StringComparison.Ordinal))
        {
            _pendingLockdown = true;
        }
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
        _pendingPoints.UnionWith(current.Points.Keys.Where(Topics.IsValidLevel));
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
        var (topic, payload) = kind == InFlightKind.LockdownState
            ? (_topics.LockdownState, Payloads.LockdownState(current, _topics, now))
            : (_topics.PointState(point!), Payloads.PointState(point!, current.IsActive(point!), _topics, now));
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(true)
            .WithContentType(Payloads.JsonContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .Build();
        _window.Add(new InFlight(kind, null, point, _client.PublishAsync(message, _linkLost)));
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
            _pendingPoints.Add(point);
        }
    }
}
