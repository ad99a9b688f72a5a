using MQTTnet;
using MQTTnet.Diagnostics.PacketInspection;

namespace EdgeGuard.Mqtt.Commands;

// A broker that forwards messages faster than commands are handled (each is journaled to disk
// before its PUBACK) fills MQTTnet's receive queue, which has no bound. Receive Maximum holds QoS 1
// to 16 in flight, but QoS 0 messages are outside it: anyone who may publish on the command topic
// could grow the memory of the process that drives the locks until it dies. So every PUBLISH is
// counted as it is read off the socket, and once more than MaxBacklog wait to be handled the
// connection is dropped, and MQTTnet's queue with it. That loses only QoS 0 messages, which are
// at-most-once by definition (the contract says QoS 1). Unacknowledged QoS 1 commands stay in the
// broker's session and come again. The drop is journaled and logged, and the reconnect backs off
// like any short connection.
public sealed partial class CommandSubscriber
{
    private async Task DropFloodedConnectionAsync(IMqttClient client, long waiting, CancellationToken stoppingToken)
    {
        var reason = $"the command topic was flooded: {waiting} messages waited to be handled, more than {_options.MaxBacklog}; "
            + "the connection was dropped with them (QoS 0 ones are lost, QoS 1 ones come again)";
        LogFlooded(waiting, _options.MaxBacklog);
        // Journaled first: MQTTnet's disconnect waits for the message being handled, which may be
        // waiting for the journal itself.
        await _handler.JournalDroppedAsync(reason, stoppingToken).ConfigureAwait(false);
        await DisconnectQuietlyAsync(client).ConfigureAwait(false);
    }

    /// <summary>Counts PUBLISH packets read off the socket against those handled (MQTTnet queues the rest).</summary>
    private sealed class ReceiveBacklog(int limit)
    {
        private long _arrived;
        private long _handled;

        /// <summary>Completes when more than the limit wait.</summary>
        public TaskCompletionSource Exceeded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Waiting => Interlocked.Read(ref _arrived) - Interlocked.Read(ref _handled);

        /// <summary>Runs on MQTTnet's receive loop for every packet, before it is queued.</summary>
        public Task OnPacketAsync(InspectMqttPacketEventArgs args)
        {
            // The fixed header's first byte: packet type 3 is PUBLISH.
            if (args.Direction == MqttPacketFlowDirection.Inbound && args.Buffer is { Length: > 0 } packet && packet[0] >> 4 == 3
                && Interlocked.Increment(ref _arrived) - Interlocked.Read(ref _handled) > limit)
            {
                Exceeded.TrySetResult();
            }

            return Task.CompletedTask;
        }

        public void Handled() => Interlocked.Increment(ref _handled);
    }
}
