using System.Text;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// Leaves a retained availability message on the broker from a client of its own, as a will or an
/// orderly <c>offline</c> of another process of the gateway would have left it.
/// </summary>
internal static class StaleAvailability
{
    /// <param name="port">The broker's loopback port.</param>
    /// <param name="topic">The gateway's availability topic.</param>
    /// <param name="payload"><c>offline</c> or <c>online</c>.</param>
    /// <param name="session">Its <c>session</c> user property; none when null.</param>
    /// <param name="lastSeq">Its <c>lastSeq</c> user property, as an orderly offline has; none when null.</param>
    /// <param name="instance">Its <c>instance</c> user property (the process that left it); none when null.</param>
    /// <param name="retain">False: a live message, as a will the broker publishes to the subscribers of the moment.</param>
    public static async Task PublishAsync(int port, string topic, string payload, string? session, string? lastSeq = null, string? instance = null, bool retain = true)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500).WithClientId("stale-availability-writer").Build());
        var message = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithRetainFlag(retain).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce);
        if (session is not null)
        {
            message.WithUserProperty("session", Encoding.UTF8.GetBytes(session));
        }

        if (lastSeq is not null)
        {
            message.WithUserProperty("lastSeq", Encoding.UTF8.GetBytes(lastSeq));
        }

        if (instance is not null)
        {
            message.WithUserProperty("instance", Encoding.UTF8.GetBytes(instance));
        }

        await client.PublishAsync(message.Build());
        await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
    }
}
