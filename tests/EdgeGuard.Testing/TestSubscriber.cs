using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;

namespace EdgeGuard.Testing;

/// <summary>One message as the office subscriber received it.</summary>
public sealed record Receipt(string Topic, byte[] Payload, bool Retain, bool Dup, IReadOnlyDictionary<string, string> UserProperties, string? ContentType)
{
    /// <summary>The payload as UTF-8 text.</summary>
    public string Text => Encoding.UTF8.GetString(Payload);

    /// <summary>The payload parsed as JSON.</summary>
    public JsonElement Json => JsonPayload.Parse(Payload);
}

/// <summary>
/// The security office in a test: an MQTTnet client with a persistent session (clean start false,
/// session expiry 1 h) subscribed at QoS 1, reconnecting on its own after a broker restart.
/// </summary>
public sealed class TestSubscriber : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly string _filter;
    private readonly Lock _gate = new();
    private readonly List<Receipt> _receipts = [];
    private readonly HashSet<long> _seqs = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Action<Receipt>? _observe;
    private Task _reconnectLoop = Task.CompletedTask;

    private TestSubscriber(MqttClientOptions options, string filter, Action<Receipt>? observe)
    {
        _client = new MqttClientFactory().CreateMqttClient();
        _options = options;
        _filter = filter;
        _observe = observe;
        _client.ApplicationMessageReceivedAsync += OnMessage;
    }

    /// <summary>Distinct event seqs received (from the <c>seq</c> user property).</summary>
    public int DistinctSeqCount
    {
        get
        {
            lock (_gate)
            {
                return _seqs.Count;
            }
        }
    }

    /// <summary>Every receipt so far, in arrival order.</summary>
    public IReadOnlyList<Receipt> Receipts
    {
        get
        {
            lock (_gate)
            {
                return [.. _receipts];
            }
        }
    }

    /// <summary>Connects, subscribes and starts reconnecting by itself whenever the link drops.</summary>
    /// <param name="credentials">Username and password, for a broker with a password file.</param>
    /// <param name="observe">
    /// When given, each receipt is handed to it (one at a time, in arrival order) instead of being
    /// kept: a soak's hours of events would otherwise fill the harness's memory.
    /// </param>
    public static async Task<TestSubscriber> ConnectAsync(
        int port, string filter, string clientId, bool persistent = true, Action<MqttClientTlsOptionsBuilder>? tls = null,
        (string User, string Password)? credentials = null, Action<Receipt>? observe = null)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId)
            .WithCleanStart(!persistent)
            .WithSessionExpiryInterval(persistent ? 3600u : 0u)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(5))
            .WithTimeout(TimeSpan.FromSeconds(10));
        if (tls is not null)
        {
            builder.WithTlsOptions(tls);
        }

        if (credentials is { } login)
        {
            builder.WithCredentials(login.User, login.Password);
        }

        var subscriber = new TestSubscriber(builder.Build(), filter, observe);
        await subscriber.ConnectOnceAsync(CancellationToken.None);
        subscriber._reconnectLoop = Task.Run(() => subscriber.KeepConnectedAsync(subscriber._stop.Token));
        return subscriber;
    }

    /// <summary>Receipts on one topic.</summary>
    public IReadOnlyList<Receipt> On(string topic) => [.. Receipts.Where(r => r.Topic == topic)];

    /// <summary>Waits until a receipt matches; returns it.</summary>
    public async Task<Receipt> WaitForAsync(Func<Receipt, bool> match, TimeSpan timeout, string what)
    {
        Receipt? found = null;
        await Eventually.TrueAsync(() => (found = Receipts.FirstOrDefault(match)) is not null, timeout, what);
        return found!;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _reconnectLoop;
        }
        catch (OperationCanceledException)
        {
        }

        if (_client.IsConnected)
        {
            await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }

        _client.Dispose();
        _stop.Dispose();
    }

    private async Task ConnectOnceAsync(CancellationToken cancellationToken)
    {
        var result = await _client.ConnectAsync(_options, cancellationToken);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"Subscriber connect refused: {result.ResultCode}");
        }

        if (!result.IsSessionPresent)
        {
            var subscribe = new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(f => f.WithTopic(_filter).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce))
                .Build();
            await _client.SubscribeAsync(subscribe, cancellationToken);
        }
    }

    private async Task KeepConnectedAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            if (!_client.IsConnected)
            {
                try
                {
                    await ConnectOnceAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The broker is down; try again shortly.
                }
            }

            await Task.Delay(50, cancellationToken);
        }
    }

    private Task OnMessage(MqttApplicationMessageReceivedEventArgs args)
    {
        var message = args.ApplicationMessage;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in message.UserProperties ?? [])
        {
            properties[property.Name] = property.ReadValueAsString();
        }

        var receipt = new Receipt(message.Topic, message.Payload.ToArray(), message.Retain, message.Dup, properties, message.ContentType);
        if (_observe is not null)
        {
            _observe(receipt);
            return Task.CompletedTask;
        }

        lock (_gate)
        {
            _receipts.Add(receipt);
            if (properties.TryGetValue("seq", out var seq))
            {
                _seqs.Add(long.Parse(seq, CultureInfo.InvariantCulture));
            }
        }

        return Task.CompletedTask;
    }
}
