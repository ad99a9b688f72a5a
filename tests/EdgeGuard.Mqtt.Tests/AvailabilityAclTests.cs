using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The answer to a late will under the office's real ACL (deploy/office/make-acl.sh): the gateway
/// must be allowed to read its own availability topic, or it never sees the will.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class AvailabilityAclTests(ITestOutputHelper output)
{
    private const string Availability = "edgeguard/v1/site-1/gw-1/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Under_the_generated_acl_a_late_will_of_an_earlier_session_is_answered_with_online()
    {
        var acl = await OfficeAcl.MakeAsync("--site", "site-1", "--gateway", "gw-1") + await OfficeAcl.MakeAsync("--office", "office");
        await using var tls = await TlsBroker.StartAsync(acl);
        await using var office = await TestSubscriber.ConnectAsync(tls.Broker.Port, Availability, "office", tls: tls.ClientTls("office"));
        await using var harness = new PublisherHarness(PublisherHarness.Plain(tls.Broker.Port) with { Tls = tls.GatewayTls("gw-1") }, output, session: 6);
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => Is(r, "online", "6"), Patience, "birth of session 6");

        // The earlier process's connection: the same certificate, another client id.
        using (var earlier = new MqttClientFactory().CreateMqttClient())
        {
            await earlier.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", tls.Broker.Port)
                .WithProtocolVersion(MqttProtocolVersion.V500).WithClientId("edgeguard-gw-1-aaaaaaaaaaaaaaaa").WithTlsOptions(tls.ClientTls("gw-1")).Build());
            await earlier.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(Availability).WithPayload("offline").WithRetainFlag(true)
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithUserProperty("session", "5"u8.ToArray()).Build());
            await earlier.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        }

        await office.WaitForAsync(r => Is(r, "offline", "5"), Patience, "the offline of session 5");
        await Eventually.TrueAsync(
            () => office.On(Availability).SkipWhile(r => !Is(r, "offline", "5")).Any(r => Is(r, "online", "6")), Patience, "online of session 6 again");
        Assert.Empty(harness.Faults.Events);
        output.WriteLine("--- mosquitto log ---\n" + tls.Broker.Log);
    }

    private static bool Is(Receipt receipt, string text, string session) =>
        receipt.Text == text && receipt.UserProperties.TryGetValue("session", out var value) && value == session;
}
