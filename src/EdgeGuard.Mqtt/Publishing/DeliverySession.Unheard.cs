using EdgeGuard.Mqtt.Contract;
using MQTTnet;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Publishing;

// An event the broker acknowledged with NoMatchingSubscribers (16). It counts as delivered: the
// broker took it, and the contract is the gateway's side of at least once. But no client held a
// subscription to the events topic, so if the office's session has expired (or its subscriber is
// down with a clean session) the event reached no one, and the journal's cursor has moved past it.
// The first such PUBACK of each connection is a warning in the log, the rest are counted
// (OutboxPublisher.UnheardEvents).
//
// The office learns of it from the retained state/delivery: `unheard` names the first and the
// last such seq (and since when) until the office says it has them again (its heard command,
// DeliveryFaultReporter.Heard). Neither a later event that is heard nor a resend clears it: a
// subscriber proves only that someone listens (a technician's watcher, another console), not that
// the office has what it missed, and clearing it would erase the one retained record of the loss
// before anyone acted on it. The range is the publisher's, so it outlives a reconnect.
//
// One state/delivery per change, never one per event: the range opening, being trimmed or clearing
// is a change (UnheardVersion, read per acknowledged event without a lock); its end moving on while
// events keep going unheard is shown by the idle state check and, while the pump is busy (a
// replay, a continuous load that never leaves it idle), by a check at the top of each pass; both
// at most once per StateCheckInterval, so a burst no one hears costs a message per interval, not
// one per event.
internal sealed partial class DeliverySession
{
    private bool _unheardWarned;

    // Set when an event was acknowledged unheard since the last check of what state/delivery
    // shows: the busy pass looks at the clock only then, so it costs nothing while events are heard.
    private bool _unheardGrew;
    private long _unheardCheckedAt;

    // What state/delivery last carried of the unheard range in this session, and the reporter's
    // version it was taken at.
    private UnheardSeqs? _unheardShown;
    private long _unheardShownVersion;

    /// <summary>After an event's PUBACK: notes a NoMatchingSubscribers answer, warning once per connection.</summary>
    private void NoteIfUnheard(InFlight entry)
    {
        if (!entry.Ack.IsCompletedSuccessfully || entry.Ack.Result.ReasonCode != MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            return;
        }

        var seq = entry.Record!.Seq;
        _faults.NoteUnheard(seq);
        _unheardGrew = true;
        var warn = !_unheardWarned;
        _unheardWarned = true;
        _stats.Unheard(warn);
        if (warn)
        {
            LogUnheard(seq, _topics.Events);
        }
    }

    /// <summary>Makes state/delivery due when the unheard range opened, was trimmed or cleared since it was shown.</summary>
    private void UnheardChanged()
    {
        if (_faults.UnheardVersion != _unheardShownVersion)
        {
            DeliveryStateChanged();
        }
    }

    /// <summary>
    /// From the idle state check: state/delivery is due when the range it shows is not the current
    /// one (its end moved on, or the office's heard trimmed it while events streamed). True when it made it due.
    /// </summary>
    private bool CheckUnheardShown()
    {
        _unheardGrew = false;
        _unheardCheckedAt = _time.GetTimestamp();
        if (_pendingDelivery || _faults.Unheard == _unheardShown)
        {
            return false;
        }

        _pendingDelivery = true;
        return true;
    }

    /// <summary>
    /// Each pump pass, busy or not: when events went unheard since the last check and a
    /// StateCheckInterval has passed since it, the range's end is checked as the idle pass does.
    /// </summary>
    private void CheckUnheardWhileBusy()
    {
        if (_unheardGrew && _time.GetElapsedTime(_unheardCheckedAt) >= _options.StateCheckInterval)
        {
            CheckUnheardShown();
        }
    }

    /// <summary>Called by every publish of state/delivery: it shows this range now.</summary>
    private void UnheardPublished(UnheardSeqs? shown, long version)
    {
        (_unheardShown, _unheardShownVersion) = (shown, version);
    }

    [LoggerMessage(EventId = 348, Level = LogLevel.Warning, Message = "Event seq {Seq} was acknowledged with NoMatchingSubscribers (16): no client subscribes to {Topic}. It counts as delivered; if the office's session expired, it and the events after it reached no one (warned once per connection; state/delivery shows the unheard range)")]
    private partial void LogUnheard(long seq, string topic);
}
