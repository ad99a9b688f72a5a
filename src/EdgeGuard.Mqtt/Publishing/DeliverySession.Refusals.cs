using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

// What the broker refuses, and what the office is told of it.
//
// An event refused at the head blocks every event behind it, its own fault.delivery among them
// (journaled at a higher seq). A refusal for what the message is (too large, payload format
// invalid, topic name invalid) can never succeed: once the event is refused again when sent
// alone, a stub goes in its place, at its seq, and the stream moves on; the journal keeps the
// full record. One over the broker's announced Maximum Packet Size is refused here, before it
// leaves (PacketSizeLimit): nothing is sent behind it, and its stub goes at once. Any refusal,
// transient ones too, shows on the retained state/delivery at once, out of band. A refused
// retained state message is forgotten (what its topic shows is unknown), so the state check sends
// it again, with the reconnect backoff, and a fault is reported once per topic.
internal sealed partial class DeliverySession
{
    // What state/delivery last carried in this session (noted when sent; null: not yet), and
    // whether it must be sent again.
    private DeliveryStatus? _deliveryShown;
    private bool _pendingDelivery;

    // Whether state/delivery was sent in this session: _deliveryShown starts with a refusal still
    // open, which the broker may no longer hold (DeliverySession.Drain.cs).
    private bool _deliveryPublished;

    // Retained state topics the broker refused: refusals in a row, and when to try again.
    private readonly Dictionary<string, (int Refusals, long RetryAt)> _stateRetries = new(StringComparer.Ordinal);

    private async Task OnRefusedAsync(JournalRecord record, MqttClientPublishResult result, CancellationToken cancellationToken)
    {
        var refusal = Refusal(result).Prefixed("broker refused the event: ");
        var reason = refusal.Text;
        // A retry is sent alone: a refusal now is the message's own. So is one PacketSizeLimit
        // made before the PUBLISH left: its stub goes at once, no backoff, nothing reordered.
        var sentAlone = _retryingRefused || record.Seq == _refusedLocally;
        _refusedLocally = 0; // sent again after the stub or the backoff: checked again then
        if (_faults.Refused(record.Seq, refusal))
        {
            LogRefused(record.Seq, record.Type, reason);
        }

        // A broker that answers an event has let the gateway in: a broker fault before this ends
        // here, though the refused event holds the catch-up back. From now on it is this event's
        // fault. An acknowledged event ends nothing: a broker that cuts the gateway off in the
        // middle of every replay (message rate too high) keeps one episode open.
        _brokerFaults.Restored();

        // Records behind the refused one are sent again after it: order is never given up.
        foreach (var state in _window.Abandon())
        {
            RequeueState(state);
        }

        _buffer = [];
        _bufferIndex = 0;
        _sent = _acked;
        _retryingRefused = true;
        DeliveryStateChanged();
        PublishDueDeliveryState(); // the window is empty: the office learns of it now, not after the wait
        if (sentAlone && RefusedForWhatItIs(result.ReasonCode) && _faults.WithheldReason(record.Seq) is null)
        {
            // It can never succeed: its stub goes at once, alone, and the stream moves on.
            _faults.Withhold(record.Seq, Describe(result));
            LogWithheld(record.Seq, record.Type, reason);
            return;
        }

        var delay = ReconnectBackoff.Delay(_refusals++, _options.ReconnectDelayMin, _options.ReconnectDelayMax, Random.Shared.NextDouble());
        await WaitOutRefusalAsync(delay, cancellationToken).ConfigureAwait(false);
    }

    // MQTT 5 reason codes that refuse a message for what it is, not for the moment: 144 topic name
    // invalid, 149 packet too large (the broker's message_size_limit, or PacketSizeLimit locally),
    // 153 payload format invalid. 135 (not authorised) and 151 (quota exceeded) may pass later.
    private static bool RefusedForWhatItIs(MqttClientPublishReasonCode code) => (int)code is 144 or 149 or 153;

