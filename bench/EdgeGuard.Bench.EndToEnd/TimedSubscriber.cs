using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>One message as the subscriber saw it: when (Stopwatch ticks), its seq, its size.</summary>
internal readonly record struct Arrival(long Timestamp, long Seq, string Topic, int PayloadBytes);

/// <summary>
/// The office side for both rows: one MQTTnet 5 client subscribed at QoS 1, stamping every message
/// with <see cref="Stopwatch.GetTimestamp"/> the moment MQTTnet hands it over, and reading the
/// <c>seq</c> user property (EdgeGuard's contract; the bare publisher sets it too, so both rows cost
/// the subscriber the same). Unlike the tests' TestSubscriber it keeps arrival times and never
/// parses JSON, so the receive side adds as little as possible to either row.
/// </summary>
internal sealed class TimedSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly Channel<Arrival> _arrivals = Channel.CreateUnbounded<Arrival>(new UnboundedChannelOptions { SingleReader = true });

    private TimedSubscriber(IMqttClient client) => _client = client;

    public static async Task<TimedSubscriber> ConnectAsync(int port, params string[] filters)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var subscriber = new TimedSubscriber(client);
        client.ApplicationMessageReceivedAsync += subscriber.OnMessage;
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("bench-office")
            .WithCleanStart(true)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        await client.ConnectAsync(options);
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in filters)
        {
            subscribe.WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce));
        }

        await client.SubscribeAsync(subscribe.Build());
        return subscriber;
    }

    /// <summary>The next message, waiting at most <paramref name="timeout"/>.</summary>
    public async Task<Arrival> NextAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _arrivals.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No message within {timeout.TotalSeconds:0.#} s.");
        }
    }

    /// <summary>Discards what arrived so far; returns the last one, if any (seqs only grow on a topic).</summary>
    public Arrival? Drain()
    {
        Arrival? last = null;
        while (_arrivals.Reader.TryRead(out var arrival))
        {
            last = arrival;
        }

        return last;
    }

    /// <summary>
    /// Reads until <paramref name="count"/> messages on <paramref name="topic"/> with consecutive
    /// seqs from <paramref name="firstSeq"/> have arrived, or no message came for
    /// <paramref name="idleTimeout"/>; counts loss, duplicates and reordering on the way.
    /// </summary>
    public async Task<StreamCheck> CollectAsync(string topic, long firstSeq, int count, TimeSpan idleTimeout)
    {
        var seen = new HashSet<long>();
        long expected = firstSeq;
        int duplicates = 0, outOfOrder = 0;
        long lastTimestamp = 0, maxSeq = 0;
        while (seen.Count < count)
        {
            Arrival arrival;
            try
            {
                arrival = await NextAsync(idleTimeout);
            }
            catch (TimeoutException)
            {
                break;
            }

            if (arrival.Topic != topic || arrival.Seq < firstSeq || arrival.Seq >= firstSeq + count)
            {
                continue; // not part of this stream (e.g. a late message of an earlier phase)
            }

            maxSeq = Math.Max(maxSeq, arrival.Seq);
            if (!seen.Add(arrival.Seq))
            {
                duplicates++;
                continue;
            }

            if (arrival.Seq != expected)
            {
                outOfOrder++;
            }

            expected = arrival.Seq + 1;
            lastTimestamp = arrival.Timestamp;
        }

        return new StreamCheck(count, seen.Count, duplicates, outOfOrder, lastTimestamp, maxSeq);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }

        _client.Dispose();
    }

    private Task OnMessage(MqttApplicationMessageReceivedEventArgs args)
    {
        var at = Stopwatch.GetTimestamp();
        var message = args.ApplicationMessage;
        long seq = -1;
        foreach (var property in message.UserProperties ?? [])
        {
            if (property.Name == "seq" && long.TryParse(property.ReadValueAsString(), NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                seq = value;
            }
        }

        _arrivals.Writer.TryWrite(new Arrival(at, seq, message.Topic, (int)message.Payload.Length));
        return Task.CompletedTask;
    }
}

/// <summary>What a stream delivered: the "nothing lost, in order" check.</summary>
internal sealed record StreamCheck(int Expected, int Received, int Duplicates, int OutOfOrder, long LastTimestamp, long MaxSeq)
{
    public bool Intact => Received == Expected && Duplicates == 0 && OutOfOrder == 0;

    public string Describe() => Intact
        ? $"all {Expected} received once, in order"
        : $"received {Received} of {Expected}, {Expected - Received} lost, {Duplicates} duplicated, {OutOfOrder} out of order";
}

/// <summary>A message came out of turn: the run cannot vouch for delivery.</summary>
internal sealed class DeliveryException(string message) : Exception(message);
