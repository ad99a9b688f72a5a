using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A gateway whose journal went back (a card or journal restored from an older copy) while the
/// broker holds the availability of the process before the restore, with a higher session.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class SessionWentBackTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Availability = Root + "/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // The gateway's SD card was restored from an older image (or its journal from a backup): the
    // session counter it reads is 50, while the broker still holds the will of the process before
    // the restore, session 100. The contract says the session "never decreases" and tells the
    // office it "can ignore a stale will of an earlier session": an office doing so ignores every
    // will of this gateway (51, 52, ... < 100) until it has restarted 50 times: it goes dark
    // unnoticed. The publisher reads its own availability, so it has the evidence, but it
    // publishes session 50 and reports nothing.
    [Fact]
    public async Task A_gateway_whose_session_went_back_does_not_publish_a_lower_session_unnoticed()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await PublishRetainedAsync(broker.Port, Availability, "offline", session: "100"); // will of the process before the restore
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");

        await using var restored = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 50);
        restored.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false));
        await restored.StartAndCatchUpAsync();
        var birth = await office.WaitForAsync(r => r.Text == "online", Patience, "birth");
        await Task.Delay(TimeSpan.FromSeconds(2)); // the availability watch's retained copy, any fault

        output.WriteLine($"birth session {birth.UserProperties["session"]}; faults: {string.Join(", ", restored.Faults.Events.Select(e => e.Type))}");
        // Either the session is raised above what the broker showed, or the gateway says its
        // identity went back (a restored journal or a clone); it does neither.
        Assert.True(
            long.Parse(birth.UserProperties["session"]) > 100 || restored.Faults.Events.Count > 0,
            $"birth carries session {birth.UserProperties["session"]} below the retained session 100, and no fault was reported");
    }

    // The same restore, after a power cut: the process before it (session 100) left a half-open
    // connection, and the restored gateway (session 50) comes up with other client ids (the
    // image's older key, or random ids: ClientIds). The old connection's will, offline of session
    // 100, comes after the new birth. The late-will answer leaves a higher session alone ("a
    // newer process"), so offline stays retained while the gateway is up and delivering.
    [Fact]
    public async Task A_late_will_of_the_session_before_a_restore_does_not_leave_a_running_gateway_offline()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var proxy = BlackholeProxy.Start(broker.Port);
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");

        await using var before = new PublisherHarness(
            PublisherHarness.Plain(proxy.Port) with { ClientId = "edgeguard-gw-1-aaaaaaaaaaaaaaaa" }, output, session: 100);
        await before.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Text == "online" && r.UserProperties["session"] == "100", Patience, "birth of session 100");
        proxy.Blackhole(); // power cut

        await using var restored = new PublisherHarness(
            PublisherHarness.Plain(broker.Port) with { ClientId = "edgeguard-gw-1-bbbbbbbbbbbbbbbb" }, output, session: 50);
        await restored.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Text == "online" && r.UserProperties["session"] == "50", Patience, "birth of session 50");
        await office.WaitForAsync(r => r.Text == "offline" && r.UserProperties["session"] == "100", Patience, "the late will of session 100");
        await Task.Delay(TimeSpan.FromSeconds(3)); // time for an answer

        await using var late = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office-late", persistent: false);
        var retained = await late.WaitForAsync(r => r.Retain, Patience, "retained availability");
        output.WriteLine(string.Join(", ", office.On(Availability).Select(r => $"{r.Text}/{r.UserProperties["session"]}")));
        Assert.True(restored.Publisher.IsConnected);
        Assert.Equal("online", retained.Text); // the restored gateway is up and delivering
    }

    private static async Task PublishRetainedAsync(int port, string topic, string payload, string session)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500).WithClientId("probe-writer").Build());
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload)
            .WithRetainFlag(true).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithUserProperty("session", System.Text.Encoding.UTF8.GetBytes(session)).Build());
        await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
    }
}
