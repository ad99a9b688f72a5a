using System.Globalization;
using EdgeGuard.Core;
using EdgeGuard.Mqtt.Contract;
using EdgeGuard.Mqtt.Publishing;
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

    // An answer sent without the request's correlation data says so, after its own reason: the
    // office, which matches answers by it, sees on command-results why this one has none. The
    // reason is cut to leave the note its room: the payload's cut to the schema's length, from the
    // end, took the note off a reason of about 970 characters or more (a long done detail, a
    // key-unavailable naming a long operator), which the contract promises it ends with.
    private static string? Noted(string? reason, int dropped)
    {
        if (dropped == 0)
        {
            return reason;
        }

        var note = string.Create(CultureInfo.InvariantCulture, $"correlation data not echoed: {dropped} bytes, more than {MaxCorrelationBytes}");
        return string.IsNullOrEmpty(reason) ? note : $"{TextCut.Cut(reason, CommandResultPayload.MaxReasonLength - note.Length - 2)}; {note}";
    }

    // Shed (an answer to a refusal giving way, PublishRefusalAsync): no longer waited for, counted
    // as dropped. The shed ends only the wait, never MQTTnet's write, since an answer to a refusal
    // is published with no token (UncutPublish): a PUBLISH cancelled part-way through its write
    // (the socket's buffer full under a flood) left the rest of it unsent, the broker read the
    // next PUBLISH, the accepted answer the shed made way for, as that rest, then closed the
    // connection ("Bad socket read/write") at the next one, and the accepted answer, written but
    // never read as a PUBLISH, was counted unconfirmed and lost. The refusal's answer goes on in
    // MQTTnet and may still reach the office. Answers of accepted commands
    // (untilWritten) are not dropped for time, only for a refusal that would come again
    // (PublishOnLiveConnectionAsync). A PUBACK late is counted as unconfirmed.
    private async Task PublishAsync(Reply reply, CancellationToken stoppingToken, CancellationToken shed = default, bool untilWritten = false)
    {
        var result = CommandResultPayload.Wire(reply.Result);
        try
        {
            // Inside the try: nothing about one answer may end the reply loop.
            var message = Message(reply);
            shed.ThrowIfCancellationRequested(); // given way before it began: not published at all
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
            // The stop's drain deadline: counted, as the answers still queued are (DrainCoreAsync).
            Interlocked.Increment(ref _dropped);
            LogResultDropped(reply.CommandId, result, "the stop's drain deadline passed");
            throw;
        }
        catch (OperationCanceledException) when (shed.IsCancellationRequested)
        {
            LogResultGivenWay(reply.CommandId, result);
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

    private MqttApplicationMessage Message(Reply reply)
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

        return builder.Build();
    }

    // How long a publish that found the client already disconnected waits before it looks again:
    // the connection loop learns of the loss (ConnectionGone) only after journaling it.
    private static readonly TimeSpan NotConnectedPause = TimeSpan.FromMilliseconds(100);

    // Connections ended under one answer before it is given up: a backstop for a broker that drops
    // the connection for this PUBLISH with a reason IsTransient does not know. It counts every end
    // while the answer is being published (a link flap, a flood drop) alike.
    private const int MaxConnectionsEnded = 10;

    // Timeouts an answer waits for the socket on one connection before it leaves MQTTnet's
    // keep-alive a quiet spell to find out whether the link is dead (QuietAsync).
    private const int UnwrittenBeforeQuiet = 3;

    // An answer to a refusal waits for a connection, then for its PUBACK, at most one timeout in
    // all: it is an answer to a live request. Its write is never cancelled on a live connection
    // (UncutPublish): past the timeout it is no longer waited for (dropped, though it may still go
    // out). A connection that ends under a publish (a flood drop cancels it: ConnectionGone;
    // MQTTnet may find the client disconnected first) does not lose the result: it goes again on
    // the next connection, within that timeout (at least once, as QoS 1: written just before the
    // end, it may reach the office twice). With untilWritten (answers of accepted commands: the
    // office must learn what was executed) it waits for a connection as long as it takes, and a
    // PUBLISH that the timeout found not yet written on a connection still up is given another
    // timeout, as often as that happens: MQTTnet then cancels it, mostly while it waits for the
    // send lock or the socket, whose buffer is full while the broker reads behind the gateway, as
    // under a flood (in one CI run an "accepted" was dropped so while its "done" went out a moment
    // later). A write the cancellation cuts part-way (the socket took some of it, or only the
    // PUBLISH's header was written) garbles the stream and the broker closes the connection: this
    // answer goes again on the next one, after one more attempt on the garbled stream. That takes
    // a write not done within a whole timeout; refusals' answers, which stand in the send lock
    // ahead of it under a flood, are never cut. A socket that never drains ends with the
    // connection: after three timeouts the answer leaves MQTTnet's keep-alive a quiet spell to
    // find a dead link (QuietAsync), then tries again. Written, with no PUBACK in time and the
    // connection up: thrown to the caller (unconfirmed, not sent again). The caller's token (the
    // stop, a give-way) ends the wait at once.
    private async Task<MqttClientPublishResult> PublishOnLiveConnectionAsync(
        MqttApplicationMessage message, string commandId, string result, bool untilWritten, CancellationToken cancellationToken)
    {
        var timeout = new CancellationTokenSource(_options.Broker.Timeout, _time);
        var ended = 0;
        CancellationTokenSource? lastEnded = null;
        var unwritten = 0;
        CancellationTokenSource? unwrittenOn = null;
        try
        {
            while (true)
            {
                if (timeout.IsCancellationRequested)
                {
                    if (!untilWritten)
                    {
                        // An answer to a refusal, after a pause for a connection MQTTnet found
                        // ended.
                        throw new TimeoutException($"no connection within {_options.Broker.Timeout.TotalSeconds} s");
                    }

                    timeout.Dispose();
                    timeout = new CancellationTokenSource(_options.Broker.Timeout, _time);
                }

                using var token = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
                CancellationTokenSource? gone = null;
                IMqttClient? client = null;
                try
                {
                    await WaitUntilSubscribedAsync(token.Token).ConfigureAwait(false);
                    gone = Volatile.Read(ref _clientGone);
                    client = Volatile.Read(ref _client) ?? throw new MqttClientNotConnectedException();
                    if (!untilWritten)
                    {
                        // Its timeout (and a give-way, PublishAsync) end the wait, not the
                        // write (UncutPublish): under a flood such an answer stands in MQTTnet's
                        // send lock ahead of the accepted ones.
                        return await UncutPublish.Start(client, message).WaitAsync(token.Token).ConfigureAwait(false);
                    }

                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(token.Token, gone?.Token ?? CancellationToken.None);
                    return await client.PublishAsync(message, attempt.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!untilWritten && timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested && Live(client, gone))
                {
                    throw new TimeoutException($"no PUBACK within {_options.Broker.Timeout.TotalSeconds} s; not waited for longer (it may still be published)");
                }
                catch (MqttCommunicationTimedOutException) when (Live(client, gone) && !cancellationToken.IsCancellationRequested)
                {
                    throw;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested
                    && (untilWritten || !timeout.IsCancellationRequested) && IsTransient(ex, client, gone))
                {
                    if (timeout.IsCancellationRequested)
                    {
                        // A whole timeout waited (for a connection, or for the socket): renewed
                        // above.
                        if (Live(client, gone))
                        {
                            LogResultNotWrittenYet(commandId, result, _options.Broker.Timeout.TotalSeconds);
                            unwritten = ReferenceEquals(gone, unwrittenOn) ? unwritten + 1 : 1;
                            unwrittenOn = gone;
                            if (unwritten >= UnwrittenBeforeQuiet)
                            {
                                unwritten = 0;
                                await QuietAsync(gone!, cancellationToken).ConfigureAwait(false);
                            }
                        }

                        continue;
                    }

                    // The connection ended under it (the broker's DISCONNECT, a reset, MQTTnet's
                    // teardown; ConnectionGone runs only after the loss is journaled), or MQTTnet
                    // cancelled it itself: look again shortly, never in a tight loop.
                    if (!Live(client, gone) && gone is not null && !ReferenceEquals(gone, lastEnded))
                    {
                        lastEnded = gone;
                        if (++ended >= MaxConnectionsEnded)
                        {
                            throw new MqttCommunicationException($"{ended} connections ended while it was being published", ex);
                        }
                    }

                    await PauseAsync(NotConnectedPause, token.Token).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            timeout.Dispose();
        }
    }

    // Whether the connection this attempt used is still up, as far as the subscriber and MQTTnet
    // know.
    private static bool Live(IMqttClient? client, CancellationTokenSource? gone) =>
        client is { IsConnected: true } && gone is { IsCancellationRequested: false };

    // Worth another try: the connection ended (whatever MQTTnet made of that), or a wait (for a
    // connection, for the socket) was cancelled. Not a broker's DISCONNECT that would come again
    // for the same PUBLISH (too large, a payload or topic it refuses), nor anything else on a live
    // connection (a PUBLISH MQTTnet refuses to send would fail the same way again).
    private static bool IsTransient(Exception ex, IMqttClient? client, CancellationTokenSource? gone) => ex switch
    {
        MqttClientUnexpectedDisconnectReceivedException { ReasonCode: MqttDisconnectReasonCode.PacketTooLarge
            or MqttDisconnectReasonCode.PayloadFormatInvalid or MqttDisconnectReasonCode.TopicNameInvalid } => false,
        OperationCanceledException or MqttCommunicationException => true,
        _ => !Live(client, gone),
    };

    // No attempt for a keep-alive and a half, unless the connection ends first. MQTTnet notes the
    // time of every send before it waits for the socket, and pings only after a keep-alive with
    // none: an attempt every timeout on a link that died half-open kept it from ever pinging, and
    // the connection from ending, for as long as TCP took to give up (Linux's default
    // net.ipv4.tcp_retries2 = 15: about 15 minutes), while new commands waited in the broker's
    // session. Quiet, its ping finds the link dead: a ping not written, or not answered within
    // half a keep-alive, ends the connection (MQTTnet 5.2.0.1603's TrySendKeepAliveMessages
    // disconnects on any failure but its own stop; while reading is held one written is answered
    // at once, HeldPings, and an answer stuck in its write keeps the ping from being written).
    private async Task QuietAsync(CancellationTokenSource gone, CancellationToken cancellationToken)
    {
        LogResultQuiet(UnwrittenBeforeQuiet, (_options.Broker.KeepAlive * 1.5).TotalSeconds);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(gone.Token, cancellationToken);
        await PauseAsync(_options.Broker.KeepAlive * 1.5, either.Token).ConfigureAwait(false);
    }

    private async Task PauseAsync(TimeSpan pause, CancellationToken token)
    {
        try
        {
            await Task.Delay(pause, _time, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The timeout or the caller: the loop decides.
        }
    }
}