    /// <summary>Makes state/delivery due when it no longer shows the episode (or its end), or the unheard range's start.</summary>
    private void DeliveryStateChanged()
    {
        if (_deliveryShown != _faults.Status || _faults.UnheardVersion != _unheardShownVersion)
        {
            _pendingDelivery = true;
        }
    }

    private void PublishDueDeliveryState()
    {
        if (_pendingDelivery && !_window.IsFull)
        {
            _pendingDelivery = false;
            PublishDeliveryState();
        }
    }

    private void PublishDeliveryState()
    {
        var status = _faults.Status;
        var unheardVersion = _faults.UnheardVersion; // before the range: a change after it makes it due again
        var unheard = _faults.Unheard;
        var stall = _journalStalls?.Stall;
        var now = _time.GetUtcNow();
        var payload = status.IsRefused
            ? Payloads.DeliveryState(_topics, status.Seq, status.Reason, status.Since, unheard, stall, now)
            : Payloads.DeliveryState(_topics, null, null, null, unheard, stall, now);
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_topics.DeliveryState)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(true)
            .WithContentType(Payloads.JsonContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .Build();
        _window.Add(new InFlight(InFlightKind.DeliveryState, null, null, _packetLimit.RefuseIfTooLarge(message) ?? _client.PublishAsync(message)));
        _deliveryShown = status; // noted when sent: a refusal of this message is not sent again
        _deliveryPublished = true;
        UnheardPublished(unheard, unheardVersion);
        _journalStallShown = stall;
    }

    /// <summary>
    /// A non-success PUBACK for retained state. state/delivery is only logged: sending it again
    /// could loop. Lockdown and point state are forgotten, so the state check sends them again
    /// once their backoff has passed; a fault is reported once per topic episode.
    /// </summary>
    private void OnStateRefused(InFlight entry, MqttClientPublishResult result)
    {
        var topic = Describe(entry);
        var reason = Describe(result);
        if (entry.Kind == InFlightKind.DeliveryState)
        {
            LogStateRefused(topic, reason + "; not retried");
            return;
        }

        if (entry.Kind == InFlightKind.LockdownState)
        {
            (_lockdownFrom, _lockdownFingerprint) = (null, null);
        }
        else if (_pointPublished.TryGetValue(entry.Point!, out var published))
        {
            _pointPublished[entry.Point!] = (published.At, null);
        }

        _stateShownByAll = null;
        var refusals = _stateRetries.TryGetValue(topic, out var retry) ? retry.Refusals : 0;
        var delay = ReconnectBackoff.Delay(refusals, _options.ReconnectDelayMin, _options.ReconnectDelayMax, Random.Shared.NextDouble());
        _stateRetries[topic] = (refusals + 1, _time.GetTimestamp() + (long)(delay.TotalSeconds * _time.TimestampFrequency));
        if (_faults.StateRefused(topic, reason))
        {
            LogStateRefused(topic, reason + "; sent again with backoff");
        }
    }

    /// <summary>A retained state message was taken: its topic's refusal episode, if any, is over.</summary>
    private void OnStateAcknowledged(InFlight entry)
    {
        if (_stateRetries.Count == 0 && _faults.StateEpisodes == 0)
        {
            return;
        }

        var topic = Describe(entry);
        _stateRetries.Remove(topic);
        _faults.StateDelivered(topic);
    }

    /// <summary>Whether <paramref name="topic"/> was refused and its backoff has not passed yet.</summary>
    private bool StateRetryNotDue(string topic) =>
        _stateRetries.Count != 0 && _stateRetries.TryGetValue(topic, out var retry) && _time.GetTimestamp() < retry.RetryAt;

    /// <summary>Like <see cref="StateRetryNotDue"/> for a point's topic, without building its name when nothing was refused.</summary>
    private bool PointRetryNotDue(string point) => _stateRetries.Count != 0 && StateRetryNotDue(_topics.PointState(point));
}
