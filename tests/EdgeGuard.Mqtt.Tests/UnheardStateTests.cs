using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// Events the broker acknowledged with NoMatchingSubscribers (16) reached no one: the retained
/// <c>state/delivery</c> names the first and the last of them until the office has them again
/// (the office's <c>heard</c> confirmation), with one message per change, not one per event, and beside a
/// refusal rather than in its place.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class UnheardStateTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Events = Root + "/events";
    private const string DeliveryState = Root + "/state/delivery";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Unheard_events_show_as_one_range_that_a_heard_event_keeps_and_only_the_offices_confirmation_clears()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        // The office watches state/delivery but its events subscription is gone (an expired session).
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, DeliveryState, "office-state", persistent: false);
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(500) };
        await using var harness = new PublisherHarness(options, output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        await harness.StartAndCatchUpAsync();

        var opened = await office.WaitForAsync(r => Status(r.Json) == "unheard", Patience, "state/delivery unheard");
        Assert.Equal(1, opened.Json.GetProperty("unheard").GetProperty("fromSeq").GetInt64());
        Assert.Equal(JsonValueKind.String, opened.Json.GetProperty("unheard").GetProperty("since").ValueKind);
        Assert.Equal(JsonValueKind.Null, opened.Json.GetProperty("seq").ValueKind); // nothing refused
        await Eventually.TrueAsync(() => Through(Last(office)) == 2, Patience, "the range through seq 2");

        // A burst no one hears: the range grows, state/delivery follows it with a message or two,
        // not one per event.
        var before = office.On(DeliveryState).Count;
        var burst = DateTimeOffset.UtcNow;
        for (var i = 0; i < 200; i++)
        {
            harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        }

        await harness.Outbox.WaitForDeliveredAsync(202, Patience);
        await Eventually.TrueAsync(() => Through(Last(office)) == 202, Patience, "the range through seq 202");
        // At most about one per interval, however long a loaded host took over the burst (4 was a
        // bound for under 1.5 s of it): never one per event.
        var took = DateTimeOffset.UtcNow - burst;
        Assert.InRange(office.On(DeliveryState).Count - before, 1, 3 + (int)(took / options.StateCheckInterval));
        Assert.Equal(1, Last(office).GetProperty("unheard").GetProperty("fromSeq").GetInt64());
        Assert.Equal(opened.Json.GetProperty("unheard").GetProperty("since").GetString(), Last(office).GetProperty("unheard").GetProperty("since").GetString());

        // Someone subscribes to the events and hears the next one: that is not the office having
        // seqs 1 to 202, so the range stays, and nothing is published for it.
        await using var watcher = await TestSubscriber.ConnectAsync(broker.Port, Events, "watcher", persistent: false);
        var shown = office.On(DeliveryState).Count;
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        await watcher.WaitForAsync(r => r.Json.GetProperty("seq").GetInt64() == 203, Patience, "event 203 heard");
        await Task.Delay(options.StateCheckInterval * 3);
        Assert.Equal(shown, office.On(DeliveryState).Count);
        Assert.Equal(new Contract.UnheardSeqs(1, 202, harness.Publisher.Unheard!.Value.Since), harness.Publisher.Unheard);

        // The office confirms it has 1..100 (the heard command): the range starts after them. A
        // confirmation below the range's first seq changes nothing.
        Assert.True(harness.Publisher.MarkHeard(100));
        await Eventually.TrueAsync(() => Last(office).GetProperty("unheard").GetProperty("fromSeq").GetInt64() == 101, Patience, "the range from 101");
        Assert.False(harness.Publisher.MarkHeard(50));
        Assert.True(harness.Publisher.MarkHeard(202));
        await Eventually.TrueAsync(() => Status(Last(office)) == "ok", Patience, "state/delivery ok");
        Assert.Equal(JsonValueKind.Null, Last(office).GetProperty("unheard").ValueKind);
        Assert.Null(harness.Publisher.Unheard);
        Assert.Equal(shown + 2, office.On(DeliveryState).Count); // one message per change
        Assert.Equal(1, harness.Publisher.Connects);
    }

    [Fact]
    public async Task The_ranges_end_follows_about_once_per_check_interval_while_a_long_replay_goes_unheard()
    {
        // The pump is never idle during the replay of a backlog, and the end of the range used to
        // be checked only when idle: state/delivery showed throughSeq 1 for the whole replay.
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, DeliveryState, "office-state", persistent: false);
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(100) };
        await using var harness = new PublisherHarness(options, output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal);
        harness.Outbox.AppendMany(50_000);
        var started = DateTimeOffset.UtcNow;
        await harness.StartAsync();
        await harness.Outbox.WaitForDeliveredAsync(50_000, TimeSpan.FromSeconds(120));
        var took = DateTimeOffset.UtcNow - started;
        await Eventually.TrueAsync(() => Through(Last(office)) == 50_000, Patience, "the range through seq 50000");

        var shown = office.On(DeliveryState).Select(r => Through(r.Json)).OfType<long>().ToList();
        var during = shown.Where(t => t > 1 && t < 50_000).Distinct().Count();
        output.WriteLine($"replay took {took.TotalMilliseconds:0} ms; throughSeq shown: {string.Join(", ", shown)}");
        Assert.True(during >= 2, $"{during} values of throughSeq shown during a replay of {took.TotalMilliseconds:0} ms");
        // At most about one per interval: never one per event.
        Assert.InRange(shown.Count, 2, 4 + (int)(took / options.StateCheckInterval));
    }

    [Fact]
    public async Task A_refusal_shows_beside_the_unheard_range_and_the_range_outlives_the_refusal_and_a_reconnect()
    {
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Acl = "topic readwrite edgeguard/v1/#\n" });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, DeliveryState, "office-state", persistent: false);
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal);
        await harness.StartAndCatchUpAsync();
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        await harness.Outbox.WaitForDeliveredAsync(2, Patience);
        await Eventually.TrueAsync(() => Status(Last(office)) == "unheard" && Through(Last(office)) == 2, Patience, "unheard 1..2");

        // The office's ACL breaks for the events: the refusal is the more urgent fact and takes
        // the status, the unheard range stays in the same message.
        await broker.ReloadAclAsync("""
            topic readwrite edgeguard/v1/site-1/gw-1/availability
            topic readwrite edgeguard/v1/site-1/gw-1/state/#
            topic read edgeguard/v1/#
            """);
        await UntilEventsRefusedAsync(broker.Port); // SIGHUP is asynchronous
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        var refused = await office.WaitForAsync(r => Status(r.Json) == "refused", Patience, "state/delivery refused");
        Assert.Equal(3, refused.Json.GetProperty("seq").GetInt64());
        Assert.Equal(1, refused.Json.GetProperty("unheard").GetProperty("fromSeq").GetInt64());
        Assert.Equal(2, refused.Json.GetProperty("unheard").GetProperty("throughSeq").GetInt64());

        // Mended: seq 3 goes through, unheard too; the status falls back to unheard, not ok.
        await broker.ReloadAclAsync("topic readwrite edgeguard/v1/#\n");
        await harness.Outbox.WaitForDeliveredAsync(3, Patience);
        await Eventually.TrueAsync(() => Status(Last(office)) == "unheard" && Through(Last(office)) == 3, Patience, "unheard 1..3 again");
        Assert.Equal(JsonValueKind.Null, Last(office).GetProperty("seq").ValueKind);

        // A reconnect republishes the range, as the publisher keeps it.
        var count = office.On(DeliveryState).Count;
        harness.Publisher.AbortConnection();
        await Eventually.TrueAsync(() => harness.Publisher.Connects == 2 && harness.Publisher.IsCaughtUp, Patience, "caught up again");
        await Eventually.TrueAsync(() => office.On(DeliveryState).Count > count, Patience, "state/delivery after the reconnect");
        Assert.Equal("unheard", Status(Last(office)));
        Assert.Equal(1, Last(office).GetProperty("unheard").GetProperty("fromSeq").GetInt64());
        Assert.Equal(3, Through(Last(office)));
    }

    // Publishes a probe to the events topic until the broker answers NotAuthorized: the new ACL
    // is in force. No one subscribes to it, and the publisher under test never sees it.
    private static async Task UntilEventsRefusedAsync(int port)
    {
        using var probe = new MqttClientFactory().CreateMqttClient();
        await probe.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).WithClientId("acl-probe").Build());
        var message = new MqttApplicationMessageBuilder().WithTopic(Events).WithPayload("probe")
            .WithQualityOfServiceLevel(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce).Build();
        await Eventually.TrueAsync(
            () => probe.PublishAsync(message).GetAwaiter().GetResult().ReasonCode == MqttClientPublishReasonCode.NotAuthorized,
            Patience,
            "the ACL refusing the events in force");
        await probe.DisconnectAsync();
    }

    private static JsonElement Last(TestSubscriber office) =>
        office.On(DeliveryState) is { Count: > 0 } receipts ? receipts[^1].Json : JsonDocument.Parse("{}").RootElement;

    private static string? Status(JsonElement json) =>
        json.TryGetProperty("status", out var status) ? status.GetString() : null;

    private static long? Through(JsonElement json) =>
        json.TryGetProperty("unheard", out var unheard) && unheard.ValueKind == JsonValueKind.Object ? unheard.GetProperty("throughSeq").GetInt64() : null;
}
