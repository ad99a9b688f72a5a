using System.Globalization;
using EdgeGuard.Mqtt.Contract;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// A late will of an earlier process. After a power cut the old connection stays half-open at the
/// broker for up to 1.5 x keep-alive (plus Mosquitto's check interval). A gateway that boots
/// within that time with other client ids (a rotated key or password, random ids when the key
/// file is unreadable: ClientIds) takes nothing over, so the broker publishes the old connection's
/// will, <c>offline</c> of the earlier session, after the new birth, and it stays retained: an
/// office that looks later sees a gateway that is up and delivering as down. So the publisher
/// subscribes to its own availability topic (No Local: its own messages do not come back) and
/// answers an <c>offline</c> of a lower session with its <c>online</c> again.
/// </summary>
public sealed partial class OutboxPublisher
{
    /// <summary>
    /// Subscribes to the availability topic; <paramref name="births"/> answers what
    /// <see cref="OnAvailabilityMessage"/> finds stale. Never throws: without the subscription
    /// (an ACL that grants only write, see deploy/office/make-acl.sh) delivery goes on, only a late
    /// will then stays until the next connect or rebirth.
    /// </summary>
    private async Task WatchAvailabilityAsync(IMqttClient client, long session, BirthAgain births, CancellationToken cancellationToken)
    {
        // The subscription's retained copy is what the topic held before this connection's
        // birth: evidence for OutboxPublisher.WentBack.cs, not a will to answer.
        var retained = new TaskCompletionSource<RetainedAvailability?>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _retained, retained);
        client.ApplicationMessageReceivedAsync += args =>
        {
            // After the birth, retained or live: another process under this id (OutboxPublisher.Duplicate.cs).
            CheckDuplicate(args.ApplicationMessage, session);
            if (args.ApplicationMessage.Retain)
            {
                OnRetainedAvailability(args.ApplicationMessage);
            }
            else
            {
                OnAvailabilityMessage(args.ApplicationMessage, session, births);
            }

            return Task.CompletedTask;
        };

        // QoS 0: a will lost with the link needs no answer, the next connection's birth is one.
        var subscribe = _factory.CreateSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(_topics.Availability).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce).WithNoLocal(true))
            .Build();
        try
        {
            var suback = await client.SubscribeAsync(subscribe, cancellationToken).WaitAsync(_options.Timeout, _time, cancellationToken).ConfigureAwait(false);
            var code = suback.Items.Count == 1 ? suback.Items.First().ResultCode : MqttClientSubscribeResultCode.UnspecifiedError;
            if (code is not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
            {
                LogAvailabilityWatchRefused(_topics.Availability, code.ToString());
                retained.TrySetResult(null); // nothing will come
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            retained.TrySetResult(null);
            // Cancelled with the connection, or the link failed: the pump finds that.
        }
    }

    /// <summary>
    /// Answers an <c>offline</c> of an earlier session with <c>online</c> again. A lower session is
    /// stale, and so is this very session from another process: two processes can hold one
    /// session (a read-only journal hands the same one out again, a crash before it was saved),
    /// and the other one's will left the gateway shown down while it was up. A higher one is a
    /// newer gateway process, which this one must not fight, and one without a session cannot be
    /// judged (the office's rebirth restores it).
    /// </summary>
    private void OnAvailabilityMessage(MqttApplicationMessage message, long session, BirthAgain births)
    {
        if (!string.Equals(message.Topic, _topics.Availability, StringComparison.Ordinal)
            || !string.Equals(message.ConvertPayloadToString(), Payloads.Offline, StringComparison.Ordinal)
            || SessionOf(message) is not { } stale
            || stale > session
            || (stale == session && !FromAnotherProcess(message)))
        {
            return;
        }

        LogLateWill(stale, session);
        births.Publish();
    }

    private static long? SessionOf(MqttApplicationMessage message) => LongProperty(message, ClientOptionsFactory.SessionProperty);

    private bool FromAnotherProcess(MqttApplicationMessage message) =>
        StringProperty(message, ClientOptionsFactory.InstanceProperty) is { } instance && !string.Equals(instance, _options.Instance, StringComparison.Ordinal);

    [LoggerMessage(EventId = 380, Level = LogLevel.Warning, Message = "A late will of an earlier gateway process (session {Stale}) made availability 'offline'; publishing 'online' of session {Session} again")]
    private partial void LogLateWill(long stale, long session);

    [LoggerMessage(EventId = 381, Level = LogLevel.Warning, Message = "The broker refused the publisher's subscription to its own {Topic} ({Code}): a late will of an earlier process stays retained until the next connect or rebirth; grant the gateway read on it (deploy/office/make-acl.sh)")]
    private partial void LogAvailabilityWatchRefused(string topic, string code);
}
