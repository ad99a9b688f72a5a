using System.Globalization;
using EdgeGuard.Mqtt.Contract;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Commands;

// Publishing one answer on {root}/command-results (ReplyLoopAsync, CommandSubscriber.Queue.cs): to
// the gateway's own results topic only, with the request's correlation data, QoS 1.
public sealed partial class CommandSubscriber
{
    /// <summary>
    /// The most correlation data an answer echoes (the contract recommends at most 64 bytes);
    /// a request with more is answered without it.
    /// </summary>
    public const int MaxCorrelationBytes = 1024;

    // The correlation data every answer to this message carries: a copy, or none above the limit
    // (dropped: its size then, else 0). Anyone who may publish on the command topic chooses it (up
    // to 64 KiB in MQTT), and the 8 KiB cap on the payload did not bound it: junk with 60,000
    // bytes of it got answers as large, to every office subscriber of command-results. Still
    // answered without it, by id and hash, with a note in the reason (Noted) and a log line.
    private byte[]? Echoed(byte[]? correlation, string commandId, out int dropped)
    {
        dropped = 0;
        if (correlation is not { Length: > 0 })
        {
            return null;
        }

        if (correlation.Length > MaxCorrelationBytes)
        {
            dropped = correlation.Length;
            LogCorrelationDropped(commandId, dropped, MaxCorrelationBytes);
            return null;
        }

        return (byte[])correlation.Clone();
    }

    // An answer sent without the request's correlation data says so, after its own reason (a cut
    // to the schema's length keeps the code and detail first): the office, which matches answers
    // by it, sees on command-results why this one has none.
    private static string? Noted(string? reason, int dropped)
    {
        if (dropped == 0)
        {
            return reason;
        }

        var note = string.Create(CultureInfo.InvariantCulture, $"correlation data not echoed: {dropped} bytes, more than {MaxCorrelationBytes}");
        return string.IsNullOrEmpty(reason) ? note : $"{reason}; {note}";
    }

    // Shed (an answer to a refusal giving way, ReplyLoopAsync): not published, counted as dropped.
    // Answers of accepted commands (UntilWritten) are not dropped for a PUBLISH not yet written
    // when the timeout ends on a live connection (PublishOnLiveConnectionAsync).
    private async Task PublishAsync(Reply reply, CancellationToken stoppingToken, CancellationToken shed = default, bool untilWritten = false)
    {
        var builder = new MqttApplicationMessageBuilder()
            .WithTopic(_topics.CommandResults)
            .WithPayload(CommandResultPayload.Write(reply.CommandId, reply.PayloadSha256, reply.Result, reply.Reason, _time.GetUtcNow(), _options.Broker.Instance))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(false)
            .WithContentType(Payloads.JsonContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData);
        if (reply.Correlation is { } correlation)
        {
            builder.WithCorrelationData(correlation);
        }

        var message = builder.Build();
        var result = CommandResultPayload.Wire(reply.Result);
        try
        {
            using var token = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, shed);
            var puback = await PublishOnLiveConnectionAsync(message, reply.CommandId, result, untilWritten, token.Token).ConfigureAwait(false);
            if (puback.ReasonCode is MqttClientPublishReasonCode.Success or MqttClientPublishReasonCode.NoMatchingSubscribers)
            {
                Interlocked.Increment(ref _published);
                return;
            }

            LogResultDropped(reply.CommandId, result, puback.ReasonCode.ToString());
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (shed.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            // Whatever MQTTnet made of the cancellation: it reports one during the PUBACK's wait as
            // a timeout ("The operation has timed out"), which read as if the broker were slow.
            LogResultDropped(reply.CommandId, result, "given way to an accepted command's answer during a flood");
        }
        catch (MqttCommunicationTimedOutException)
        {
            // Written, and no PUBACK within the timeout (reading held for a flood, or a slow
            // broker): the broker most likely has it, so it is not sent again, which would answer
            // the office twice; not counted as published either.
            Interlocked.Increment(ref _unconfirmed);
            LogResultUnconfirmed(reply.CommandId, result, _options.Broker.Timeout.TotalSeconds);
            return;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogResultDropped(reply.CommandId, result, ex.Message);
        }

        Interlocked.Increment(ref _dropped);
    }

    // An answer to a refusal waits for a connection at most one timeout: it is an answer to a live
    // request. A connection dropped under a publish (a flood drop cancels it: ConnectionGone) does
    // not lose the result: it goes again on the next connection, within that timeout. With
    // untilWritten (answers of accepted commands: the office must learn what was executed) it
    // waits for a connection as long as it takes, and a PUBLISH that the timeout found not yet
    // written on a connection still up is given another timeout, as often as that happens: MQTTnet then cancels it before a byte is sent (it waits for
    // the socket, whose buffer is full while the broker reads behind the gateway, as under a
    // flood), so trying again cannot answer the office twice. In one CI run an "accepted" was
    // dropped so while its "done" went out a moment later. A socket that never drains ends with
    // the connection (MQTTnet's keep-alive ping cannot be written either).
    private async Task<MqttClientPublishResult> PublishOnLiveConnectionAsync(
        MqttApplicationMessage message, string commandId, string result, bool untilWritten, CancellationToken cancellationToken)
    {
        var timeout = new CancellationTokenSource(_options.Broker.Timeout, _time);
        try
        {
            while (true)
            {
                using var token = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                try
                {
                    await WaitUntilSubscribedAsync(token.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (untilWritten && !cancellationToken.IsCancellationRequested)
                {
                    // No connection for a timeout: the answer of an accepted command waits for the
                    // next one (a flood drop's reconnect outlasted it once), until the stop's drain.
                    timeout.Dispose();
                    timeout = new CancellationTokenSource(_options.Broker.Timeout, _time);
                    continue;
                }

                var gone = Volatile.Read(ref _clientGone);
                var client = Volatile.Read(ref _client) ?? throw new InvalidOperationException("not connected");
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token.Token, gone?.Token ?? CancellationToken.None);
                try
                {
                    return await client.PublishAsync(message, attempt.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (gone is { IsCancellationRequested: true } && !token.IsCancellationRequested && ex is not OutOfMemoryException)
                {
                    // Cancelled by the connection's end (MQTTnet reports it as a timeout): again, on
                    // the next connection.
                }
                catch (OperationCanceledException) when (untilWritten && timeout.IsCancellationRequested
                    && !cancellationToken.IsCancellationRequested && gone is { IsCancellationRequested: false })
                {
                    // Not written (a PUBACK not received is MqttCommunicationTimedOutException).
                    LogResultNotWrittenYet(commandId, result, _options.Broker.Timeout.TotalSeconds);
                    timeout.Dispose();
                    timeout = new CancellationTokenSource(_options.Broker.Timeout, _time);
                }
            }
        }
        finally
        {
            timeout.Dispose();
        }
    }
}
