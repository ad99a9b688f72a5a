using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeGuard.Testing;

/// <summary>A command result as the office receives it, with the MQTT 5 correlation data.</summary>
public sealed record ResultReceipt(byte[] Payload, byte[]? CorrelationData, string? ContentType)
{
    /// <summary>The correlation data as text (tests send text).</summary>
    public string? Correlation => CorrelationData is null ? null : Encoding.UTF8.GetString(CorrelationData);

    /// <summary>The payload's <c>result</c>.</summary>
    public string Result => Json.GetProperty("result").GetString()!;

    /// <summary>The payload's <c>reason</c> (null when JSON null).</summary>
    public string? Reason => Json.GetProperty("reason").GetString();

    /// <summary>The payload's <c>command_id</c>.</summary>
    public string CommandId => Json.GetProperty("command_id").GetString()!;

    /// <summary>The payload, parsed.</summary>
    public JsonElement Json => JsonPayload.Parse(Payload);
}

/// <summary>
/// The security office's side of the command topics on a real broker: publishes command payloads
/// (QoS 1, response topic, correlation data, optionally retained) and collects every result.
/// </summary>
public sealed class OfficeClient : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly string _commands;
    private readonly string _results;
    private readonly ConcurrentQueue<ResultReceipt> _receipts = new();

    private OfficeClient(IMqttClient client, string root)
    {
        _client = client;
        _commands = root + "/commands";
        _results = root + "/command-results";
    }

    /// <summary>Every result received so far, in arrival order.</summary>
    public IReadOnlyList<ResultReceipt> Results => [.. _receipts];

    /// <summary>Connects to the broker on loopback and subscribes to the gateway's results.</summary>
    public static async Task<OfficeClient> ConnectAsync(int port, string root, string clientId = "office", Action<MqttClientTlsOptionsBuilder>? tls = null)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var office = new OfficeClient(client, root);
        client.ApplicationMessageReceivedAsync += args =>
        {
            var message = args.ApplicationMessage;
            office._receipts.Enqueue(new ResultReceipt(message.Payload.ToArray(), message.CorrelationData, message.ContentType));
            return Task.CompletedTask;
        };
        var builder = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId).WithCleanStart(true);
        if (tls is not null)
        {
            builder.WithTlsOptions(tls);
        }

        var options = builder.Build();
        await client.ConnectAsync(options);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(office._results, MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return office;
    }

    /// <summary>
    /// Publishes <paramref name="payload"/> on the command topic as the contract describes, except
    /// that no MQTT 5 Message Expiry Interval is set unless <paramref name="messageExpiry"/> is given
    /// (the office sets one; tests that need a broker to keep a stale command leave it out).
    /// </summary>
    public async Task SendAsync(byte[] payload, string correlation, bool retain = false, TimeSpan? messageExpiry = null)
    {
        var builder = new MqttApplicationMessageBuilder().WithTopic(_commands).WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain)
            .WithResponseTopic(_results).WithCorrelationData(Encoding.UTF8.GetBytes(correlation))
            .WithContentType("application/json");
        if (messageExpiry is { } expiry)
        {
            builder.WithMessageExpiryInterval((uint)Math.Ceiling(expiry.TotalSeconds));
        }

        await _client.PublishAsync(builder.Build());
    }

    /// <summary>Publishes, then waits for <paramref name="count"/> results with this correlation data.</summary>
    public async Task<IReadOnlyList<ResultReceipt>> SendAndWaitAsync(byte[] payload, string correlation, int count = 1, bool retain = false, TimeSpan? timeout = null)
    {
        await SendAsync(payload, correlation, retain);
        return await WaitForAsync(correlation, count, timeout);
    }

    /// <summary>Waits until <paramref name="count"/> results carry <paramref name="correlation"/>.</summary>
    public async Task<IReadOnlyList<ResultReceipt>> WaitForAsync(string correlation, int count = 1, TimeSpan? timeout = null)
    {
        IReadOnlyList<ResultReceipt> For() => [.. _receipts.Where(r => r.Correlation == correlation)];
        await Eventually.TrueAsync(() => For().Count >= count, timeout ?? TimeSpan.FromSeconds(15), $"{count} result(s) for '{correlation}'");
        return For();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_client.IsConnected)
        {
            try
            {
                await _client.DisconnectAsync();
            }
            catch (MqttCommunicationException)
            {
                // The broker went first (a test that stops it before its office client): the
                // connection is gone, which is all a DISCONNECT would have done.
            }
        }

        _client.Dispose();
    }
}
