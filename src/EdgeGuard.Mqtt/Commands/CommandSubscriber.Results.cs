using EdgeGuard.Mqtt.Contract;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Commands;

// Publishing one answer on {root}/command-results (ReplyLoopAsync, CommandSubscriber.Queue.cs): to
// the gateway's own results topic only, with the request's correlation data, QoS 1.
public sealed partial class CommandSubscriber
{
    private async Task PublishAsync(Reply reply, CancellationToken stoppingToken)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(_topics.CommandResults)
            .WithPayload(CommandResultPayload.Write(reply.CommandId, reply.PayloadSha256, reply.Result, reply.Reason, _time.GetUtcNow()))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(false)
            .WithContentType(Payloads.JsonContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData);
        if (reply.Correlation is { } correlation)
        {
            builder.WithCorrelationData(correlation);
        }

        var message = builder.Build();
        try
        {
            // A result waits for a connection at most one timeout: it is an answer to a live request.
            using var timeout = new CancellationTokenSource(_options.Broker.Timeout, _time);
            using var token = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
            await WaitUntilSubscribedAsync(token.Token).ConfigureAwait(false);
            var client = Volatile.Read(ref _client) ?? throw new InvalidOperationException("not connected");
            var result = await client.PublishAsync(message, token.Token).ConfigureAwait(false);
            if (result.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers)
            {
                Interlocked.Increment(ref _published);
                return;
            }

            LogResultDropped(reply.CommandId, CommandResultPayload.Wire(reply.Result), result.ReasonCode.ToString());
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogResultDropped(reply.CommandId, CommandResultPayload.Wire(reply.Result), ex.Message);
        }

        Interlocked.Increment(ref _dropped);
    }
}
