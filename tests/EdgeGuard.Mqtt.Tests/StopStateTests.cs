using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The retained state an orderly stop leaves behind. The stop delivers the outbox and then sends
/// <c>offline</c>; the retained state topics are what a console that connects while the gateway
/// is down reads, so they must show what the last delivered event says. Until 2026-12-05 the
/// stop's drain left out a point refresh the coalescing had put off (a point that changed twice
/// within StateRefreshInterval), and a stop that came before the stream started (during the
/// went-back check's grace, or the replay) left no state at all: a broker that had lost its
/// retained store kept the events and nothing else, and one with old persistence kept stale state.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class StopStateTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Events = Root + "/events";
    private const string Availability = Root + "/availability";
    private const string DoorState = Root + "/state/points/door-lobby";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(5000)] // longer than the test: the refresh is surely put off
    [InlineData(250)] // the default
    public async Task An_orderly_stop_sends_the_point_state_the_coalescing_put_off_before_offline(int refreshMs)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        var options = PublisherHarness.Plain(broker.Port) with { StateRefreshInterval = TimeSpan.FromMilliseconds(refreshMs) };
        await using var harness = new PublisherHarness(options, output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", false));
        await harness.StartAndCatchUpAsync(Patience);
        await office.WaitForAsync(r => r.Topic == DoorState, Patience, "the point's state after the connect");

        // The door opens, closes and opens again: the later refreshes fall within the interval.
        foreach (var (type, active) in new[] { ("point.activated", true), ("point.deactivated", false), ("point.activated", true) })
        {
            harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", active));
            harness.Outbox.Append(type, "door-lobby", "lobby", "{}");
        }

        await Eventually.TrueAsync(() => office.On(Events).Count == 3, Patience, "the three events");
        await harness.StopAsync();

        var receipts = await ReceiptsThroughOfflineAsync(office);
        Assert.True(receipts.Last(r => r.Topic == DoorState).Json.GetProperty("active").GetBoolean(), "the last event says the door is open");
        Assert.True(await RetainedDoorActiveAsync(broker.Port), "the retained state a console reads later");
    }

    [Fact]
    public async Task A_stop_before_the_stream_started_still_leaves_the_retained_state_of_the_events_it_delivered()
    {
        // A broker that lost its retained store (restarted without persistence): nothing retained.
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = SiteStates.Of(SiteMode.Lockdown, ("door-lobby", true));
        harness.Outbox.Append("lockdown.started", null, null, "{}");
        harness.Outbox.Append("point.activated", "door-lobby", "lobby", "{}");

        await StopRightAfterTheConnectAsync(harness);

        var receipts = await ReceiptsThroughOfflineAsync(office);
        var lastEvent = receipts.FindLastIndex(r => r.Topic == Events);
        Assert.Equal([1L, 2L], receipts.Where(r => r.Topic == Events).Select(r => r.Json.GetProperty("seq").GetInt64()));
        Assert.True(receipts.FindLastIndex(r => r.Topic == DoorState) > lastEvent, "the point's state after its event, before offline");

        // state/lockdown is the site now and state/delivery the link's, so both may go ahead of a
        // held stream (the Mqtt README's "during a replay"): what counts is what they say last.
        Assert.Equal("lockdown", receipts.Last(r => r.Topic == Root + "/state/lockdown").Json.GetProperty("mode").GetString());
        Assert.Equal("ok", receipts.Last(r => r.Topic == Root + "/state/delivery").Json.GetProperty("status").GetString());
        Assert.True(await RetainedDoorActiveAsync(broker.Port));
    }

    [Fact]
    public async Task A_stop_during_the_replay_replaces_the_point_state_an_earlier_process_left_retained()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var outbox = new FakeOutbox();
        await using (var earlier = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, outbox))
        {
            earlier.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", false));
            await earlier.StartAndCatchUpAsync(Patience);
        }

        Assert.False(await RetainedDoorActiveAsync(broker.Port), "the earlier process left the door closed");

        // The door opened while the gateway was down, behind a backlog; the next start is stopped
        // while it replays, held there by a journal read that fails until the stop comes.
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, outbox);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", true));
        outbox.Append("point.activated", "door-lobby", "lobby", "{}");
        outbox.AppendMany(500);
        var reads = outbox.Reads;
        outbox.FailNextReads(int.MaxValue);
        await harness.StartAsync();
        await Eventually.TrueAsync(() => outbox.Reads > reads, Patience, "the replay's first read");
        Assert.False(harness.Publisher.IsCaughtUp);
        outbox.FailNextReads(0); // the stop's drain reads the backlog once its backoff has passed
        await harness.StopAsync();
        await office.WaitForAsync(r => r.Text == "offline" && !r.Retain, Patience, "offline");

        Assert.Equal(501, outbox.DeliveredThrough);
        Assert.True(await RetainedDoorActiveAsync(broker.Port), "the retained state still said the door was closed");
    }

    [Fact]
    public async Task A_broker_that_stops_answering_the_stops_state_refresh_still_ends_the_stop_within_its_budget()
    {
        var time = new FakeTimeProvider(); // frozen until the stop: every later refresh is put off
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        // A keep-alive longer than the test: only the stop's own deadlines end the waits.
        var options = PublisherHarness.Plain(broker.Port) with { KeepAlive = TimeSpan.FromSeconds(60) };
        await using var harness = new PublisherHarness(options, output, time: time);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", false));
        await harness.StartAndCatchUpAsync(Patience);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", true));
        harness.Outbox.Append("point.activated", "door-lobby", "lobby", "{}");
        await harness.Outbox.WaitForDeliveredAsync(1, Patience);
        var statesBefore = harness.Publisher.StatePublishes;

        await broker.PauseAsync(); // SIGSTOP: the socket stays open, nothing is answered
        TimeSpan used;
        try
        {
            used = await StopBacklogTests.StopMovingTheClockAsync(harness, time);
        }
        finally
        {
            await broker.ResumeAsync();
        }

        Assert.True(harness.Publisher.StatePublishes > statesBefore, "the stop sent the point's state");
        Assert.True(used <= StopBacklogTests.Budget(options) + StopBacklogTests.Slack, $"the stop used {used} of the publisher's clock");
    }

    [Fact]
    public async Task A_journal_read_that_failed_while_idle_does_not_hold_a_stop_with_nothing_left_to_send()
    {
        // Before, the drain waited for that read's retry, which nothing left to read ever made: it
        // spun until its deadline, skipped the state after the events, and offline came late.
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync();
        var options = PublisherHarness.Plain(broker.Port) with { KeepAlive = TimeSpan.FromSeconds(60), Timeout = TimeSpan.FromSeconds(10) };
        await using var harness = new PublisherHarness(options, output, time: time);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", false));
        await harness.StartAndCatchUpAsync(Patience);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby", "{}");
        await harness.Outbox.WaitForDeliveredAsync(1, Patience);

        // A failing card: the stream's look at the journal at its next state check fails.
        var reads = harness.Outbox.Reads;
        var checks = harness.Publisher.StateChecks;
        harness.Outbox.FailNextReads(int.MaxValue);
        time.Advance(options.StateCheckInterval);
        await Eventually.TrueAsync(() => harness.Outbox.Reads > reads, Patience, "a read failed while idle");
        harness.Outbox.FailNextReads(0);
        // That state check done: changed before it, the state went out with it, not with the stop.
        await Eventually.TrueAsync(() => harness.Publisher.StateChecks > checks, Patience, "the state check after the failed read");
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", true)); // no event says so
        var statesBefore = harness.Publisher.StatePublishes;

        var used = await StopBacklogTests.StopMovingTheClockAsync(harness, time);

        var drainDeadline = StopBacklogTests.Budget(options) / 2;
        Assert.True(used < drainDeadline, $"the stop used {used} of the publisher's clock, its drain's whole {drainDeadline}");
        Assert.True(harness.Publisher.StatePublishes > statesBefore, "the stop sent the point's state");
        Assert.Equal(1, harness.Outbox.DeliveredThrough);
    }

    [Fact]
    public async Task An_orderly_stop_sends_no_point_state_whose_event_still_waits_for_the_journal()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", false));
        await harness.StartAndCatchUpAsync(Patience);
        await office.WaitForAsync(r => r.Topic == DoorState, Patience, "the point's state after the connect");

        // The controller decided (its state shows the decision first) and handed the events to the
        // journal, whose writer is stuck in a commit (a hung card, when a technician restarts the
        // service): they have no seq, so the stop cannot deliver them.
        harness.State.Current = SiteStates.Of(SiteMode.Lockdown, ("door-lobby", true));
        harness.Outbox.HandOverWaiting("lockdown.started");
        harness.Outbox.HandOverWaiting("point.activated", "door-lobby", "lobby");
        await harness.StopAsync();

        var receipts = await ReceiptsThroughOfflineAsync(office);
        Assert.DoesNotContain(receipts, r => r.Topic == Events);
        Assert.False(receipts.Last(r => r.Topic == DoorState).Json.GetProperty("active").GetBoolean(),
            "the retained state says the door is open, and no delivered event says so");
        Assert.False(await RetainedDoorActiveAsync(broker.Port), "the retained state a console reads later");
        // state/lockdown is the site now, ahead of the events by design (the Mqtt README's
        // "during a replay"): the office acts on it, and it goes whatever the journal holds.
        Assert.Equal("lockdown", receipts.Last(r => r.Topic == Root + "/state/lockdown").Json.GetProperty("mode").GetString());
    }

    [Fact]
    public async Task A_point_state_whose_event_the_journal_sequences_during_the_stop_goes_out_after_that_event()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", false));
        await harness.StartAndCatchUpAsync(Patience);
        await office.WaitForAsync(r => r.Topic == DoorState, Patience, "the point's state after the connect");

        // The writer's commit ends as the stop looks: the event gets its seq during the drain.
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-lobby", true));
        harness.Outbox.SequencesWaitingWhenAsked = true;
        harness.Outbox.HandOverWaiting("point.activated", "door-lobby", "lobby");
        await harness.StopAsync();

        var receipts = await ReceiptsThroughOfflineAsync(office);
        var theEvent = receipts.FindIndex(r => r.Topic == Events);
        Assert.True(theEvent >= 0, "the stop delivered the event the journal sequenced meanwhile");
        Assert.Equal("point.activated", receipts[theEvent].Json.GetProperty("type").GetString());
        var lastState = receipts.FindLastIndex(r => r.Topic == DoorState);
        Assert.True(lastState > theEvent, "the point's state after its event");
        Assert.True(receipts[lastState].Json.GetProperty("active").GetBoolean());
        Assert.True(await RetainedDoorActiveAsync(broker.Port), "the retained state a console reads later");
    }

    /// <summary>Starts the publisher and stops it as soon as it has a connection: before its stream.</summary>
    private static async Task StopRightAfterTheConnectAsync(PublisherHarness harness)
    {
        // The stream is held at its first read, which fails until the stop comes: the went-back
        // check's 250 ms grace alone is real time, which a busy machine can let pass before the
        // test looks, so the test holds the stream itself.
        var reads = harness.Outbox.Reads;
        harness.Outbox.FailNextReads(int.MaxValue);
        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.IsConnected && harness.Outbox.Reads > reads, Patience, "connected, the stream's first read");
        Assert.False(harness.Publisher.IsCaughtUp, "the stream had started already");
        harness.Outbox.FailNextReads(0); // the stop's drain reads the outbox once its backoff has passed
        await harness.StopAsync();
    }

    /// <summary>What the office received, through the stop's offline.</summary>
    private static async Task<List<Receipt>> ReceiptsThroughOfflineAsync(TestSubscriber office)
    {
        var offline = await office.WaitForAsync(r => r.Topic == Availability && r.Text == "offline", Patience, "offline");
        var receipts = office.Receipts.ToList();
        return receipts[..(receipts.IndexOf(offline) + 1)];
    }

    /// <summary>Whether the retained state of door-lobby, as a console connecting now reads it, says active.</summary>
    private static async Task<bool> RetainedDoorActiveAsync(int port)
    {
        await using var late = await TestSubscriber.ConnectAsync(port, DoorState, "office-late", persistent: false);
        var retained = await late.WaitForAsync(r => r.Retain, Patience, "the retained point state");
        return retained.Json.GetProperty("active").GetBoolean();
    }
}
