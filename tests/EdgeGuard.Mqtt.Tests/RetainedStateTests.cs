using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>Retained state topics: complete after every connect, refreshed after the events that change them.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RetainedStateTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static SiteState State(SiteMode mode, params (string Point, bool Active)[] points) => SiteStates.Of(mode, points);

    [Fact]
    public async Task After_connect_every_state_topic_is_retained_with_the_current_state()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = State(SiteMode.Lockdown, ("door-lobby", true), ("panic-1", false));

        await harness.StartAndCatchUpAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/#", "office-late", persistent: false);
        await Eventually.TrueAsync(() => office.Receipts.Count == 4, Patience, "three retained state messages and state/delivery");
        Assert.Equal("ok", Assert.Single(office.On(Root + "/state/delivery")).Json.GetProperty("status").GetString());

        var lockdown = Assert.Single(office.On(Root + "/state/lockdown")).Json;
        Assert.Equal("lockdown", lockdown.GetProperty("mode").GetString());
        Assert.Equal("panic-button", lockdown.GetProperty("cause").GetString());
        Assert.Equal("panic-1", lockdown.GetProperty("point").GetString());
        Assert.Equal("2026-11-23T18:59:58.250Z", lockdown.GetProperty("since").GetString());
        Assert.True(lockdown.GetProperty("sirenSounding").GetBoolean());
        Assert.True(Assert.Single(office.On(Root + "/state/points/door-lobby")).Json.GetProperty("active").GetBoolean());
        Assert.False(Assert.Single(office.On(Root + "/state/points/panic-1")).Json.GetProperty("active").GetBoolean());
        Assert.All(office.Receipts, r =>
        {
            Assert.True(r.Retain);
            Assert.Equal("application/json", r.ContentType);
        });
    }

    [Fact]
    public async Task A_delivered_point_event_is_followed_by_the_points_retained_state()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = State(SiteMode.Normal, ("door-lobby", false));
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == Root + "/state/points/door-lobby", Patience, "initial point state");

        harness.State.Current = State(SiteMode.Normal, ("door-lobby", true));
        harness.Outbox.Append("point.activated", "door-lobby", "lobby", """{"kind":"doorContact"}""");

        await Eventually.TrueAsync(() => office.On(Root + "/state/points/door-lobby").Count == 2, Patience, "the refreshed point state");
        var receipts = office.Receipts;
        var eventIndex = receipts.ToList().FindIndex(r => r.Topic == Root + "/events");
        var stateIndex = receipts.ToList().FindLastIndex(r => r.Topic == Root + "/state/points/door-lobby");
        Assert.True(eventIndex >= 0 && eventIndex < stateIndex, "the state follows the event that changed it");
        Assert.True(receipts[stateIndex].Json.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task A_delivered_lockdown_event_refreshes_the_retained_lockdown_state()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/lockdown", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = State(SiteMode.Normal, ("panic-1", false));
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Json.GetProperty("mode").GetString() == "normal", Patience, "initial normal state");

        harness.State.Current = State(SiteMode.Lockdown, ("panic-1", true));
        harness.Outbox.Append("lockdown.started", "panic-1", null, """{"cause":"panic-button"}""", Severity.Critical);

        var lockdown = await office.WaitForAsync(r => r.Json.GetProperty("mode").GetString() == "lockdown", Patience, "lockdown state");
        Assert.Equal("panic-1", lockdown.Json.GetProperty("point").GetString());
    }

    // Each event changes a field of the lockdown topic that no lockdown.*, siren.*, alarm.* or fire.*
    // event does; a list of those prefixes once left these three stale until the next reconnect.
    [Theory]
    [InlineData("evacuation.started", SiteMode.Normal, SiteMode.Evacuation, 1, "mode", "evacuation")]
    [InlineData("shelter.cleared", SiteMode.ShelterInPlace, SiteMode.Normal, 1, "mode", "normal")]
    [InlineData("threat.level-changed", SiteMode.Normal, SiteMode.Normal, 3, "threatLevel", "3")]
    public async Task Any_event_that_changes_what_the_lockdown_topic_shows_refreshes_it_after_the_event(
        string type, SiteMode before, SiteMode after, int threatLevelAfter, string field, string shown)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = State(before);
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == Root + "/state/lockdown", Patience, "initial lockdown state");

        harness.State.Current = State(after) with { ThreatLevel = threatLevelAfter };
        harness.Outbox.Append(type, null, null, "{}");

        var refreshed = await office.WaitForAsync(
            r => r.Topic == Root + "/state/lockdown" && r.Json.GetProperty(field).ToString() == shown, Patience, $"lockdown state with {field} {shown}");
        var receipts = office.Receipts.ToList();
        Assert.True(
            receipts.FindIndex(r => r.Topic == Root + "/events") < receipts.IndexOf(refreshed),
            "the state follows the event that changed it");
        Assert.Equal(2, office.On(Root + "/state/lockdown").Count);
    }

    [Fact]
    public async Task State_that_appears_after_the_connect_is_published_without_waiting_for_a_reconnect()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        await harness.StartAndCatchUpAsync(); // boot has not completed: no state yet

        harness.State.Current = State(SiteMode.Normal, ("door-lobby", false));

        // state/delivery does not wait for the site's state: it is about the broker.
        await Eventually.TrueAsync(() => office.Receipts.Count == 3, Patience, "lockdown and point state once boot completed");
        Assert.Equal("ok", Assert.Single(office.On(Root + "/state/delivery")).Json.GetProperty("status").GetString());
        Assert.Single(office.On(Root + "/state/lockdown"));
        Assert.Single(office.On(Root + "/state/points/door-lobby"));
        Assert.Equal(1, harness.Publisher.Connects);
    }
}
