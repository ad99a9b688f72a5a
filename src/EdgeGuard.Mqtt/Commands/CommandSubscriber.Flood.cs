using System.Collections.Concurrent;
using MQTTnet;
using MQTTnet.Diagnostics.PacketInspection;

namespace EdgeGuard.Mqtt.Commands;

// MQTTnet reads every PUBLISH off the socket into a receive queue that has no bound, and the
// messages wait there while commands are handled one at a time (each journaled to disk before its
// PUBACK). Receive Maximum does not bound that queue: QoS 0 messages are outside it, and Mosquitto
// 2.0.11 was seen sending thousands of unacknowledged QoS 1 messages to a client announcing 16
// (CommandFuzzTests' burst). Anyone the broker lets publish on the command topic could grow the
// memory of the process that drives the locks until it dies. So every PUBLISH is counted, with its
// size, as it is read, and once more than MaxBacklog messages or MaxBacklogBytes wait, the
// connection is dropped, and MQTTnet's queue with it. QoS 0 messages are at most once by
// definition (the contract says QoS 1); unacknowledged QoS 1 commands stay in the broker's session
// and come again. The drop is journaled and logged, and the reconnect backs off like any short
// connection. The limits are far above any real office's burst: only a flood reaches them.
public sealed partial class CommandSubscriber
{
    private async Task DropFloodedConnectionAsync(IMqttClient client, ReceiveBacklog backlog, CancellationToken stoppingToken)
    {
        var (messages, bytes) = (backlog.Waiting, backlog.WaitingBytes);
        var reason = $"the command topic was flooded: {messages} messages ({bytes} bytes) waited to be handled, more than "
            + $"{_options.MaxBacklog} messages or {_options.MaxBacklogBytes} bytes; the connection was dropped with them "
            + "(QoS 0 ones are lost, QoS 1 ones come again)";
        LogFlooded(messages, bytes);
        // The socket is closed first, so the flood stops growing at once; MQTTnet then waits for the
        // message being handled, which may itself wait for the journal this record goes to.
        var disconnecting = DisconnectQuietlyAsync(client);
        await _handler.JournalDroppedAsync(reason, stoppingToken).ConfigureAwait(false);
        await disconnecting.ConfigureAwait(false);
    }

    /// <summary>The PUBLISH packets read off the socket and not yet handled (MQTTnet queues them in arrival order).</summary>
    private sealed class ReceiveBacklog(int maxMessages, long maxBytes)
    {
        private readonly ConcurrentQueue<int> _sizes = new();
        private long _bytes;

        /// <summary>Completes when more than either limit waits.</summary>
        public TaskCompletionSource Exceeded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Waiting => _sizes.Count;

        public long WaitingBytes => Interlocked.Read(ref _bytes);

        /// <summary>Runs on MQTTnet's receive loop for every packet, before it is queued.</summary>
        public Task OnPacketAsync(InspectMqttPacketEventArgs args)
        {
            // The fixed header's first byte: packet type 3 is PUBLISH.
            if (args.Direction == MqttPacketFlowDirection.Inbound && args.Buffer is { Length: > 0 } packet && packet[0] >> 4 == 3)
            {
                _sizes.Enqueue(packet.Length);
                if (Interlocked.Add(ref _bytes, packet.Length) > maxBytes || _sizes.Count > maxMessages)
                {
                    Exceeded.TrySetResult();
                }
            }

            return Task.CompletedTask;
        }

        /// <summary>After each message handed to the subscriber, in the order they arrived.</summary>
        public void Handled()
        {
            if (_sizes.TryDequeue(out var size))
            {
                Interlocked.Add(ref _bytes, -size);
            }
        }
    }
}
