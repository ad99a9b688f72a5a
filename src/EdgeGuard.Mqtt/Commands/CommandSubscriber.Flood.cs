using EdgeGuard.Mqtt.Publishing;
using MQTTnet;
using MQTTnet.Diagnostics.PacketInspection;

namespace EdgeGuard.Mqtt.Commands;

// MQTTnet reads every PUBLISH off the socket into a receive queue that has no bound, and the
// messages wait there while commands are handled one at a time (each journaled to disk before its
// PUBACK). Receive Maximum does not bound that queue: QoS 0 messages are outside it, and Mosquitto
// 2.0.11 honours it only until PUBACKs flow: each PUBACK of the oldest message in flight moves up
// to a Receive Maximum's worth of queued messages into flight (db__message_delete_outgoing counts
// only the messages in flight before the acknowledged one; eclipse/mosquitto#2301), so a queue of
// thousands arrives within a second whatever the gateway announces (its log shows 16 PUBLISHes
// after every PUBACK). Anyone the broker lets publish on the command topic could grow the memory
// of the process that drives the locks until it dies.
//
// So every PUBLISH is counted, with its size, as it is read, and at MaxBacklog messages or
// MaxBacklogBytes MQTTnet's receive loop is held (ReceiveBacklog): nothing more is read until the
// handler has worked the backlog down to half, and the broker keeps the rest (MQTTnet's pings
// meanwhile are answered at once, as the broker's answers wait behind the flood: HeldPings). The
// connection stays, and every message handled is acknowledged, so a flood is worked off at the
// handler's pace instead of being sent again after every drop (a drop per limit reached, with
// nothing acknowledged and the reconnect backing off to 30 s, took half an hour for 40,000
// messages, longer than any command lives). While reading is held, the PUBACKs of the answers wait
// behind what is not read, so an answer to a refused message that finds the results queue full is
// not published (counted in ResultsDropped; the refusal is journaled or counted by RejectionAudit).
// Answers of accepted commands (accepted, done, failed) have a lane of their own, drained first
// (CommandSubscriber.Queue.cs), and "accepted" is queued there before the command goes to the
// execute queue: in one lane with the refusals, a lockdown inside a QoS 1 flood was executed up to
// a timeout late (its "accepted" waited for a slot behind refusals each waiting a timeout for a
// PUBACK that cannot be read) and "done" came 17 s late, or never in a sustained flood. A separate
// lane rather than shedding every refusal for the episode: outside floods answers stay as they
// were. During an episode, a refusal's answer being published gives way to such an answer (shed: no
// longer waited for, counted in ResultsDropped; its write is never cut, PublishAsync). If nothing
// is handled for a timeout while reading is held (a journal stalled, or a wait for room), the
// connection is dropped with the backlog, as before: QoS 0 messages are lost (the contract says QoS
// 1), unacknowledged QoS 1 ones come again. The first hold of an episode is journaled and logged;
// the next ones, until none came for FloodQuietTime, are counted and logged at debug level.
public sealed partial class CommandSubscriber
{
    // The flood episode: holds in it (0: none open) and when the last one was (monotonic).
    private readonly Lock _floodGate = new();
    private long _episodeHolds;
    private long _lastHold;

    // Messages handled on the last connection if it was dropped for a flood; null if it was not.
    // Touched by the connect loop only.
    private long? _floodDropHandled;

    /// <summary>
    /// How long without the backlog limit reached closes an episode: three keep-alives, and at
    /// least twice the longest reconnect delay, as for takeovers (TakeoverEpisode).
    /// </summary>
    private TimeSpan FloodQuietTime => TakeoverEpisode.QuietTime(_options.Broker);

    // Whether a flood episode is open: a hold came within FloodQuietTime.
    private bool FloodEpisodeOpen
    {
        get
        {
            lock (_floodGate)
            {
                return _episodeHolds > 0 && _time.GetElapsedTime(_lastHold) < FloodQuietTime;
            }
        }
    }

    // The consecutive failures the next reconnect delay is drawn for: 0 after a connection that
    // lasted a keep-alive or a flood drop after messages were handled (the shortest delay); one
    // more after a short connection, or a flood drop with nothing handled (no hot loop).
    private int NextFailures(int failures, TimeSpan lasted)
    {
        var flood = _floodDropHandled;
        _floodDropHandled = null;
        if (flood is { } handled)
        {
            return handled > 0 ? 0 : failures + 1;
        }

        return lasted >= _options.Broker.KeepAlive ? 0 : failures + 1;
    }

    // On MQTTnet's receive loop, each time reading is held at the limit: cheap, never waits.
    private void BacklogHeld(int messages, long bytes)
    {
        bool opens;
        lock (_floodGate)
        {
            var now = _time.GetTimestamp();
            opens = _episodeHolds == 0 || _time.GetElapsedTime(_lastHold, now) >= FloodQuietTime;
            if (opens && _episodeHolds > 0)
            {
                LogFloodEpisodeEnded(_episodeHolds);
            }

            _episodeHolds = opens ? 1 : _episodeHolds + 1;
            _lastHold = now;
        }

        if (!opens)
        {
            LogFloodedAgain(messages, bytes);
            return;
        }

        LogFlooded(messages, bytes);
        var reason = $"the command topic was flooded: {messages} messages ({bytes} bytes) waited to be handled, as many as "
            + $"{_options.MaxBacklog} messages or {_options.MaxBacklogBytes} bytes; reading was held until they were handled "
            + "(the broker keeps the rest), answers to refused messages that found the results queue full were not published, "
            + "and the connection is dropped with the backlog if nothing is handled for a timeout (QoS 0 messages are lost then, "
            + "QoS 1 ones come again); further holds until the flood is over are not journaled";
        // Not awaited on the receive loop; the handler logs a journal that fails.
        _ = _handler.JournalDroppedAsync(reason, CancellationToken.None);
    }

