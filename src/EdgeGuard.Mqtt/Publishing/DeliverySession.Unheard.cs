using MQTTnet;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Publishing;

// An event the broker acknowledged with NoMatchingSubscribers (16). It counts as delivered: the
// broker took it, and the contract is the gateway's side of at least once. But no client held a
// subscription to the events topic, so if the office's session has expired (or its subscriber is
// down with a clean session) the event reached no one, and the journal's cursor has moved past it.
// The first such PUBACK of each connection is a warning in the log, the rest are counted
// (OutboxPublisher.UnheardEvents). The MQTT contract has no event type for it yet: one for the
// office (a warning, not an alarm: the gateway did its part) needs a contract addition.
internal sealed partial class DeliverySession
{
    private bool _unheardWarned;

    /// <summary>After an event's PUBACK: notes a NoMatchingSubscribers answer, warning once per connection.</summary>
    private void NoteIfUnheard(InFlight entry)
    {
        if (!entry.Ack.IsCompletedSuccessfully || entry.Ack.Result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            return;
        }

        var warn = !_unheardWarned;
        _unheardWarned = true;
        _stats.Unheard(warn);
        if (warn)
        {
            LogUnheard(entry.Record!.Seq, _topics.Events);
        }
    }

    [LoggerMessage(EventId = 348, Level = LogLevel.Warning, Message = "Event seq {Seq} was acknowledged with NoMatchingSubscribers (16): no client subscribes to {Topic}. It counts as delivered; if the office's session expired, it and the events after it reached no one (warned once per connection)")]
    private partial void LogUnheard(long seq, string topic);
}
