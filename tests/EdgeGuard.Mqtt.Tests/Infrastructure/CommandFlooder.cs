using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>Someone the broker lets publish on the gateway's command topic, sending junk (no key needed).</summary>
internal static class CommandFlooder
{
    /// <summary>Connects, sends <paramref name="count"/> junk messages, disconnects.</summary>
    public static async Task PublishJunkAsync(int port, int count, MqttQualityOfServiceLevel qos, int padding = 0)
    {
        using var flooder = await ConnectAsync(port);
        await PublishJunkAsync(flooder, count, qos, padding);
        await flooder.DisconnectAsync();
    }

    /// <summary>
    /// Connects with a keep-alive of ten minutes: a flooder waits a long time for the PUBACKs of
    /// its flood while the broker works through it, and on a loaded host its ping at MQTTnet's
    /// default (15 s), behind them, timed out and ended its connection with the flood half sent (a
    /// failure of the tool, not of the gateway). Not none: Mosquitto answers a keep-alive of 0 with
    /// a server keep-alive, and MQTTnet 5.2's ping loop then runs on the 0 and disconnects at once.
    /// </summary>
    public static async Task<IMqttClient> ConnectAsync(int port)
    {
        var flooder = new MqttClientFactory().CreateMqttClient();
        await flooder.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500).WithClientId("flooder").WithKeepAlivePeriod(TimeSpan.FromMinutes(10)).Build());
        return flooder;
    }

    /// <summary>Sends them all without waiting for each PUBACK (MQTTnet keeps the call order).</summary>
    public static async Task PublishJunkAsync(IMqttClient flooder, int count, MqttQualityOfServiceLevel qos, int padding = 0)
    {
        var pad = padding > 0 ? " " + new string('x', padding) : string.Empty;
        var sends = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            sends.Add(flooder.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(CommandHarness.Root + "/commands")
                .WithPayload($"junk {i}{pad}").WithQualityOfServiceLevel(qos).Build()));
        }

        await Task.WhenAll(sends);
    }
}
