using System.Collections.Concurrent;
using System.Reflection;
using MQTTnet;
using MQTTnet.Packets;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// An <see cref="IMqttClient"/> whose PUBACKs the test writes: each publish is recorded and
/// answered by <see cref="Answer"/> (Success by default), so a test can refuse one message, delay
/// some or never answer one, which a real broker does not do on cue. Always connected; anything
/// beyond publishing throws. Made with <see cref="Create"/>.
/// </summary>
public class ScriptedMqttClient : DispatchProxy
{
    private readonly ConcurrentQueue<MqttApplicationMessage> _published = new();

    /// <summary>The answer to each publish; called on the publishing thread.</summary>
    public Func<MqttApplicationMessage, Task<MqttClientPublishResult>> Answer { get; set; } = _ => Answered(MqttClientPublishReasonCode.Success);

    /// <summary>Every message published so far, in order.</summary>
    public IReadOnlyList<MqttApplicationMessage> Published => [.. _published];

    /// <summary>A client and its script.</summary>
    public static IMqttClient Create(out ScriptedMqttClient script)
    {
        var client = DispatchProxy.Create<IMqttClient, ScriptedMqttClient>();
        script = (ScriptedMqttClient)(object)client;
        return client;
    }

    /// <summary>A PUBACK with <paramref name="code"/>, at once.</summary>
    public static Task<MqttClientPublishResult> Answered(MqttClientPublishReasonCode code) =>
        Task.FromResult(new MqttClientPublishResult(null, code, null, []));

    /// <summary>The <c>seq</c> user property of <paramref name="message"/>; null when it has none.</summary>
    public static long? Seq(MqttApplicationMessage message) =>
        message.UserProperties?.FirstOrDefault(p => p.Name == "seq") is { } seq
            ? long.Parse(seq.ReadValueAsString(), System.Globalization.CultureInfo.InvariantCulture)
            : null;

    /// <summary>Whether <paramref name="message"/> is an event's withheld stub.</summary>
    public static bool IsStub(MqttApplicationMessage message) =>
        message.ConvertPayloadToString().Contains("\"withheld\"", StringComparison.Ordinal);

    /// <inheritdoc/>
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var name = targetMethod?.Name ?? string.Empty;
        if (name == nameof(IMqttClient.PublishAsync))
        {
            var message = (MqttApplicationMessage)args![0]!;
            _published.Enqueue(message);
            return Answer(message);
        }

        return name switch
        {
            "get_IsConnected" => true,
            nameof(IDisposable.Dispose) => null,
            _ when name.StartsWith("add_", StringComparison.Ordinal) || name.StartsWith("remove_", StringComparison.Ordinal) => null,
            _ => throw new NotSupportedException($"{name} is not scripted"),
        };
    }
}