    // The connection is going (lost, stopped, or dropped for a flood): results wait for the next
    // one, and what waits on this one gives up. Before it is dropped for a flood, too, so that the
    // drop does not wait for a result's PUBACK that will never come. Idempotent.
    private void ConnectionGone(CancellationTokenSource gone, DateTimeOffset at)
    {
        Volatile.Write(ref _client, null);
        var signal = Volatile.Read(ref _subscribed);
        if (signal.Task.IsCompleted)
        {
            // From here commands wait in the broker's session, if it keeps one (ReportSessionAsync).
            _lostAt ??= at;
            Interlocked.CompareExchange(ref _subscribed, NewSignal(), signal);
        }

        // After the signal: a result whose publish this cancels waits for the next connection.
        gone.Cancel();
    }

    private async Task DropFloodedConnectionAsync(IMqttClient client, ReceiveBacklog backlog)
    {
        Interlocked.Increment(ref _floodDrops);
        LogFloodDropped(backlog.Waiting, backlog.WaitingBytes, _options.Broker.Timeout.TotalSeconds);
        // The socket is closed first, so the flood stops growing at once; MQTTnet then waits for the
        // message being handled, whose waits the connection's end cancels (ConnectionGone).
        await DisconnectQuietlyAsync(client).ConfigureAwait(false);
        _floodDropHandled = backlog.HandledCount;
    }

    /// <summary>
    /// The PUBLISH packets read off the socket and not yet handled (MQTTnet queues them in arrival
    /// order). At either limit MQTTnet's receive loop is held (it awaits <see cref="OnPacketAsync"/>),
    /// so nothing more is read until the handler has worked the backlog below half the limits: the
    /// socket's buffers fill and the broker keeps the rest. Held for <paramref name="stall"/> with no
    /// message handled (a journal stalled, or a command waiting for room in the queues, which wait
    /// for PUBACKs behind what is not read), <see cref="Exceeded"/> completes: the connection is dropped.
    /// </summary>
    private sealed class ReceiveBacklog(int maxMessages, long maxBytes, TimeSpan stall, TimeProvider time, Action<int, long> held, HeldPings pings)
    {
        private readonly Lock _gate = new();
        private readonly Queue<int> _sizes = new();
        private long _bytes;
        private long _handled;
        private TaskCompletionSource? _resume;
        private bool _released;
        private bool _armed;

        /// <summary>Completes when the backlog stalled at the limit: drop the connection.</summary>
        public TaskCompletionSource Exceeded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Waiting
        {
            get
            {
                lock (_gate)
                {
                    return _sizes.Count;
                }
            }
        }

        public long WaitingBytes
        {
            get
            {
                lock (_gate)
                {
                    return _bytes;
                }
            }
        }

        /// <summary>Messages handed to the subscriber on this connection.</summary>
        public long HandledCount => Interlocked.Read(ref _handled);

        /// <summary>Whether reading is held at the limit now: answers to refusals may be shed.</summary>
        public bool Held => Volatile.Read(ref _resume) is not null;

        /// <summary>Runs on MQTTnet's receive loop for every packet, before it is queued.</summary>
        public async Task OnPacketAsync(InspectMqttPacketEventArgs args)
        {
            // The fixed header's first byte: packet type 3 is PUBLISH.
            if (args.Direction != MqttPacketFlowDirection.Inbound || args.Buffer is not { Length: > 0 } packet || packet[0] >> 4 != 3)
            {
                return;
            }

            Task resumed;
            int messages;
            long bytes;
            lock (_gate)
            {
                _sizes.Enqueue(packet.Length);
                _bytes += packet.Length;
                if (_released || !_armed || (_sizes.Count < maxMessages && _bytes < maxBytes))
                {
                    return;
                }

                _resume ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                pings.Holding(true);
                (resumed, messages, bytes) = (_resume.Task, _sizes.Count, _bytes);
            }

            held(messages, bytes);
            while (true)
            {
                var before = HandledCount;
                using var timeout = new CancellationTokenSource(stall, time);
                try
                {
                    await resumed.WaitAsync(timeout.Token).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException) when (HandledCount != before)
                {
                    // Slow, but moving: hold on.
                }
                catch (OperationCanceledException)
                {
                    // Still held until the connection is dropped (Release): reading on would let
                    // the backlog grow until the socket closes.
                    Exceeded.TrySetResult();
                    await resumed.ConfigureAwait(false);
                    return;
                }
            }
        }

        /// <summary>After each message handed to the subscriber, in the order they arrived.</summary>
        public void Handled()
        {
            Interlocked.Increment(ref _handled);
            TaskCompletionSource? resume = null;
            lock (_gate)
            {
                if (_sizes.TryDequeue(out var size))
                {
                    _bytes -= size;
                }

                if (_resume is not null && _sizes.Count <= maxMessages / 2 && _bytes <= maxBytes / 2)
                {
                    (resume, _resume) = (_resume, null);
                    pings.Holding(false);
                }
            }

            resume?.TrySetResult();
        }

        /// <summary>From the CONNACK on: reading may be held (before, it would hold the connect).</summary>
        public void Arm()
        {
            lock (_gate)
            {
                _armed = true;
            }
        }

        /// <summary>The connection is going: reading is never held again, so MQTTnet's receive loop can end.</summary>
        public void Release()
        {
            TaskCompletionSource? resume;
            lock (_gate)
            {
                _released = true;
                (resume, _resume) = (_resume, null);
                pings.Holding(false);
            }

            resume?.TrySetResult();
        }
    }
}
