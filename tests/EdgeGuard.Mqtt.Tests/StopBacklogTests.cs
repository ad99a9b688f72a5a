using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// An orderly stop (SIGTERM, <c>systemctl stop</c>) with events still in the outbox. The stop used
/// to wait only for the PUBACKs already in flight and then send <c>offline</c>: a burst journaled
/// just before it (a panic, a lockdown's events) waited for the next start, maybe for good (a
/// gateway decommissioned, a dead card), and the office could not tell. Now the stop delivers the
/// outbox within its budget, and its <c>offline</c> says how far it got (user properties
/// <c>lastSeq</c> and <c>deliveredThrough</c>). Where time matters, the publisher runs on a fake
/// clock that the test moves: the budget is a fact of that clock, not a race with the machine.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class StopBacklogTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Events = Root + "/events";
    private const string Availability = Root + "/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // How far the test moves the publisher's clock at a time while a stop runs, and the slack it
    // allows over the budget for the stop's own steps taken between two moves.
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);
    internal static readonly TimeSpan Slack = TimeSpan.FromSeconds(1);

    // Events refused (an ACL mistake at the office), availability and state still taken.
    private const string EventsRefused = """
        topic readwrite edgeguard/v1/site-1/gw-1/availability
        topic readwrite edgeguard/v1/site-1/gw-1/state/#
        topic read edgeguard/v1/#
        """;

    [Fact]
    public async Task Events_journaled_just_before_an_orderly_stop_are_delivered_before_offline()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 9);
        await harness.StartAndCatchUpAsync(Patience);

        harness.Outbox.AppendMany(3000); // a burst (a lockdown's events) journaled just before SIGTERM
        await Eventually.TrueAsync(() => harness.Publisher.SentThrough >= 1, Patience, "streaming");
        await harness.StopAsync(); // healthy broker

        output.WriteLine($"last {harness.Outbox.LastSeq}, acknowledged {harness.Outbox.AcknowledgedThrough}");
        Assert.Equal(3000, harness.Outbox.AcknowledgedThrough);
        Assert.Equal(3000, harness.Outbox.DeliveredThrough); // the cursor too: nothing to replay
        var offline = await office.WaitForAsync(r => r.Topic == Availability && r.Text == "offline", Patience, "offline");
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 3000, Patience, "every event at the office");
        var receipts = office.Receipts.ToList();
        var lastEvent = receipts.FindLastIndex(r => r.Topic == Events);
        Assert.True(lastEvent < receipts.IndexOf(offline), "an event arrived after offline");
        Assert.Equal("9", offline.UserProperties["session"]);
        Assert.Equal("3000", offline.UserProperties["lastSeq"]);
        Assert.Equal("3000", offline.UserProperties["deliveredThrough"]);
    }

    [Fact]
    public async Task The_offline_of_a_stop_that_could_not_deliver_everything_says_how_far_it_got_and_the_rest_is_replayed_at_the_next_start()
    {
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Acl = "topic readwrite edgeguard/v1/#\n" });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        var outbox = new FakeOutbox();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, outbox, time: time);
        await harness.StartAndCatchUpAsync(Patience);
        outbox.AppendMany(3);
        await outbox.WaitForDeliveredAsync(3, Patience);

        await broker.ReloadAclAsync(EventsRefused);
        await RefusalRecoveryTests.RefusedByNowAsync(broker.Port);
        outbox.AppendMany(2);
        await Eventually.TrueAsync(() => harness.Publisher.RefusedPublishes >= 1, Patience, "event 4 refused");

        var used = await StopMovingTheClockAsync(harness, time);

        Assert.True(used <= Budget(harness.Options) + Slack, $"the stop used {used} of the publisher's clock");
        var offline = await office.WaitForAsync(r => r.Topic == Availability && r.Text == "offline", Patience, "offline");
        Assert.Equal("5", offline.UserProperties["lastSeq"]);
        Assert.Equal("3", offline.UserProperties["deliveredThrough"]);
        Assert.Equal(3, outbox.DeliveredThrough);

        // The office mends its ACL; the next start sends 4 and 5, replayed.
        await broker.ReloadAclAsync("topic readwrite edgeguard/v1/#\n");
        await using var next = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, outbox);
        await next.StartAndCatchUpAsync(Patience);
        await outbox.WaitForDeliveredAsync(5, Patience);
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 5, Patience, "events 4 and 5 at the office");
        Assert.All(
            office.On(Events).Where(r => r.Json.GetProperty("seq").GetInt64() > 3),
            r => Assert.True(r.Json.GetProperty("replayed").GetBoolean()));
    }

    [Fact]
    public async Task A_broker_that_stops_answering_during_the_stops_delivery_still_ends_the_stop_within_its_budget_and_the_rest_is_replayed_at_the_next_start()
    {
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync();
        // A keep-alive longer than the test: only the stop's own deadlines end the waits.
        var options = PublisherHarness.Plain(broker.Port) with { KeepAlive = TimeSpan.FromSeconds(60) };
        var outbox = new FakeOutbox();
        await using var harness = new PublisherHarness(options, output, outbox, time: time);
        await harness.StartAndCatchUpAsync(Patience);
        outbox.AppendMany(3000);
        await Eventually.TrueAsync(() => outbox.AcknowledgedThrough >= 1, Patience, "delivery under way");

        await broker.PauseAsync(); // SIGSTOP: the socket stays open, nothing is answered
        TimeSpan used;
        long deliveredAtStop;
        try
        {
            used = await StopMovingTheClockAsync(harness, time);
            deliveredAtStop = outbox.DeliveredThrough;
        }
        finally
        {
            await broker.ResumeAsync();
        }

        Assert.True(used <= Budget(options) + Slack, $"the stop used {used} of the publisher's clock");
        Assert.True(deliveredAtStop < 3000, "everything was delivered before the broker stopped answering");

        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        await using var next = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, outbox);
        await next.StartAndCatchUpAsync(Patience);
        await outbox.WaitForDeliveredAsync(3000, Patience);
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 3000 - (int)deliveredAtStop, Patience, "the rest at the office");
        var replayed = office.On(Events).Where(r => r.Json.GetProperty("replayed").GetBoolean()).Select(r => r.Json.GetProperty("seq").GetInt64());
        Assert.Equal(LongRange(deliveredAtStop + 1, 3000), replayed.Distinct().Order());
    }

    /// <summary>The most an orderly stop may spend on the broker with <paramref name="options"/>.</summary>
    internal static TimeSpan Budget(MqttPublisherOptions options) =>
        options.Timeout < OutboxPublisher.OrderlyStopLimit ? options.Timeout : OutboxPublisher.OrderlyStopLimit;

    private static IEnumerable<long> LongRange(long from, long through)
    {
        for (var seq = from; seq <= through; seq++)
        {
            yield return seq;
        }
    }

    /// <summary>
    /// Stops the publisher, moving its clock a step at a time until the stop ends; returns how much
    /// of that clock the stop used (up to a step more). Gives up at three budgets.
    /// </summary>
    internal static async Task<TimeSpan> StopMovingTheClockAsync(PublisherHarness harness, FakeTimeProvider time)
    {
        var stop = Task.Run(harness.StopAsync);
        var used = TimeSpan.Zero;
        while (!stop.IsCompleted && used < 3 * Budget(harness.Options))
        {
            // Real time between moves lets the stop's continuations run; nothing is measured by it.
            await Task.WhenAny(stop, Task.Delay(25));
            if (!stop.IsCompleted)
            {
                time.Advance(Step);
                used += Step;
            }
        }

        await stop.WaitAsync(Patience);
        return used;
    }
}
