using System.Threading.Channels;
using EdgeGuard.Core.Commands;
using MQTTnet;

namespace EdgeGuard.Mqtt.Commands;

// One message from the command topic, before its PUBACK: verified and journaled by the handler, its
// answer and, when accepted, the command queued (CommandSubscriber.Queue.cs).
public sealed partial class CommandSubscriber
{
    /// <summary>Runs before the PUBACK: nothing here may throw into MQTTnet, whatever arrived.</summary>
    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs args, CancellationToken stoppingToken, Connection connection)
    {
        var connectionGone = connection.Gone.Token;
        var message = args.ApplicationMessage;
        if (!string.Equals(message.Topic, _topics.Commands, StringComparison.Ordinal))
        {
            return;
        }

        Interlocked.Increment(ref _received);
        // Waiting for the gate or for room in the queues ends with the connection too: MQTTnet's
        // disconnect waits for this handler, so one waiting for room behind results that wait for
        // the next connection held a flood drop for a whole timeout (CommandSubscriber.Flood.cs).
        // Only a wait: while there is room, messages MQTTnet still hands over are handled and
        // acknowledged, so each dropped connection still works off part of a flood.
        using var waits = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, connectionGone);
        try
        {
            // One at a time: the replay store and the journal order must see commands in arrival order.
            stoppingToken.ThrowIfCancellationRequested();
            if (!_receiveGate.Wait(0))
            {
                await _receiveGate.WaitAsync(waits.Token).ConfigureAwait(false);
            }

            try
            {
                var attempt = await _handler.ReceiveAsync(message.Payload, message.Retain, stoppingToken).ConfigureAwait(false);
                try
                {
                    await QueueAsync(attempt, message, stoppingToken, waits.Token, connection).ConfigureAwait(false);
                }
                catch when (attempt.Command is { } command)
                {
                    // Accepted but not queued (stopping, or the connection gone): left unfinished,
                    // so the redelivery runs it.
                    _handler.Abandon(command);
                    throw;
                }
            }
            finally
            {
                _receiveGate.Release();
            }
        }
        catch (Exception ex) when ((stoppingToken.IsCancellationRequested || connectionGone.IsCancellationRequested)
            && ex is OperationCanceledException or ChannelClosedException)
        {
            // Stopping, or the connection gone, before this message was handled to the end: not
            // acknowledged (returning would be), so the broker offers it again (at the next
            // connection or start), where the replay store has it executed if it never was, or
            // answered if it was.
            args.AutoAcknowledge = false;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogHandlerFailed(ex);
        }
    }

    private async Task QueueAsync(CommandAttempt attempt, MqttApplicationMessage message, CancellationToken stoppingToken, CancellationToken waits, Connection connection)
    {
        var correlation = Echoed(message.CorrelationData, attempt.CommandId, out var dropped);
        // Of the bytes as received, whatever they are: the correlation data is anyone's to copy, so
        // every answer names the exact payload it is about (docs/schemas/command-result.schema.json).
        var hash = CommandResultPayload.PayloadSha256(message.Payload);
        if (message.ResponseTopic is { } topic && !string.Equals(topic, _topics.CommandResults, StringComparison.Ordinal))
        {
            LogForeignResponseTopic(attempt.CommandId, topic);
        }

        var reply = new Reply(attempt.CommandId, attempt.Result, Noted(attempt.Reason, dropped), correlation, hash);
        if (attempt.Command is not { } command)
        {
            await QueueRefusalAsync(reply, stoppingToken, waits, connection).ConfigureAwait(false);
            return;
        }

        // "accepted" into the answers' lane before the command is queued, so that it goes before
        // the command's "done"; that lane never holds refusals, so neither the answer nor the
        // execution waits behind answers to a flood (CommandSubscriber.Flood.cs).
        await QueueAnswerAsync(reply, stoppingToken, waits).ConfigureAwait(false);
        await WriteAsync(_accepted.Writer, new Accepted(command, correlation, hash, dropped), stoppingToken, waits).ConfigureAwait(false);
    }

    /// <summary>
    /// One connection as its handlers see it: the client, the source cancelled when it goes
    /// (ConnectionGone, EndingUnnoticed), and what was read off it and not yet handled.
    /// </summary>
    private sealed record Connection(IMqttClient Client, CancellationTokenSource Gone, ReceiveBacklog Backlog);

    // Whether MQTTnet is ending this established connection itself (the broker gone, a ping not
    // answered, a socket error): if so what waits on it gives up now (its token), the waits of the
    // handler asking among them. MQTTnet tells the subscriber (DisconnectedAsync) only after the
    // handler of the message it is handing over has returned, and until then answers wait for the
    // next connection (the subscription looks up): a handler waiting for room behind them waited
    // for ever, with no reconnect and commands left in the broker until a restart. The rest of
    // ConnectionGone (the time of the loss, the subscription's signal) stays the connect loop's,
    // which runs it once MQTTnet reports the end (DisconnectedAsync) and the loss is journaled.
    // Before the subscription is in place the connect loop learns of the end itself (its subscribe
    // fails).
    private bool EndingUnnoticed(Connection connection)
    {
        if (connection.Client.IsConnected || !ReferenceEquals(Volatile.Read(ref _client), connection.Client))
        {
            return false;
        }

        connection.Gone.Cancel();
        return true;
    }
}
