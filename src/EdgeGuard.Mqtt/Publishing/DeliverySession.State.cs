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
    // Points whose refresh waits for its interval, and each point's last publish: when, and what it
    // showed (what the state check compares, DeliverySession.Resync.cs).
    private readonly SortedSet<string> _deferredPoints = new(StringComparer.Ordinal);
    // (Shown null: forgotten, its publish refused: DeliverySession.Refusals.cs.)
    private readonly Dictionary<string, (long At, PointShown? Shown)> _pointPublished = new(StringComparer.Ordinal);
    // Starts the birth online again (OutboxPublisher, BirthAgain); null: not this session's.
    private readonly Action? _rebirth;

    /// <summary>After an event is acknowledged, marks the state topic it changed as due.</summary>
    private void RefreshStateAfter(JournalRecord record)
    {
        if (record.Type.StartsWith("point.", StringComparison.Ordinal) && Topics.IsValidLevel(record.Point))
        {
            RefreshPoint(record.Point!);
        }
        else if (string.Equals(record.Type, "gateway.rebirth", StringComparison.Ordinal))
        {
            // The office asked for everything again, in order after this event: availability
            // first (a late will may have left offline retained), started now so it goes out ahead
            // of the state topics, which this pass only marks due.
            _rebirth?.Invoke();
            MarkAllStateDirty();
            _pendingDelivery = true;
        }
        else if (string.Equals(record.Type, "gateway.started", StringComparison.Ordinal) || ChangesLockdownTopic(record.Type))
        {
            _pendingLockdown = true;
        }
    }

    // The event types after which state/lockdown is republished, so that it follows the event that
    // changed it: every mode's (from ModeTypes: a list of literals once missed evacuation.* and
    // shelter.*) and those of the other fields it shows (siren, its acknowledgement, fire release,
    // threat level). Not every event: a command.received acknowledged after the controller acted
    // would carry the new state ahead of the lockdown.started it caused.
    private static readonly string[] LockdownTopicPrefixes =
        [.. Enum.GetValues<SiteMode>().Select(mode => ModeTypes.Prefix(mode) + ".").Distinct(StringComparer.Ordinal), "siren.", "alarm.", "fire.", "threat."];

    private static bool ChangesLockdownTopic(string type)
    {
        foreach (var prefix in LockdownTopicPrefixes)
        {
            if (type.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private void RefreshPoint(string point)
    {
        if (_state.Current is not { } current)
        {
            _stateNotYetAvailable = true; // everything goes out once the state exists
            return;
        }

        if (!current.Points.ContainsKey(point))
        {
            // An event of a point the config no longer has (journaled before the technician
            // removed or renamed it, replayed after the restart): the event goes out, but its
            // retained state would stand for a point that does not exist, open forever for every
            // console that connects later (OutboxPublisher.StalePoints.cs deletes such copies).
            return;
        }

        if (_pendingPoints.Contains(point) || _deferredPoints.Contains(point))
        {
            return; // already due: its publish reads the state current then, which includes this change
        }

        if (_pointPublished.TryGetValue(point, out var published) && _time.GetElapsedTime(published.At) < _options.StateRefreshInterval)
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
            if (_time.GetElapsedTime(_pointPublished[point].At) >= _options.StateRefreshInterval)
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
            var dueIn = _options.StateRefreshInterval - _time.GetElapsedTime(_pointPublished[point].At);
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
        if (kind == InFlightKind.DeliveryState)
        {
            PublishDeliveryState(); // from the delivery episode, not the site's state
            return;
        }

        // At the stop, the drain's reading: the points show no decision it has not delivered.
        var current = _stopState ?? _state.Current;
        if (current is null)
        {
            _stateNotYetAvailable = true;
            return;
        }

        var now = _time.GetUtcNow();
        var shown = point is null ? default : PointShown.Of(current, point);
        var (topic, payload) = kind == InFlightKind.LockdownState
            ? (_topics.LockdownState, Payloads.LockdownState(current, _topics, now))
            : (_topics.PointState(point!), Payloads.PointState(point!, shown.Active, shown.BypassedUntil, _topics, now));
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
        // What the topic carries from now on, for the state check: noted when sent, not on its
        // PUBACK, so a broker that refuses state topics is not sent them again at every check.
        if (point is not null)
        {
            _pointPublished[point] = (_time.GetTimestamp(), shown);
            ForgetPointSuspect(point);
        }
        else
        {
            LockdownPublishedFrom(current);
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

        if (_pendingDelivery)
        {
            _pendingDelivery = false;
            (kind, point) = (InFlightKind.DeliveryState, null);
            return true;
        }

        // While draining, points only in the state pass, from its reading (DeliverySession.Drain.cs):
        // a refresh after an event read now could show a decision whose events wait unsequenced.
        if (_pendingPoints.Count > 0 && (!_draining || _stopState is not null))
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
        else if (state.Kind == InFlightKind.DeliveryState)
        {
            _pendingDelivery = true;
        }
        else if (state.Kind == InFlightKind.Resend)
        {
            ResentAbandoned(state); // sent again after the refused live event
        }
        else if (state.Point is { } point)
        {
            _deferredPoints.Remove(point);
            _pendingPoints.Add(point);
        }
    }
}
