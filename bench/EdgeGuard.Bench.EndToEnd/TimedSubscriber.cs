using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>One message as the subscriber saw it: when (Stopwatch ticks), its seq, its size, and its text if kept.</summary>
internal readonly record struct Arrival(long Timestamp, long Seq, string Topic, int PayloadBytes, string? Text = null);

/// <summary>
/// The office side for both rows: one MQTTnet 5 client subscribed at QoS 1, stamping every message
/// with <see cref="Stopwatch.GetTimestamp"/> the moment MQTTnet hands it over, and reading the
/// <c>seq</c> user property (EdgeGuard's contract; the bare publisher sets it too, so both rows cost
/// the subscriber the same). Unlike the tests' TestSubscriber it keeps arrival times and never
/// parses JSON, so the receive side adds as little as possible to either row.
/// <para>
/// By default the client runs in a child process (<see cref="OfficeSubscriberProcess"/>), as the
/// office's does on its own machine: in this process its receive work would queue on the same
/// thread pool as the gateway's, so the gateway's background work (the publisher's PUBACK handling,
/// the journal's hold) would delay the measuring client, not the delivery (docs/PERFORMANCE.md,
/// runs Z16). The child still shares the two cores, so CPU contention stays in the figures.
/// <see cref="Stopwatch"/> is CLOCK_MONOTONIC on Linux, so its stamps compare with this process's.
/// </para>
/// </summary>
internal sealed class TimedSubscriber : IAsyncDisposable
{
    private readonly OfficeSubscriberProcess? _process;
    private readonly Channel<Arrival> _arrivals = Channel.CreateUnbounded<Arrival>(new UnboundedChannelOptions { SingleReader = true });
    private IMqttClient? _client;

    // How a persistent subscriber connects again after the broker came back (null otherwise).
    private Func<Task<IMqttClient>>? _connect;

    // Whether arrivals carry their payload as text (a state topic's watcher, never the event stream's).
    private bool _keepText;

    private TimedSubscriber()
    {
    }

    private TimedSubscriber(int port, string[] filters) => _process = OfficeSubscriberProcess.Start(port, filters, _arrivals.Writer);

    /// <summary>Whether the client runs in a child process (the default) or in this one.</summary>
    public bool OutOfProcess => _process is not null;

    /// <summary>The child's process id, or this process's when the client runs here.</summary>
    public int ProcessId => _process?.ProcessId ?? Environment.ProcessId;

    /// <summary>The subscriber in a child process (<see cref="OfficeSubscriberProcess"/>), subscribed once this returns.</summary>
    public static async Task<TimedSubscriber> StartProcessAsync(int port, params string[] filters)
    {
        var subscriber = new TimedSubscriber(port, filters);
        await subscriber._process!.Subscribed.WaitAsync(TimeSpan.FromSeconds(30));
        return subscriber;
    }

    /// <summary>The subscriber in this process, subscribed once this returns.</summary>
    public static async Task<TimedSubscriber> ConnectAsync(int port, params string[] filters)
    {
        var subscriber = new TimedSubscriber();
        subscriber._client = await ConnectClientAsync(port, filters, subscriber.Receive);
        return subscriber;
    }

    /// <summary>
    /// The office as a persistent MQTT session in this process (clean start off, session kept for an
    /// hour): a broker with persistence that is stopped and started again keeps its subscription and
    /// queues what the gateway publishes until <see cref="ReconnectAsync"/>, as the office's client
    /// would. For the broker-outage run (<see cref="OutageRun"/>).
    /// </summary>
    /// <param name="keepText">Keep each message's payload as text in <see cref="Arrival.Text"/>.</param>
    public static async Task<TimedSubscriber> ConnectPersistentAsync(int port, string clientId, string[] filters, bool keepText = false)
    {
        var subscriber = new TimedSubscriber { _keepText = keepText };
        subscriber._connect = () => ConnectClientAsync(port, filters, subscriber.Receive, clientId);
        subscriber._client = await subscriber._connect();
        return subscriber;
    }

    /// <summary>Connects a persistent subscriber again, resuming its session, once the broker is back.</summary>
    public async Task ReconnectAsync()
    {
        var connect = _connect ?? throw new InvalidOperationException("Only a persistent subscriber reconnects.");
        _client?.Dispose();
        _client = await connect();
    }

    /// <summary>
    /// A connected MQTTnet client subscribed at QoS 1 to <paramref name="filters"/>, with
    /// <paramref name="onMessage"/> registered before the subscription, so nothing can come first.
    /// </summary>
    /// <param name="persistentId">Client id of a persistent session (clean start off); null for the clean "bench-office".</param>
    internal static async Task<IMqttClient> ConnectClientAsync(int port, string[] filters, Func<MqttApplicationMessageReceivedEventArgs, Task> onMessage, string? persistentId = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += onMessage;

        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(persistentId ?? "bench-office")
            .WithCleanStart(persistentId is null)
            .WithSessionExpiryInterval(persistentId is null ? 0u : 3600u)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        await client.ConnectAsync(options);
        var subscribe = new MqttClientSubscribeOptionsBuilder();
        foreach (var filter in filters)
        {
            subscribe.WithTopicFilter(f => f.WithTopic(filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce));
        }

        await client.SubscribeAsync(subscribe.Build());
        return client;
    }

    private Task Receive(MqttApplicationMessageReceivedEventArgs args)
    {
        var arrival = Stamp(args);
        _arrivals.Writer.TryWrite(_keepText ? arrival with { Text = args.ApplicationMessage.ConvertPayloadToString() } : arrival);
        return Task.CompletedTask;
    }

    /// <summary>The message stamped now, with the seq from its <c>seq</c> user property (−1 without one).</summary>
    internal static Arrival Stamp(MqttApplicationMessageReceivedEventArgs args)
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

        return new Arrival(at, seq, message.Topic, (int)message.Payload.Length);
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
        if (_process is not null)
        {
            await _process.DisposeAsync();
            return;
        }

        if (_client!.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }

        _client.Dispose();
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
