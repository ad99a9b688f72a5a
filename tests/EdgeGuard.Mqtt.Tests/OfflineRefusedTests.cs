using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// An orderly stop whose <c>offline</c> the broker refuses (a quota, a plugin) still leaves
/// <c>offline</c> retained: the gateway then disconnects asking for its will (reason 4), since a
/// normal DISCONNECT would discard the will and leave <c>online</c> retained for a stopped gateway.
/// MQTTnet's broker, because Mosquitto cannot refuse one publish on a topic and let the will on
/// the same topic through.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class OfflineRefusedTests(ITestOutputHelper output)
{
    private const string Availability = "edgeguard/v1/site-1/gw-1/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task An_offline_refused_at_an_orderly_stop_is_left_to_the_will()
    {
        var port = MosquittoBroker.FreePort();
        var refusedOffline = 0;
        using var broker = await InProcessBroker.StartAsync(port, onPublish: args =>
        {
            // Only the gateway's own offline PUBLISH, once: the will that follows is let through.
            if (args.ApplicationMessage.Topic == Availability
                && args.ApplicationMessage.ConvertPayloadToString() == "offline"
                && Interlocked.CompareExchange(ref refusedOffline, 1, 0) == 0)
            {
                args.ProcessPublish = false;
                args.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
            }
        });
        var disconnects = new List<MqttDisconnectReasonCode?>();
        broker.ClientDisconnectedAsync += args =>
        {
            lock (disconnects)
            {
                disconnects.Add(args.ReasonCode);
            }

            return Task.CompletedTask;
        };
        await using var harness = new PublisherHarness(PublisherHarness.Plain(port), output, session: 12);
        await harness.StartAndCatchUpAsync();

        await harness.StopAsync();

        Assert.Equal(1, refusedOffline);
        // MQTT 5, 3.14.2.1: reason 4 makes the broker publish the will (Mosquitto does; MQTTnet's
        // broker does not, so the retained offline itself is not read back here).
        await Eventually.TrueAsync(() => { lock (disconnects) { return disconnects.Count == 1; } }, Patience, "the DISCONNECT");
        Assert.Equal(MqttDisconnectReasonCode.DisconnectWithWillMessage, Assert.Single(disconnects));
        await broker.StopAsync();
    }
}
