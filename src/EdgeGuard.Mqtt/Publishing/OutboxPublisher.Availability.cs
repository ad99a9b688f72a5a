using System.Text;
using EdgeGuard.Mqtt.Contract;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// The availability topic: the birth <c>online</c> after every connect, <c>offline</c> on an
/// orderly stop. A refused birth is a broker fault (README "A refused birth"): Mosquitto drops a
/// will on a topic the gateway may not publish without a word, so with an ACL that grants the
/// events but not availability the office would never learn that the gateway went dark. And
/// the orderly close that ends with <c>offline</c>.
/// </summary>
public sealed partial class OutboxPublisher
{
    /// <summary>
    /// User property of the orderly <c>offline</c>: the last seq journaled when it was sent. The
    /// payload is plain text, so the figures ride as properties, as <c>session</c> does.
    /// </summary>
    internal const string LastSeqProperty = "lastSeq";

    /// <summary>
    /// User property of the orderly <c>offline</c>: the end of the contiguous prefix of events the
    /// broker acknowledged. Below <see cref="LastSeqProperty"/>: the rest waits in the journal.
    /// </summary>
    internal const string DeliveredThroughProperty = "deliveredThrough";

    /// <summary>
    /// Publishes <paramref name="payload"/> retained; false when the broker refused it. An orderly
    /// <c>offline</c> carries <paramref name="backlog"/>: the last seq journaled and the seq
    /// delivered through. The will cannot: it is fixed at connect time. With
    /// <paramref name="untilAnswered"/>, a PUBACK later than the timeout is waited for on, while the
    /// client is connected, rather than thrown as a timeout.
    /// </summary>
    private async Task<bool> PublishAvailabilityAsync(
        IMqttClient client, string payload, long session, CancellationToken cancellationToken, (long LastSeq, long DeliveredThrough)? backlog = null,
        bool untilAnswered = false)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(_topics.Availability)
            .WithPayload(Encoding.UTF8.GetBytes(payload))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(true)
            .WithContentType(Payloads.TextContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithUserProperty(ClientOptionsFactory.SessionProperty, ClientOptionsFactory.DecimalUtf8(session))
            .WithUserProperty(ClientOptionsFactory.InstanceProperty, Encoding.UTF8.GetBytes(_options.Instance));
        if (backlog is { } figures)
        {
            builder
                .WithUserProperty(LastSeqProperty, ClientOptionsFactory.DecimalUtf8(figures.LastSeq))
                .WithUserProperty(DeliveredThroughProperty, ClientOptionsFactory.DecimalUtf8(figures.DeliveredThrough));
        }

        var message = builder.Build();
        // Not cancelled, only no longer waited for: a write cut at a stop would garble the orderly
        // offline behind it (UncutPublish).
        var publish = UncutPublish.Start(client, message);
        MqttClientPublishResult result;
        while (true)
        {
            try
            {
                result = await publish.WaitAsync(_options.Timeout, _time, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (TimeoutException) when (untilAnswered && client.IsConnected)
            {
                // A live link answers every PUBLISH (or ends): wait on for this one, never a second
                // birth beside it, each one more PUBLISH the broker's Receive Maximum counts.
            }
        }

        var birth = string.Equals(payload, Payloads.Online, StringComparison.Ordinal);
        if (result.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers)
        {
            if (birth)
            {
                _brokerFaults.BirthAccepted();
                // From now on the topic holds this process's own messages (OutboxPublisher.WentBack.cs).
                // Not before the PUBACK: a first connection lost before its birth landed leaves the
                // topic as it was, and the next connection must judge it again.
                Volatile.Write(ref _born, 1);
            }

            return true;
        }

        var reason = DeliverySession.Refusal(result);
        // Logged once per episode and reason, as the fault is: the retries would repeat it.
        if (!birth || _brokerFaults.RefusedBirth(reason.Prefixed($"the broker refused availability '{payload}': ")))
        {
            LogAvailabilityRefused(payload, reason.Text);
        }

        return false;
    }

    /// <summary>
    /// Publishes the birth again, with the reconnect backoff, until the broker accepts it or the
    /// connection ends, each retry's PUBACK waited for however late while the link is up. Never
    /// throws: a link that fails meanwhile is the pump's to find.
    /// </summary>
    private async Task RetryBirthAsync(IMqttClient client, long session, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var delay = ReconnectBackoff.Delay(attempt, _options.ReconnectDelayMin, _options.ReconnectDelayMax, Random.Shared.NextDouble());
            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                // A late PUBACK is waited for: a timeout ended the retries for the connection and
                // left the will's offline at the office while the gateway was connected
                // (BirthRetryTests).
                if (await PublishAvailabilityAsync(client, Payloads.Online, session, cancellationToken, untilAnswered: true).ConfigureAwait(false))
                {
                    LogBirthAccepted(attempt + 1);
                    return;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                return; // cancelled with the connection, or the link failed
            }
        }
    }

    /// <summary>Ends a birth retry with its connection, before an orderly close publishes offline.</summary>
    private static async Task StopBirthRetryAsync(Task? retry, CancellationTokenSource stop)
    {
        if (retry is null)
        {
            return;
        }

        await stop.CancelAsync().ConfigureAwait(false);
        await retry.ConfigureAwait(false);
    }

    // One deadline for the whole close, within the host's stop budget (OrderlyStopLimit). The
    // outbox's delivery gets half of it (DeliverySession.Drain.cs: everything journaled, not only
    // what was in flight, then the retained state it left); offline and DISCONNECT the rest, also
    // when the drain ran out (a slow broker may still take offline, and it saves the office a
    // keep-alive's wait). Offline says how far delivery got, so the office knows at once whether
    // events wait for the next start.
    private async Task CloseOrderlyAsync(IMqttClient client, DeliverySession delivery, long session)
    {
        var budget = _options.Timeout < OrderlyStopLimit ? _options.Timeout : OrderlyStopLimit;
        using var timeout = new CancellationTokenSource(budget, _time);
        try
        {
            try
            {
                await delivery.DrainAsync(budget / 2).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                LogDrainCutShort(budget.TotalSeconds / 2, delivery.AcknowledgedThrough, _outbox.LastSeq);
            }

            // A normal DISCONNECT discards the will: if the broker refused offline (a quota, a
            // plugin), ask it for the will instead, or online stays retained for a stopped gateway.
            var figures = (LastSeq: _outbox.LastSeq, DeliveredThrough: delivery.AcknowledgedThrough);
            var offlineTaken = await PublishAvailabilityAsync(client, Payloads.Offline, session, timeout.Token, figures).ConfigureAwait(false);
            var reason = offlineTaken
                ? MqttClientDisconnectOptionsReason.NormalDisconnection
                : MqttClientDisconnectOptionsReason.DisconnectWithWillMessage;
            var disconnect = new MqttClientDisconnectOptionsBuilder().WithReason(reason).Build();
            await client.DisconnectAsync(disconnect, timeout.Token).ConfigureAwait(false);
            LogDisconnected(figures.DeliveredThrough, figures.LastSeq);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogCloseFailed(LossText.Chain(ex));
        }
    }
}
