using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using MQTTnet;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>A refused event blocks the ones behind it until the broker accepts it; then all follow in order.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RefusalRecoveryTests(ITestOutputHelper output)
{
    private const string Events = "edgeguard/v1/site-1/gw-1/events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Once_the_broker_accepts_the_refused_event_it_and_everything_behind_it_arrive_in_order()
    {
        // Anonymous clients may publish availability and read everything, but not publish events yet.
        const string Withheld = """
            topic readwrite edgeguard/v1/site-1/gw-1/availability
            topic read edgeguard/v1/#
            """;
        const string Fixed = "topic readwrite edgeguard/v1/#\n";
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Acl = Withheld });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        for (var i = 0; i < 3; i++)
        {
            harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        }

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.RefusedPublishes >= 3, Patience, "three refused attempts");
        Assert.Equal(0, harness.Outbox.DeliveredThrough);
        harness.Outbox.Append("point.restored", "door-lobby", "lobby"); // journaled during the refusal

        await broker.ReloadAclAsync(Fixed);
        await harness.Outbox.WaitForDeliveredAsync(4, Patience);
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 4, Patience, "all four events");

        Assert.Equal([1L, 2L, 3L, 4L], office.On(Events).Select(r => r.Json.GetProperty("seq").GetInt64()).Distinct());
        Assert.Equal(1, Assert.IsType<DeliveryFault>(Assert.Single(harness.Faults.Events)).Seq);
        Assert.Equal(1, harness.Publisher.Connects);
    }

    [Fact]
    public async Task The_journal_is_told_of_the_accepted_events_and_never_of_a_refused_one()
    {
        const string Open = "topic readwrite edgeguard/v1/#\n";
        const string Withheld = """
            topic readwrite edgeguard/v1/site-1/gw-1/availability
            topic read edgeguard/v1/#
            """;
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Acl = Open });
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        await harness.StartAndCatchUpAsync();
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == 1, Patience, "PUBACK of event 1");
        Assert.Equal(1, harness.Outbox.AcknowledgedThrough);

        // From now on the broker refuses events. The journal writes the cursor from what it is told,
        // so a refused event reported as acknowledged would be lost at the next restart.
        await broker.ReloadAclAsync(Withheld);
        await RefusedByNowAsync(broker.Port);
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        await Eventually.TrueAsync(() => harness.Publisher.RefusedPublishes >= 2, Patience, "event 2 refused twice");

        Assert.Equal(1, harness.Outbox.AcknowledgedThrough);
        Assert.Equal(1, harness.Publisher.AcknowledgedThrough);
        await broker.ReloadAclAsync(Open);
        await Eventually.TrueAsync(() => harness.Outbox.AcknowledgedThrough == 2, Patience, "event 2 accepted");
    }

    [Fact]
    public async Task A_refused_event_is_retried_alone_so_the_events_behind_it_are_not_sent_again_and_again()
    {
        // Mosquitto refuses one PUBLISH over its message_size_limit (PUBACK 149) and accepts the
        // small ones pipelined behind it: those reach the office ahead of the refused one, which
        // the contract allows. What must not happen is every retry sending them again: the retry
        // goes alone, and once it is refused alone too, its withheld stub goes alone (149 can never
        // pass); only then do the events behind it follow again, once, replayed.
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { MessageSizeLimit = 2_000 });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        harness.Outbox.Append("point.activated", "door-lobby", "lobby", data: $$"""{"note":"{{new string('x', 3_000)}}"}""");
        for (var i = 0; i < 4; i++)
        {
            harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        }

        await harness.StartAsync();
        await harness.Outbox.WaitForDeliveredAsync(6, Patience);
        await Eventually.TrueAsync(() => office.On(Events).Count == 10, Patience, "events 1-6, 3-6 again");

        var seqs = office.On(Events).Select(r => r.Json.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal([1L, 3L, 4L, 5L, 6L, 2L, 3L, 4L, 5L, 6L], seqs); // nothing between the retry and the stub
        Assert.Equal(2, harness.Publisher.RefusedPublishes); // in the pipeline, then alone
        Assert.True(office.On(Events)[5].Json.TryGetProperty("withheld", out _));
        Assert.All(office.On(Events).Skip(6), r => Assert.True(r.Json.GetProperty("replayed").GetBoolean()));
        Assert.Equal(2, Assert.IsType<DeliveryFault>(Assert.Single(harness.Faults.Events)).Seq);
    }

    // Mosquitto applies a reloaded ACL when it gets to the SIGHUP: waits until a QoS 1 publish under
    // the gateway's root (not its events topic) is refused.
    /// <summary>Waits until a reloaded ACL refuses a publish outside the gateway's availability and state topics.</summary>
    internal static async Task RefusedByNowAsync(int port)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("acl-probe").Build());
        var probe = new MqttApplicationMessageBuilder().WithTopic("edgeguard/v1/site-1/gw-1/acl-probe").WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build();
        await Eventually.TrueAsync(
            () => client.PublishAsync(probe).GetAwaiter().GetResult().ReasonCode == MqttClientPublishReasonCode.NotAuthorized,
            Patience,
            "the reloaded ACL in effect");
        await client.DisconnectAsync();
    }

    [Fact]
    public void A_refusal_episode_is_reported_once_and_ends_when_the_record_is_delivered()
    {
        var sink = new RecordingSink();
        var reporter = new DeliveryFaultReporter(sink, TimeProvider.System);

        Assert.True(reporter.Refused(5, "NotAuthorized (135)"));
        Assert.False(reporter.Refused(5, "NotAuthorized (135)"));
        Assert.True(reporter.Refused(5, "QuotaExceeded (151)"));
        reporter.Delivered(4);
        Assert.True(reporter.InEpisode);
        reporter.Delivered(5);
        Assert.False(reporter.InEpisode);
        Assert.True(reporter.Refused(5, "QuotaExceeded (151)"));

        Assert.Equal([5L, 5L, 5L], sink.Events.Cast<DeliveryFault>().Select(f => f.Seq));
        Assert.Equal(3, reporter.Reported);
        Assert.Equal(4, reporter.Refusals);
    }

    [Fact]
    public void The_reporter_holds_what_state_delivery_shows_which_seq_is_withheld_and_the_state_topic_episodes()
    {
        var sink = new RecordingSink();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 19, 0, 0, TimeSpan.Zero));
        var reporter = new DeliveryFaultReporter(sink, time);
        Assert.Equal(DeliveryStatus.Ok, reporter.Status);

        reporter.Refused(5, "NotAuthorized (135)");
        var since = time.GetUtcNow();
        time.Advance(TimeSpan.FromSeconds(3));
        reporter.Refused(5, "PacketTooLarge (149)"); // a new reason for the same head keeps its start
        Assert.Equal(new DeliveryStatus(5, "PacketTooLarge (149)", since), reporter.Status);

        reporter.Withhold(5, "PacketTooLarge (149)");
        Assert.Equal("PacketTooLarge (149)", reporter.WithheldReason(5));
        Assert.Null(reporter.WithheldReason(6));
        reporter.Delivered(5);
        Assert.Equal(DeliveryStatus.Ok, reporter.Status);
        Assert.Null(reporter.WithheldReason(5));
        Assert.Equal(1, reporter.Withheld);

        Assert.True(reporter.StateRefused("t/state/lockdown", "NotAuthorized (135)"));
        Assert.False(reporter.StateRefused("t/state/lockdown", "QuotaExceeded (151)")); // once per episode
        Assert.True(reporter.StateRefused("t/state/points/p", "NotAuthorized (135)"));
        Assert.Equal(2, reporter.StateEpisodes);
        reporter.StateDelivered("t/state/lockdown");
        Assert.Equal(1, reporter.StateEpisodes);
        Assert.True(reporter.StateRefused("t/state/lockdown", "NotAuthorized (135)"));
        Assert.Equal(
            ["t/state/lockdown", "t/state/points/p", "t/state/lockdown"],
            sink.Events.OfType<StateDeliveryFault>().Select(f => f.Topic));
    }
}
