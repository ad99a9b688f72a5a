using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A broker that refuses the gateway itself (CONNACK) or cuts it off with a reason code (DISCONNECT)
/// raises one <c>fault.broker</c> however often the gateway retries, keeps the events in the outbox,
/// and ends with <c>fault.broker-restored</c> once a connection gets through and catches up. An
/// event over the broker's maximum packet size is refused before it is sent.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class BrokerFaultTests(ITestOutputHelper output)
{
    private const string Events = "edgeguard/v1/site-1/gw-1/events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Refused_credentials_raise_one_broker_fault_and_the_events_follow_once_they_are_accepted()
    {
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Passwords = Passwords("last-years-password") });
        await using var office = await OfficeAsync(broker);
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Username = "gw-1", Password = "s3cret" }, output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.BrokerRefusals >= 3, Patience, "three refused connects");

        var fault = Assert.IsType<BrokerFault>(Assert.Single(harness.Faults.Events));
        Assert.Equal("the broker refused the connection: NotAuthorized (135)", fault.Reason);
        Assert.Equal(0, harness.Publisher.Connects);
        Assert.Equal(0, harness.Outbox.DeliveredThrough);

        await broker.ReloadPasswordsAsync(Passwords("s3cret")); // the office fixes the broker's password file
        await harness.Outbox.WaitForDeliveredAsync(2, Patience);
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 2, Patience, "both events at the office");

        Assert.Equal([1L, 2L], office.On(Events).Select(r => r.Json.GetProperty("seq").GetInt64()));
        Assert.Collection(
            await FaultsSettledAsync(harness),
            first => Assert.IsType<BrokerFault>(first),
            second => Assert.True(Assert.IsType<BrokerFaultRestored>(second).Refusals >= 3));
    }

    [Fact]
    public async Task A_broker_fault_ends_once_the_broker_answers_an_event_even_with_a_refusal()
    {
        // Let in, but not allowed to publish events yet: the replay never finishes, so the
        // connection never catches up. The broker has accepted the gateway all the same.
        const string Acl = """
            user gw-1
            topic readwrite edgeguard/v1/site-1/gw-1/availability

            user office
            topic read edgeguard/v1/#
            """;
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Passwords = Passwords("last-years-password"), Acl = Acl });
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Username = "gw-1", Password = "s3cret" }, output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.BrokerRefusals >= 2, Patience, "two refused connects");

        await broker.ReloadPasswordsAsync(Passwords("s3cret"));
        await Eventually.TrueAsync(() => harness.Faults.Events.OfType<BrokerFaultRestored>().Any(), Patience, "fault.broker-restored");

        Assert.False(harness.Publisher.IsCaughtUp);
        Assert.Equal(0, harness.Outbox.DeliveredThrough);
        Assert.Collection(
            harness.Faults.Events,
            first => Assert.IsType<BrokerFault>(first),
            second => Assert.Equal(1, Assert.IsType<DeliveryFault>(second).Seq),
            third => Assert.True(Assert.IsType<BrokerFaultRestored>(third).Refusals >= 2));
    }

    [Fact]
    public async Task An_event_over_the_brokers_maximum_packet_size_is_not_sent_and_raises_one_delivery_fault()
    {
        // Mosquitto's max_packet_size, announced in the CONNACK. Sent anyway, the event would make
        // Mosquitto cut the connection (DISCONNECT 149), on every reconnect that replays it, and the
        // socket often resets before the DISCONNECT can be read. So it is refused here instead,
        // like a PUBACK 149: the connection stays up, and since a retry cannot make it smaller,
        // its withheld stub goes in its place at once, with nothing sent behind it meanwhile.
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { MaxPacketSize = 2_000 });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        await harness.StartAndCatchUpAsync();

        // Journaled while connected. Its stub says replayed: the seq counts as handed over once
        // refused, though the event itself never left.
        harness.Outbox.Append("point.activated", "door-lobby", "lobby", data: $$"""{"note":"{{new string('x', 3_000)}}"}""");
        await harness.Outbox.WaitForDeliveredAsync(2, Patience);
        var stub = await office.WaitForAsync(r => r.Topic == Events && r.Json.GetProperty("seq").GetInt64() == 2, Patience, "the stub of event 2");

        Assert.Equal([1L, 2L], office.On(Events).Select(r => r.Json.GetProperty("seq").GetInt64()));
        Assert.Equal(1, harness.Publisher.RefusedPublishes); // final at once: no retry alone
        Assert.Equal(1, harness.Publisher.Connects);
        Assert.True(stub.Json.GetProperty("replayed").GetBoolean());
        Assert.Equal("PacketTooLarge (149): larger than the maximum packet size of 2000 bytes the broker announced (CONNACK); not sent", stub.Json.GetProperty("withheld").GetString());
        var fault = Assert.IsType<DeliveryFault>(Assert.Single(harness.Faults.Events));
        Assert.Equal(2, fault.Seq);
        Assert.Equal("broker refused the event: PacketTooLarge (149): larger than the maximum packet size of 2000 bytes the broker announced (CONNACK); not sent", fault.Reason);
    }

    [Fact]
    public async Task Every_cut_with_a_reason_code_raises_a_broker_fault_that_the_next_caught_up_connection_ends()
    {
        // Mosquitto 2.0 gives no reason code a test can rely on (a session takeover closes the old
        // connection without one), so this broker is MQTTnet's, which sends the DISCONNECT and then
        // closes: an office administrator removing the gateway, three times.
        var port = MosquittoBroker.FreePort();
        using var broker = await InProcessBroker.StartAsync(port);
        await using var harness = new PublisherHarness(PublisherHarness.Plain(port), output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        await harness.StartAndCatchUpAsync();

        for (var cut = 1; cut <= 3; cut++)
        {
            var connects = harness.Publisher.Connects;
            await broker.DisconnectClientAsync(harness.Options.ClientId, new MqttServerClientDisconnectOptions
            {
                ReasonCode = MqttDisconnectReasonCode.AdministrativeAction,
                ReasonString = "removed by the office",
            });
            await Eventually.TrueAsync(() => harness.Publisher.Connects > connects && harness.Publisher.IsCaughtUp, Patience, $"caught up again after cut {cut}");
        }

        await Eventually.TrueAsync(() => harness.Faults.Events.Count == 6, Patience, "three faults, three restores");
        var events = harness.Faults.Events;
        for (var cut = 0; cut < 3; cut++)
        {
            Assert.Equal("the broker closed the connection: AdministrativeAction (152): removed by the office", Assert.IsType<BrokerFault>(events[2 * cut]).Reason);
            Assert.Equal(1, Assert.IsType<BrokerFaultRestored>(events[(2 * cut) + 1]).Refusals);
        }

        Assert.Equal(1, harness.Outbox.DeliveredThrough);
        await broker.StopAsync();
    }

    [Theory]
    [InlineData(MqttDisconnectReasonCode.NotAuthorized, true)]
    [InlineData(MqttDisconnectReasonCode.QuotaExceeded, true)]
    [InlineData(MqttDisconnectReasonCode.ServerShuttingDown, false)]
    [InlineData(MqttDisconnectReasonCode.ServerBusy, false)]
    [InlineData(MqttDisconnectReasonCode.KeepAliveTimeout, false)]
    [InlineData(MqttDisconnectReasonCode.MaximumConnectTime, false)]
    public async Task Only_a_disconnect_that_refuses_the_gateway_is_a_broker_fault(MqttDisconnectReasonCode code, bool refusal)
    {
        var port = MosquittoBroker.FreePort();
        using var broker = await InProcessBroker.StartAsync(port);
        await using var harness = new PublisherHarness(PublisherHarness.Plain(port), output);
        await harness.StartAndCatchUpAsync();

        await broker.DisconnectClientAsync(harness.Options.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = code });
        await Eventually.TrueAsync(() => harness.Publisher.Connects == 2 && harness.Publisher.IsCaughtUp, Patience, "caught up again");

        if (refusal)
        {
            Assert.Collection(
                harness.Faults.Events,
                fault => Assert.Equal($"the broker closed the connection: {code} ({(int)code})", Assert.IsType<BrokerFault>(fault).Reason),
                restored => Assert.IsType<BrokerFaultRestored>(restored));
        }
        else
        {
            Assert.Empty(harness.Faults.Events);
        }

        await broker.StopAsync();
    }

    // The restore is reported right after the catch-up, which may be a moment after the cursor moved.
    private static async Task<IReadOnlyList<Core.Lockdown.DomainEvent>> FaultsSettledAsync(PublisherHarness harness)
    {
        await Eventually.TrueAsync(() => harness.Faults.Events.OfType<BrokerFaultRestored>().Any(), Patience, "fault.broker-restored");
        return harness.Faults.Events;
    }

    private static async Task<TestSubscriber> OfficeAsync(MosquittoBroker broker) =>
        await TestSubscriber.ConnectAsync(broker.Port, Events, "office", credentials: ("office", "office-password"));

    // The gateway's entry (with the password given) and the office's.
    private static Dictionary<string, string> Passwords(string gateway) => new() { ["gw-1"] = gateway, ["office"] = "office-password" };
}
