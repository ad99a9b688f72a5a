using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// What the office is told while the broker refuses something: an event refused for what it is
/// is replaced by a stub and the stream moves on; any refusal shows on the retained
/// <c>state/delivery</c>; a refused retained state message is sent again.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class DeliveryRefusalTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Events = Root + "/events";
    private const string DeliveryState = Root + "/state/delivery";
    private const string LockdownState = Root + "/state/lockdown";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_event_too_large_for_the_broker_is_replaced_by_its_stub_and_the_events_after_it_follow_in_order()
    {
        // Mosquitto answers a PUBLISH over its message_size_limit with PUBACK 149: that event can
        // never be delivered as it is, and every event behind it (its own fault.delivery among
        // them, on a real gateway) used to wait for good.
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { MessageSizeLimit = 2_000 });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { MaxInFlight = 1 }, output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        var big = harness.Outbox.Append(
            "point.activated", "panic-1", "lobby", data: $$"""{"note":"{{new string('x', 3_000)}}"}""", severity: Severity.Critical, drill: true);
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        harness.Outbox.Append("point.restored", "panic-1", "lobby");

        await harness.StartAsync();
        await harness.Outbox.WaitForDeliveredAsync(4, Patience);
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 4, Patience, "all four seqs at the office");

        var events = office.On(Events);
        Assert.Equal([1L, 2L, 3L, 4L], events.Select(r => r.Json.GetProperty("seq").GetInt64()).Distinct());
        var stub = Assert.Single(events, r => r.Json.GetProperty("seq").GetInt64() == 2).Json;
        Assert.Equal(big.Id.ToString("D"), stub.GetProperty("id").GetString());
        Assert.Equal("point.activated", stub.GetProperty("type").GetString());
        Assert.Equal("panic-1", stub.GetProperty("point").GetString());
        Assert.Equal("lobby", stub.GetProperty("zone").GetString());
        Assert.Equal("critical", stub.GetProperty("severity").GetString());
        Assert.True(stub.GetProperty("drill").GetBoolean());
        Assert.True(stub.GetProperty("replayed").GetBoolean()); // sent before, refused
        Assert.Contains("(149)", stub.GetProperty("withheld").GetString(), StringComparison.Ordinal);
        Assert.Equal("{}", stub.GetProperty("data").GetRawText());

        // Refused in the pipeline, then again alone: then it is the message, and its stub goes.
        Assert.Equal(2, harness.Publisher.RefusedPublishes);
        Assert.Equal(1, harness.Publisher.WithheldEvents);
        Assert.Equal(2, Assert.IsType<DeliveryFault>(Assert.Single(harness.Faults.Events)).Seq);

        // The office saw the refusal out of band, and its end.
        await Eventually.TrueAsync(() => LastStatus(office) == "ok", Patience, "state/delivery ok again");
        var refused = office.On(DeliveryState).Select(r => r.Json).First(j => j.GetProperty("status").GetString() == "refused");
        Assert.Equal(2, refused.GetProperty("seq").GetInt64());
        Assert.Contains("(149)", refused.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_over_the_announced_maximum_packet_size_is_stubbed_at_once_and_the_events_behind_it_keep_their_order()
    {
        // The gateway refuses it itself (PacketSizeLimit), before the PUBLISH would leave: nothing
        // behind it was sent yet that could not be held back. Yet the events behind it went out
        // pipelined, ahead of its stub, and again after it: the office got 1,3,4,5,2,3,4,5.
        // Journaled before the start, so one pass of the replay has all five to pipeline.
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { MaxPacketSize = 2_000 });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        harness.Outbox.Append("point.activated", "panic-1", "lobby", data: $$"""{"note":"{{new string('x', 3_000)}}"}""");
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        harness.Outbox.Append("point.restored", "panic-1", "lobby");

        await harness.StartAndCatchUpAsync(Patience);
        await harness.Outbox.WaitForDeliveredAsync(5, Patience);
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 5, Patience, "all five seqs at the office");

        var events = office.On(Events);
        Assert.Equal([1L, 2L, 3L, 4L, 5L], events.Select(r => r.Json.GetProperty("seq").GetInt64()));
        Assert.Contains("(149)", events[1].Json.GetProperty("withheld").GetString(), StringComparison.Ordinal);
        // Final at the first refusal: it cannot get smaller, so no retry alone after a backoff.
        Assert.Equal(1, harness.Publisher.RefusedPublishes);
        Assert.Equal(1, harness.Publisher.WithheldEvents);
        Assert.Equal(1, harness.Publisher.Connects);
    }

    [Fact]
    public async Task A_refusal_shows_on_the_retained_state_delivery_and_clears_when_delivery_flows_again()
    {
        // Not authorised is transient (an ACL mistake the office can mend): the event is not
        // withheld, but while it lasts the office must learn of it, and not from fault.delivery,
        // which waits behind the refused event.
        const string Withheld = """
            topic readwrite edgeguard/v1/site-1/gw-1/availability
            topic readwrite edgeguard/v1/site-1/gw-1/state/#
            topic read edgeguard/v1/#
            """;
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Acl = Withheld });
        // The office hears the events once they pass: otherwise state/delivery ends "unheard", not "ok".
        await using var events = await TestSubscriber.ConnectAsync(broker.Port, Root + "/events", "office-events", persistent: false);
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.RefusedPublishes >= 3, Patience, "three refused attempts");

        // A subscriber that comes later reads it from the retained message.
        await using (var late = await TestSubscriber.ConnectAsync(broker.Port, DeliveryState, "office-late", persistent: false))
        {
            var retained = await late.WaitForAsync(r => r.Retain, Patience, "the retained state/delivery");
            var json = retained.Json;
            Assert.Equal("refused", json.GetProperty("status").GetString());
            Assert.Equal(1, json.GetProperty("seq").GetInt64());
            Assert.Contains("NotAuthorized (135)", json.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Equal(JsonValueKind.String, json.GetProperty("since").ValueKind);
            Assert.Equal("site-1", json.GetProperty("site").GetString());
            Assert.Equal("gw-1", json.GetProperty("gateway").GetString());
        }

        // One message for the episode, not one per retry.
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, DeliveryState, "office");
        await broker.ReloadAclAsync("topic readwrite edgeguard/v1/#\n");
        await harness.Outbox.WaitForDeliveredAsync(2, Patience);
        await Eventually.TrueAsync(() => LastStatus(office) == "ok", Patience, "state/delivery cleared");
        Assert.Single(office.On(DeliveryState), r => r.Json.GetProperty("status").GetString() == "refused");
        var ok = office.On(DeliveryState)[^1].Json;
        Assert.Equal(JsonValueKind.Null, ok.GetProperty("seq").ValueKind);
        Assert.Equal(JsonValueKind.Null, ok.GetProperty("reason").ValueKind);
        Assert.Equal(JsonValueKind.Null, ok.GetProperty("since").ValueKind);
        Assert.Equal(0, harness.Publisher.WithheldEvents);
        Assert.Equal(1, harness.Publisher.Connects);
    }

    [Fact]
    public async Task State_delivery_is_republished_after_a_reconnect()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal);
        await harness.StartAndCatchUpAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, DeliveryState, "office");
        await Eventually.TrueAsync(() => office.Receipts.Count == 1, Patience, "the retained ok");

        await broker.StopAsync();
        await broker.StartAgainAsync();
        await Eventually.TrueAsync(() => harness.Publisher.Connects == 2 && harness.Publisher.IsCaughtUp, Patience, "reconnected");
        await Eventually.TrueAsync(() => office.Receipts.Count >= 2, Patience, "state/delivery again after the reconnect");
        Assert.All(office.Receipts, r => Assert.Equal("ok", r.Json.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task A_refused_lockdown_state_is_sent_again_once_the_broker_takes_it()
    {
        // A broker answering state/lockdown with 135 or 151 left the office's retained mode stale:
        // what the topic showed was noted when sent, so nothing sent it again until a reconnect.
        const string NoLockdownState = """
            topic readwrite edgeguard/v1/site-1/gw-1/availability
            topic readwrite edgeguard/v1/site-1/gw-1/events
            topic readwrite edgeguard/v1/site-1/gw-1/state/points/#
            topic readwrite edgeguard/v1/site-1/gw-1/state/delivery
            topic read edgeguard/v1/#
            """;
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Acl = NoLockdownState });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, LockdownState, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = SiteStates.Of(SiteMode.Lockdown);
        await harness.StartAndCatchUpAsync();
        await Eventually.TrueAsync(() => harness.Faults.Events.OfType<StateDeliveryFault>().Any(), Patience, "fault.state-delivery");
        Assert.Equal(1, harness.Publisher.RefusedStateTopics);

        await broker.ReloadAclAsync("topic readwrite edgeguard/v1/#\n");
        var shown = await office.WaitForAsync(_ => true, Patience, "state/lockdown sent again");

        Assert.Equal("lockdown", shown.Json.GetProperty("mode").GetString());
        var fault = Assert.Single(harness.Faults.Events.OfType<StateDeliveryFault>()); // once per episode, not per retry
        Assert.Equal(LockdownState, fault.Topic);
        Assert.Contains("NotAuthorized (135)", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(1, harness.Publisher.Connects); // no reconnect: the state check sent it
        Assert.Equal(0, harness.Outbox.LastSeq); // and no event
        await Eventually.TrueAsync(() => harness.Publisher.RefusedStateTopics == 0, Patience, "the episode over");
    }

    private static string? LastStatus(TestSubscriber office) =>
        office.On(DeliveryState) is { Count: > 0 } receipts ? receipts[^1].Json.GetProperty("status").GetString() : null;
}
