using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using EdgeGuard.Mqtt.Commands;
using MQTTnet.Adapter;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Packets;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The command subscriber's adapter around MQTTnet's (<see cref="HeldReadingAdapter"/>): while
/// reading is held at the flood limit, a ping written is answered at once, so MQTTnet's own
/// keep-alive, which waits half a keep-alive for the answer and then ends the connection, does not
/// end one whose flood is being worked off. The broker's answer waits behind the flood. Over a
/// scripted inner adapter; the same over real Mosquitto in <c>CommandFloodTests</c>.
/// </summary>
public sealed class HeldReadingAdapterTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly MqttPacket Publish = new MqttPublishPacket { Topic = "commands", PacketIdentifier = 1 };

    private readonly ScriptedAdapter _inner = new();
    private readonly HeldPings _pings = new();
    private int _gone;

    private HeldReadingAdapter NewAdapter() => new(_inner, _pings, () => Interlocked.Increment(ref _gone));

    [Fact]
    public async Task A_ping_written_while_reading_is_held_is_answered_and_the_held_read_comes_next()
    {
        using var adapter = NewAdapter();
        var reading = adapter.ReceivePacketAsync(CancellationToken.None);
        _pings.Holding(true);

        await adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);

        Assert.IsType<MqttPingRespPacket>(await reading.WaitAsync(Patience));
        var next = adapter.ReceivePacketAsync(CancellationToken.None);
        Assert.False(next.IsCompleted);
        _inner.Incoming.Writer.TryWrite(Publish);
        Assert.Same(Publish, await next.WaitAsync(Patience));
        Assert.Equal(1, _inner.Reads);
    }

    // MQTTnet's own ping, sent just before a flood arrived: its answer is behind the flood.
    [Fact]
    public async Task A_ping_unanswered_when_reading_is_held_is_answered()
    {
        using var adapter = NewAdapter();
        var reading = adapter.ReceivePacketAsync(CancellationToken.None);
        await adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);
        Assert.False(_pings.Due.IsCompleted);

        _pings.Holding(true);

        Assert.IsType<MqttPingRespPacket>(await reading.WaitAsync(Patience));
    }

    [Fact]
    public async Task A_ping_while_reading_flows_waits_for_the_brokers_answer()
    {
        using var adapter = NewAdapter();
        var reading = adapter.ReceivePacketAsync(CancellationToken.None);
        await adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);
        Assert.False(_pings.Due.IsCompleted);

        var brokers = new MqttPingRespPacket();
        _inner.Incoming.Writer.TryWrite(brokers);
        Assert.Same(brokers, await reading.WaitAsync(Patience));

        // Answered by the broker: a hold now has no ping to answer.
        _pings.Holding(true);
        Assert.False(_pings.Due.IsCompleted);
    }

    // Not written, the socket failed: the ping fails on its own, and the hold goes with the
    // connection, so that MQTTnet's receive loop meets the end.
    [Fact]
    public async Task A_ping_whose_write_failed_is_not_answered_and_lets_the_hold_go()
    {
        using var adapter = NewAdapter();
        _pings.Holding(true);
        _inner.SendFails = new MqttCommunicationException(new IOException("Connection reset by peer"));

        await Assert.ThrowsAsync<MqttCommunicationException>(() => adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None));

        Assert.False(_pings.Due.IsCompleted);
        Assert.Equal(1, _gone);
    }

    // A PUBACK or an answer that fails lets the hold go too: while they are sent MQTTnet does not
    // ping, so a broker gone during a QoS 1 flood went unnoticed until the backlog was worked off.
    [Fact]
    public async Task Any_write_that_fails_lets_the_hold_go()
    {
        using var adapter = NewAdapter();
        _inner.SendFails = new MqttCommunicationException(new IOException("Broken pipe"));

        await Assert.ThrowsAsync<MqttCommunicationException>(() => adapter.SendPacketAsync(new MqttPubAckPacket { PacketIdentifier = 1 }, CancellationToken.None));

        Assert.Equal(1, _gone);
    }

    // Cancelled before it was written (MQTTnet's own ping timed out waiting for the send lock):
    // not counted as written, and the connection is not taken for gone.
    [Fact]
    public async Task A_write_cancelled_does_not_let_the_hold_go()
    {
        using var adapter = NewAdapter();
        _inner.SendFails = new OperationCanceledException();

        await Assert.ThrowsAsync<OperationCanceledException>(() => adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None));
        _pings.Holding(true);

        Assert.False(_pings.Due.IsCompleted);
        Assert.Equal(0, _gone);
    }

    // The broker answers a ping answered here once reading resumes: that answer must not stand in
    // for a later ping's, which would then pass on a link that no longer answers.
    [Fact]
    public async Task The_brokers_answer_to_a_ping_answered_here_is_dropped()
    {
        using var adapter = NewAdapter();
        _pings.Holding(true);
        var reading = adapter.ReceivePacketAsync(CancellationToken.None);
        await adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);
        Assert.Same(MqttPingRespPacket.Instance, await reading.WaitAsync(Patience));
        _pings.Holding(false);
        await adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);

        var next = adapter.ReceivePacketAsync(CancellationToken.None);
        var first = new MqttPingRespPacket();
        _inner.Incoming.Writer.TryWrite(first);
        await _inner.ReadsReach(2).WaitAsync(Patience);
        Assert.False(next.IsCompleted);
        var second = new MqttPingRespPacket();
        _inner.Incoming.Writer.TryWrite(second);

        Assert.Same(second, await next.WaitAsync(Patience));
    }

    // Due completed, then reading resumed before the receive loop took it up: the broker's answer
    // can be read now, and none is given here.
    [Fact]
    public async Task No_ping_is_answered_here_once_reading_resumed()
    {
        using var adapter = NewAdapter();
        _pings.Holding(true);
        await adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);
        Assert.True(_pings.Due.IsCompleted);

        _pings.Holding(false);
        var reading = adapter.ReceivePacketAsync(CancellationToken.None);

        Assert.False(reading.IsCompleted);
        var brokers = new MqttPingRespPacket();
        _inner.Incoming.Writer.TryWrite(brokers);
        Assert.Same(brokers, await reading.WaitAsync(Patience));
    }

    // A PINGREQ began its write between Due completing and the receive loop taking it up.
    [Fact]
    public async Task No_ping_is_answered_here_when_one_began_its_write_since_it_was_due()
    {
        using var adapter = NewAdapter();
        _pings.Holding(true);
        await adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);
        var stuck = new TaskCompletionSource();
        _inner.SendWaits = stuck.Task;
        var writing = adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);

        var reading = adapter.ReceivePacketAsync(CancellationToken.None);
        await _inner.ReadsReach(1).WaitAsync(Patience);
        Assert.False(reading.IsCompleted);

        stuck.SetResult();
        await writing.WaitAsync(Patience);
        Assert.Same(MqttPingRespPacket.Instance, await reading.WaitAsync(Patience));
    }

    // MQTTnet completes every ping waiting with one answer: a ping stuck in its write behind an
    // answer (a link dead half-open) would pass with the one answered here.
    [Fact]
    public async Task No_ping_is_answered_here_while_one_is_being_written()
    {
        using var adapter = NewAdapter();
        await adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);
        var stuck = new TaskCompletionSource();
        _inner.SendWaits = stuck.Task;
        var writing = adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);

        _pings.Holding(true);
        Assert.False(_pings.Due.IsCompleted);

        stuck.SetResult();
        await writing.WaitAsync(Patience);
        Assert.True(_pings.Due.IsCompleted);
    }

    // The broker's answer read before the write's return was noted: the ping is answered, and a
    // hold after it has nothing to answer.
    [Fact]
    public async Task A_brokers_answer_read_before_its_write_returned_is_not_repeated_here()
    {
        using var adapter = NewAdapter();
        var stuck = new TaskCompletionSource();
        _inner.SendWaits = stuck.Task;
        var writing = adapter.SendPacketAsync(MqttPingReqPacket.Instance, CancellationToken.None);
        var brokers = new MqttPingRespPacket();
        _inner.Incoming.Writer.TryWrite(brokers);
        Assert.Same(brokers, await adapter.ReceivePacketAsync(CancellationToken.None).WaitAsync(Patience));

        stuck.SetResult();
        await writing.WaitAsync(Patience);
        _pings.Holding(true);

        Assert.False(_pings.Due.IsCompleted);
    }

    [Fact]
    public async Task Only_a_ping_is_answered()
    {
        using var adapter = NewAdapter();
        _pings.Holding(true);

        await adapter.SendPacketAsync(new MqttPubAckPacket { PacketIdentifier = 1 }, CancellationToken.None);

        Assert.False(_pings.Due.IsCompleted);
    }

    // MQTTnet disconnects the adapter before it waits for its receive loop, which a hold keeps.
    [Fact]
    public async Task The_connections_end_lets_the_hold_go()
    {
        var adapter = NewAdapter();

        await adapter.DisconnectAsync(CancellationToken.None);
        Assert.Equal(1, _gone);
        adapter.Dispose();
        Assert.Equal(2, _gone);
        Assert.Equal(1, _inner.Disconnects);
    }

    /// <summary>An inner adapter whose packets the test writes, and whose writes may fail.</summary>
    private sealed class ScriptedAdapter : IMqttChannelAdapter
    {
        private readonly Channel<int> _readsReached = Channel.CreateUnbounded<int>();
        private int _reads;
        private int _disconnects;

        public Channel<MqttPacket> Incoming { get; } = Channel.CreateUnbounded<MqttPacket>();

        public Exception? SendFails { get; set; }

        public Task SendWaits { get; set; } = Task.CompletedTask;

        public int Reads => Volatile.Read(ref _reads);

        public int Disconnects => Volatile.Read(ref _disconnects);

        public long BytesReceived => 0;

        public long BytesSent => 0;

        public X509Certificate2 ClientCertificate => null!;

        public EndPoint RemoteEndPoint => new IPEndPoint(IPAddress.Loopback, 1883);

        public EndPoint LocalEndPoint => new IPEndPoint(IPAddress.Loopback, 50000);

        public bool IsSecureConnection => false;

        public MqttPacketFormatterAdapter PacketFormatterAdapter => null!;

        public Task ConnectAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task DisconnectAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _disconnects);
            return Task.CompletedTask;
        }

        public Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _reads);
            _readsReached.Writer.TryWrite(Reads);
            return Incoming.Reader.ReadAsync(cancellationToken).AsTask();
        }

        /// <summary>Completes once <paramref name="count"/> reads were started.</summary>
        public async Task ReadsReach(int count)
        {
            while (Reads < count)
            {
                await _readsReached.Reader.ReadAsync();
            }
        }

        public void ResetStatistics()
        {
        }

        public async Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
        {
            await SendWaits;
            SendWaits = Task.CompletedTask;
            if (SendFails is { } fails)
            {
                throw fails;
            }
        }

        public void Dispose()
        {
        }
    }
}
