using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Contract;
using MQTTnet;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The site's mode during a long replay. After a broker outage the gateway replays its backlog in
/// seq order, and an event journaled meanwhile waits behind all of it (a million events took 103 s
/// on the bench's machine). The retained state/lockdown tells the office the site's mode now: it
/// goes out before the backlog and follows the site while the backlog is replayed.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class ReplayStateTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string LockdownTopic = Root + "/state/lockdown";
    private const string DeliveryTopic = Root + "/state/delivery";
    private const string Events = Root + "/events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static SiteState State(SiteMode mode) => SiteStates.Of(mode, ("panic-1", mode == SiteMode.Lockdown));

    private static bool ShowsLockdown(Receipt receipt) =>
        receipt.Topic == LockdownTopic && receipt.Json.GetProperty("mode").GetString() == "lockdown";

    [Fact]
    public async Task A_lockdown_started_during_an_outage_is_the_retained_state_before_the_backlog_is_replayed()
    {
        const int Backlog = 20_000;
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = State(SiteMode.Normal);
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == LockdownTopic, Patience, "initial normal state");

        // The link is down while door contacts fill the journal, and then a guard presses a panic button.
        await broker.StopAsync(graceful: true);
        harness.Outbox.AppendMany(Backlog);
        harness.State.Current = State(SiteMode.Lockdown);
        await broker.StartAgainAsync();
        await harness.Outbox.WaitForDeliveredAsync(Backlog, Patience);
        await Eventually.TrueAsync(() => office.DistinctSeqCount == Backlog, Patience, "the backlog at the office");

        var receipts = office.Receipts;
        var lockdown = receipts.ToList().FindIndex(ShowsLockdown);
        var firstReplayed = receipts.ToList().FindIndex(r => r.Topic == Events);
        output.WriteLine($"{receipts.Count} receipts: lockdown state at {lockdown}, first replayed event at {firstReplayed}");
        Assert.True(lockdown >= 0, "the lockdown never reached state/lockdown");
        Assert.True(lockdown < firstReplayed, $"state/lockdown showed the lockdown at receipt {lockdown}, after the replay had begun at {firstReplayed}");

        // The whole state is still republished after the replay, as on every connection (once the
        // last event's PUBACK is in, so it may arrive after the events were counted).
        await Eventually.TrueAsync(
            () =>
            {
                var all = office.Receipts.ToList();
                return all.Skip(all.FindLastIndex(r => r.Topic == Events) + 1).Any(ShowsLockdown);
            },
            Patience,
            "state/lockdown republished after the replay");

        // Sent ahead because of the backlog, not because the site changed during the replay, nor
        // found out of date with no event (the journal takes every event).
        Assert.Equal(0, harness.Publisher.LockdownSentAhead);
        Assert.Equal(0, harness.Publisher.StateResyncs);
    }

    [Fact]
    public async Task A_refusal_a_previous_process_left_on_state_delivery_is_cleared_before_the_backlog_is_replayed()
    {
        const int Backlog = 20_000;
        await using var broker = await MosquittoBroker.StartAsync();
        // What a process that stopped during a refusal left retained: "refused" at some seq.
        var left = new MqttClientFactory().CreateMqttClient();
        await left.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", broker.Port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("gw-1-before").Build());
        await left.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(DeliveryTopic).WithRetainFlag(true)
            .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce)
            .WithPayload(Payloads.DeliveryState(new Topics("site-1", "gw-1"), 7, "NotAuthorized (135)", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow))
            .Build());
        await left.DisconnectAsync();
        left.Dispose();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await office.WaitForAsync(r => r.Topic == DeliveryTopic, Patience, "the refusal left retained");

        // This process starts with a backlog (the journal filled while it was down).
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = State(SiteMode.Normal);
        harness.Outbox.AppendMany(Backlog);
        await harness.StartAsync();
        await Eventually.TrueAsync(() => office.DistinctSeqCount == Backlog, Patience, "the backlog at the office");

        var receipts = office.Receipts.ToList();
        var ok = receipts.FindIndex(r => r.Topic == DeliveryTopic && r.Json.GetProperty("status").GetString() == "ok");
        var lastReplayed = receipts.FindLastIndex(r => r.Topic == Events);
        Assert.True(ok >= 0 && ok < lastReplayed, $"state/delivery said ok at receipt {ok}, the replay ended at {lastReplayed}");
    }

    [Fact]
    public async Task A_lockdown_started_while_a_backlog_is_replayed_reaches_the_retained_state_before_the_replay_ends()
    {
        const int Backlog = 100_000;
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(20) };
        await using var harness = new PublisherHarness(options, output);
        harness.State.Current = State(SiteMode.Normal);
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == LockdownTopic, Patience, "initial normal state");

        await broker.StopAsync(graceful: true);
        harness.Outbox.AppendMany(Backlog);
        await broker.StartAgainAsync();
        await Eventually.TrueAsync(() => harness.Outbox.DeliveredThrough > 1_000, Patience, "the replay under way");

        // A guard presses a panic button; its event is journaled after the whole backlog.
        harness.State.Current = State(SiteMode.Lockdown);
        var pressedAt = harness.Outbox.DeliveredThrough;
        harness.Outbox.Append("lockdown.started", "panic-1", "lobby", """{"cause":"panic-button"}""");
        await harness.Outbox.WaitForDeliveredAsync(Backlog + 1, Patience);
        await Eventually.TrueAsync(() => office.DistinctSeqCount == Backlog + 1, Patience, "the backlog and the lockdown at the office");

        var receipts = office.Receipts.ToList();
        var lockdown = receipts.FindIndex(ShowsLockdown);
        var lastReplayed = receipts.FindIndex(r => r.Topic == Events && r.UserProperties["seq"] == Backlog.ToString(System.Globalization.CultureInfo.InvariantCulture));
        output.WriteLine($"pressed with the cursor at {pressedAt}; lockdown state at receipt {lockdown}, last replayed event at {lastReplayed}");
        Assert.True(pressedAt < Backlog / 2, $"the replay was nearly over ({pressedAt} of {Backlog}) when the lockdown started: nothing to show");
        Assert.True(lockdown >= 0 && lockdown < lastReplayed, $"state/lockdown showed the lockdown at receipt {lockdown}, after the replay ended at {lastReplayed}");
        Assert.Equal(1, harness.Publisher.LockdownSentAhead);
        Assert.Equal(0, harness.Publisher.StateResyncs);
    }
    /// <summary>
    /// A door that opens during the replay: its event is journaled behind the backlog, and the whole state
    /// republished after the replay shows it open. That state must not overtake its event (the contract:
    /// "a change is republished after the event that announces it"): the republish waited only for the
    /// backlog journaled before the connection, so the office's retained state said open for a door no
    /// event had opened yet, and for good if the link then dropped.
    /// </summary>
    [Fact]
    public async Task A_door_opened_during_the_replay_is_announced_before_the_state_republished_after_it()
    {
        const int Backlog = 20_000;
        const string DoorTopic = Root + "/state/points/door-1";
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-1", false));
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == DoorTopic, Patience, "initial door state");

        await broker.StopAsync(graceful: true);
        harness.Outbox.AppendMany(Backlog);
        await broker.StartAgainAsync();
        await Eventually.TrueAsync(() => harness.Outbox.DeliveredThrough > 1_000, Patience, "the replay under way");

        // The door opens; its event is journaled after the whole backlog, the state shows it at once.
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-1", true));
        var openedAt = harness.Outbox.DeliveredThrough;
        harness.Outbox.Append("point.activated", "door-1", "lobby", """{"kind":"door-contact"}""");
        await harness.Outbox.WaitForDeliveredAsync(Backlog + 1, Patience);
        await Eventually.TrueAsync(
            () => office.On(DoorTopic).Any(r => r.Json.GetProperty("active").GetBoolean()), Patience, "the door's open state");

        var receipts = office.Receipts.ToList();
        var opened = receipts.FindIndex(r => r.Topic == Events && r.UserProperties["seq"] == (Backlog + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var openState = receipts.FindIndex(r => r.Topic == DoorTopic && r.Json.GetProperty("active").GetBoolean());
        output.WriteLine($"opened with the cursor at {openedAt}; its event at receipt {opened}, the open state at {openState}");
        Assert.True(openedAt < Backlog, $"the replay was over ({openedAt} of {Backlog}) when the door opened: nothing to show");
        Assert.True(opened >= 0 && opened < openState, $"state/points/door-1 said open at receipt {openState}, before the event that opened it at {opened}");
    }

    [Fact]
    public async Task A_lockdown_reaches_the_retained_state_while_the_broker_refuses_the_event_ahead_of_its_own()
    {
        const string Open = "topic readwrite edgeguard/v1/#\n";
        // Events refused (an ACL mistake at the office), availability and state still taken.
        const string EventsRefused = """
            topic readwrite edgeguard/v1/site-1/gw-1/availability
            topic readwrite edgeguard/v1/site-1/gw-1/state/#
            topic read edgeguard/v1/#
            """;
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Acl = Open });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = State(SiteMode.Normal);
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == LockdownTopic, Patience, "initial normal state");

        await broker.ReloadAclAsync(EventsRefused);
        await RefusalRecoveryTests.RefusedByNowAsync(broker.Port);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby", """{"kind":"doorContact"}""");
        await Eventually.TrueAsync(() => harness.Publisher.RefusedPublishes >= 2, Patience, "the door event refused");

        // A guard presses a panic button; its events wait behind the refused one.
        harness.State.Current = State(SiteMode.Lockdown);
        harness.Outbox.Append("lockdown.started", "panic-1", "lobby", """{"cause":"panic-button"}""");
        await office.WaitForAsync(ShowsLockdown, Patience, "the lockdown in the retained state while events are refused");

        Assert.Equal(0, harness.Outbox.DeliveredThrough);
        Assert.Empty(office.On(Events));
        Assert.Equal(1, harness.Publisher.LockdownSentAhead);
        Assert.Equal(0, harness.Publisher.StateResyncs);
    }
}
