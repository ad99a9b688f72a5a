using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Retained point states of ids the config no longer has. A technician who removes or renames a
/// point while it reads active leaves its <c>state/points/{id}</c> retained at the broker, and every
/// console that connects later shows a point that does not exist, open forever (after a rename:
/// two points). The gateway never publishes such an id again (DeliverySession.RefreshPoint), so
/// after each connect's state is republished it subscribes to <c>state/points/+</c> and deletes
/// (an empty retained message) every retained copy of an id not in the current config. Asking the
/// broker, rather than remembering what was published, also clears copies from long ago: a
/// replaced journal, another gateway that once had this id.
/// </summary>
public sealed partial class OutboxPublisher
{
    private long _stalePointsCleared;

    /// <summary>Retained point states of ids no longer in the config, deleted since start.</summary>
    public long StalePointsCleared => Interlocked.Read(ref _stalePointsCleared);

    /// <summary>
    /// Subscribes to the retained point states and deletes those of ids not in the config, until
    /// the connection ends. Never throws: without the subscription (an ACL from before the gateway
    /// could read its state topics, deploy/office/make-acl.sh) delivery goes on, only a removed
    /// point's copy then stays.
    /// </summary>
    private async Task ClearStalePointsAsync(IMqttClient client, CancellationToken cancellationToken)
    {
        // The client's handler must not wait for a PUBACK; the deletes go out from this loop.
        var stale = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
        client.ApplicationMessageReceivedAsync += args =>
        {
            if (StalePoint(args.ApplicationMessage) is { } topic)
            {
                stale.Writer.TryWrite(topic);
            }

            return Task.CompletedTask;
        };

        // QoS 0: a copy missed with the link is found again at the next connect. No Local: the
        // gateway's own publishes do not come back (and are never of a stale id).
        var subscribe = _factory.CreateSubscribeOptionsBuilder()
            .WithTopicFilter(f => f.WithTopic(_topics.PointStatePrefix + "+").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtMostOnce).WithNoLocal(true))
            .Build();
        try
        {
            var suback = await client.SubscribeAsync(subscribe, cancellationToken).WaitAsync(_options.Timeout, _time, cancellationToken).ConfigureAwait(false);
            var code = suback.Items.Count == 1 ? suback.Items.First().ResultCode : MqttClientSubscribeResultCode.UnspecifiedError;
            if (code is not (MqttClientSubscribeResultCode.GrantedQoS0 or MqttClientSubscribeResultCode.GrantedQoS1 or MqttClientSubscribeResultCode.GrantedQoS2))
            {
                LogStalePointsWatchRefused(_topics.PointStatePrefix + "+", code.ToString());
                return;
            }

            await foreach (var topic in stale.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await DeleteRetainedAsync(client, topic, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Cancelled with the connection, or the link failed: the pump finds that.
        }
    }

    /// <summary>
    /// The topic of a retained point state whose id the current config does not have; null for
    /// anything else. Only a retained copy (what the broker holds), never an empty one (already
    /// deleted); and not before the state exists, when no id can be judged (the next connect does).
    /// </summary>
    private string? StalePoint(MqttApplicationMessage message)
    {
        if (!message.Retain
            || message.Payload.IsEmpty
            || !message.Topic.StartsWith(_topics.PointStatePrefix, StringComparison.Ordinal)
            || _siteState.Current is not { } current)
        {
            return null;
        }

        var point = message.Topic[_topics.PointStatePrefix.Length..];
        return point.Length == 0 || current.Points.ContainsKey(point) ? null : message.Topic;
    }

    private async Task DeleteRetainedAsync(IMqttClient client, string topic, CancellationToken cancellationToken)
    {
        // An empty retained message is MQTT's way to delete the retained copy.
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(true)
            .Build();
        var result = await UncutPublish.Start(client, message).WaitAsync(_options.Timeout, _time, cancellationToken).ConfigureAwait(false);
        if (result.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            Interlocked.Increment(ref _stalePointsCleared);
            LogStalePointCleared(topic);
        }
        else
        {
            LogStalePointClearRefused(topic, DeliverySession.Describe(result));
        }
    }

    [LoggerMessage(EventId = 382, Level = LogLevel.Information, Message = "Deleted the retained {Topic}: the config has no such point (removed or renamed)")]
    private partial void LogStalePointCleared(string topic);

    [LoggerMessage(EventId = 383, Level = LogLevel.Warning, Message = "The broker refused to delete the retained {Topic} of a point the config no longer has: {Reason}; consoles still show it")]
    private partial void LogStalePointClearRefused(string topic, string reason);

    [LoggerMessage(EventId = 384, Level = LogLevel.Warning, Message = "The broker refused the publisher's subscription to its own {Topic} ({Code}): retained states of points removed from the config stay; grant the gateway read on it (deploy/office/make-acl.sh)")]
    private partial void LogStalePointsWatchRefused(string topic, string code);
}
