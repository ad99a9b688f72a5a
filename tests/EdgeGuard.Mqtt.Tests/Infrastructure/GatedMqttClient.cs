using System.Reflection;
using System.Runtime.ExceptionServices;
using MQTTnet;
using MQTTnet.Adapter;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// A real MQTTnet client with a hook in front of <see cref="IMqttClient.PublishAsync"/> (and its pings): a test
/// makes one publish wait as MQTTnet's does when the socket cannot take it (the broker reads
/// behind), or as its PUBACK wait does when the broker never answers, which a real broker does not
/// do on cue. Everything else goes to the real client. Made with <see cref="Create"/>.
/// </summary>
public class GatedMqttClient : DispatchProxy
{
    private IMqttClient _inner = null!;
    private Hook _hook = null!;

    /// <summary>A real client behind <paramref name="gate"/>, over <paramref name="adapters"/> if given.</summary>
    public static IMqttClient Create(GatedMqttClient.Hook gate, IMqttClientAdapterFactory? adapters = null)
    {
        var client = DispatchProxy.Create<IMqttClient, GatedMqttClient>();
        var proxy = (GatedMqttClient)(object)client;
        proxy._inner = adapters is null ? new MqttClientFactory().CreateMqttClient() : new MqttClientFactory().CreateMqttClient(adapters);
        proxy._hook = gate;
        gate.Last = proxy._inner;
        return client;
    }

    /// <inheritdoc/>
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IMqttClient.PublishAsync))
        {
            var message = (MqttApplicationMessage)args![0]!;
            var token = (CancellationToken)args[1]!;
            return _hook.Publish(message, token, () => _inner.PublishAsync(message, token));
        }

        if (targetMethod.Name == nameof(IMqttClient.PingAsync))
        {
            var token = (CancellationToken)args![0]!;
            return _hook.Ping(token, () => _inner.PingAsync(token));
        }

        try
        {
            return targetMethod.Invoke(_inner, args);
        }
        catch (TargetInvocationException ex) when (ex.InnerException is not null)
        {
            ExceptionDispatchInfo.Throw(ex.InnerException);
            throw;
        }
    }

    /// <summary>The result an answer on command-results carries ("accepted", "rejected"...); empty for anything else.</summary>
    public static string AnswerOf(MqttApplicationMessage message) =>
        message.Topic.EndsWith("/command-results", StringComparison.Ordinal)
            ? System.Text.Json.Nodes.JsonNode.Parse(message.ConvertPayloadToString())!["result"]!.GetValue<string>()
            : string.Empty;

    /// <summary>The hook every client made for one gateway shares (each connection makes a new client).</summary>
    public sealed class Hook
    {
        /// <summary>Runs instead of each publish, given the message, its token and the real publish.</summary>
        public Func<MqttApplicationMessage, CancellationToken, Func<Task<MqttClientPublishResult>>, Task<MqttClientPublishResult>> Publish { get; set; } =
            (_, _, publish) => publish();

        /// <summary>Runs instead of each ping, given its token and the real ping.</summary>
        public Func<CancellationToken, Func<Task>, Task> Ping { get; set; } = (_, ping) => ping();

        /// <summary>The real client of the last connection made.</summary>
        public IMqttClient? Last { get; internal set; }
    }
}
