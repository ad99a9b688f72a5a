using System.Diagnostics;
using System.Globalization;
using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>
/// The baseline: one plain MQTTnet 5 client publishing QoS 1 to the same broker and subscriber as
/// the gateway, with messages shaped like the gateway's events (same payload size, content type,
/// payload format indicator and <c>seq</c> user property), so the two rows differ only by what
/// EdgeGuard adds: GPIO callback, controller, journal (SQLite + fsync) and outbox.
/// </summary>
internal sealed class BareMqtt : IAsyncDisposable
{
    public const string Topic = "bench/bare/events";

    private readonly IMqttClient _client;
    private readonly byte[] _payload;
    private long _seq;

    private BareMqtt(IMqttClient client, int payloadBytes)
    {
        _client = client;
        _payload = new byte[payloadBytes];
        Array.Fill(_payload, (byte)'x');
    }

    public static async Task<BareMqtt> ConnectAsync(int port, int payloadBytes)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("bench-bare-publisher")
            .WithCleanStart(true)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        await client.ConnectAsync(options);
        return new BareMqtt(client, payloadBytes);
    }

    /// <summary>The seq the next message will carry.</summary>
    public long NextSeq => _seq + 1;

    /// <summary>
    /// Ping-pong latency: publish one message (timestamp taken before <c>PublishAsync</c>), wait for
    /// the subscriber to receive it and for the PUBACK, pause 1 ms, repeat. The same shape as the
    /// gateway's latency run.
    /// </summary>
    public async Task<List<long>> LatencyAsync(TimedSubscriber subscriber, int samples)
    {
        var latencies = new List<long>(samples);
        for (var i = 0; i < samples; i++)
        {
            latencies.Add(await SampleAsync(subscriber));
        }

        return latencies;
    }

    /// <summary>One ping-pong sample (see <see cref="LatencyAsync"/>); returns its latency in Stopwatch ticks.</summary>
    public async Task<long> SampleAsync(TimedSubscriber subscriber)
    {
        var message = Next(out var seq);
        var sent = Stopwatch.GetTimestamp();
        var ack = _client.PublishAsync(message);
        var arrival = await subscriber.NextAsync(TimeSpan.FromSeconds(10));
        await ack;
        if (arrival.Seq != seq || arrival.Topic != Topic)
        {
            throw new DeliveryException($"bare latency: expected seq {seq}, got {arrival.Seq} on {arrival.Topic}");
        }

        // The same untimed gap the gateway rows leave between samples.
        await Task.Delay(1);
        return arrival.Timestamp - sent;
    }

    /// <summary>
    /// Throughput of <paramref name="count"/> messages with at most <paramref name="inFlight"/>
    /// awaiting their PUBACK: 1 is a publisher that awaits every PUBACK before the next send; 64 is
    /// what the gateway's OutboxPublisher does by default (MaxInFlight). Timed from the first send
    /// to the subscriber's receipt of the last message.
    /// </summary>
    public async Task<StreamResult> StreamAsync(TimedSubscriber subscriber, int count, int inFlight)
    {
        var firstSeq = NextSeq;
        var collect = subscriber.CollectAsync(Topic, firstSeq, count, TimeSpan.FromSeconds(10));
        var window = new Queue<Task<MqttClientPublishResult>>(inFlight);
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            if (window.Count >= inFlight)
            {
                await window.Dequeue();
            }

            window.Enqueue(_client.PublishAsync(Next(out _)));
        }

        while (window.Count > 0)
        {
            await window.Dequeue();
        }

        var check = await collect;
        return new StreamResult(check, started);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }

        _client.Dispose();
    }

    private MqttApplicationMessage Next(out long seq)
    {
        seq = ++_seq;
        return new MqttApplicationMessageBuilder()
            .WithTopic(Topic)
            .WithPayload(_payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType("application/json")
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithUserProperty("seq", new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(seq.ToString(CultureInfo.InvariantCulture))))
            .Build();
    }
}

/// <summary>A stream's delivery check and its rate, from the first send to the last receipt.</summary>
internal sealed record StreamResult(StreamCheck Check, long StartedTimestamp)
{
    public TimeSpan Elapsed => Check.LastTimestamp == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(StartedTimestamp, Check.LastTimestamp);

    public double PerSecond => Elapsed > TimeSpan.Zero ? Check.Received / Elapsed.TotalSeconds : 0;
}
