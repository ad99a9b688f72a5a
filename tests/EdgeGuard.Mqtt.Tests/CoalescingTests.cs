using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The rate limits of the delivery path: the durable cursor is the journal's to write (per interval
/// or batch of PUBACKs, on its writer thread: CursorCommitTests), never the publisher's, and a
/// point's retained state is refreshed at most once per interval with its latest value. The publisher runs on a fake clock, so "the interval has not
/// passed" is a fact the test controls, not a race it hopes to win.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class CoalescingTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan UnderOneTick = TimeSpan.FromMilliseconds(0.4);

    private static SiteState Points(params (string Point, bool Active)[] points) => new(
        SiteMode.Normal, null, null, points.ToImmutableSortedDictionary(p => p.Point, p => p.Active, StringComparer.Ordinal));

    [Fact]
    public async Task The_publisher_only_reports_PUBACKs_and_never_writes_the_cursor_itself()
    {
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync();
        // The journal's writer never commits here: whatever moved the cursor would be the publisher.
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, new FakeOutbox { PersistsAcknowledged = false }, time: time);
        await harness.StartAndCatchUpAsync();

        // One at a time, then a burst; intervals pass. The durable cursor is the journal's to
        // write on its own thread (EventJournal.Cursor.cs): a write here, an fsync on this loop,
        // hung it with the card (HungCommitTests).
        for (var seq = 1; seq <= 3; seq++)
        {
            harness.Outbox.Append();
            await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == seq, Patience, $"PUBACK of seq {seq}");
            time.Advance(Interval);
        }

        harness.Outbox.AppendMany(300);
        await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == 303, Patience, "PUBACKs of the burst");
        time.Advance(Interval);
        Assert.Equal(303, harness.Outbox.AcknowledgedThrough); // every prefix reported, in memory
        Assert.Empty(harness.Outbox.Marks);
        Assert.Equal(0, harness.Outbox.DeliveredThrough);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task An_orderly_stop_asks_for_the_cursor_the_journal_was_still_holding_back_unless_it_already_made_it_durable(bool journalCommittedIt)
    {
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, new FakeOutbox { PersistsAcknowledged = false }, time: time);
        await harness.StartAndCatchUpAsync();
        harness.Outbox.AppendMany(3);
        await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == 3, Patience, "PUBACKs of three events");
        Assert.Empty(harness.Outbox.Marks);
        Assert.Equal(3, harness.Outbox.AcknowledgedThrough); // told before anything else sees the PUBACK
        if (journalCommittedIt)
        {
            // The journal's next commit carried the acknowledged prefix as the cursor: the stop
            // below has nothing left to ask for.
            harness.Outbox.PersistAcknowledged();
            time.Advance(Interval);
        }

        await harness.StopAsync();

        Assert.Equal(journalCommittedIt ? [] : [3L], harness.Outbox.Marks);
        Assert.Equal(3, harness.Outbox.DeliveredThrough);
    }

    [Fact]
    public async Task A_burst_on_two_points_costs_one_state_message_per_point_per_interval_and_leaves_the_latest_state_retained()
    {
        const int Burst = 201;
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, time: time);
        harness.State.Current = Points(("door-a", false), ("door-b", false));
        await harness.StartAndCatchUpAsync();
        await Eventually.TrueAsync(() => office.On(Root + "/state/points/door-a").Count == 1 && office.On(Root + "/state/points/door-b").Count == 1, Patience, "initial point states");
        var statesBefore = harness.Publisher.StatePublishes;

        // Each event flips one door, alternating; the burst ends with door-a open and door-b closed.
        var open = new Dictionary<string, bool> { ["door-a"] = false, ["door-b"] = false };
        for (var i = 0; i < Burst; i++)
        {
            var door = i % 2 == 0 ? "door-a" : "door-b";
            open[door] = !open[door];
            harness.State.Current = Points(("door-a", open["door-a"]), ("door-b", open["door-b"]));
            harness.Outbox.Append(open[door] ? "point.activated" : "point.restored", door, "lobby", """{"kind":"doorContact"}""");
        }

        Assert.True(open["door-a"] && !open["door-b"]);
        await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == Burst, Patience, "PUBACKs of the burst");
        await Eventually.TrueAsync(() => office.DistinctSeqCount == Burst, Patience, "every event at the office");
        // The clock has not moved since the initial states: every refresh is still deferred.
        Assert.Equal(statesBefore, harness.Publisher.StatePublishes);

        time.Advance(Interval);
        await Eventually.TrueAsync(() => office.On(Root + "/state/points/door-a").Count == 2 && office.On(Root + "/state/points/door-b").Count == 2, Patience, "one refresh per point");

        Assert.Equal(statesBefore + 2, harness.Publisher.StatePublishes); // for 201 events
        var receipts = office.Receipts.ToList();
        var lastEvent = receipts.FindLastIndex(r => r.Topic == Root + "/events");
        foreach (var (door, active) in new[] { ("door-a", true), ("door-b", false) })
        {
            var index = receipts.FindLastIndex(r => r.Topic == Root + "/state/points/" + door);
            Assert.True(index > lastEvent, $"{door}'s state follows the events that changed it");
            Assert.Equal(active, receipts[index].Json.GetProperty("active").GetBoolean());
        }

        // What a console that connects now gets: the latest state of each point.
        await using var late = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/points/#", "office-late", persistent: false);
        await Eventually.TrueAsync(() => late.Receipts.Count == 2, Patience, "two retained point states");
        Assert.True(Assert.Single(late.On(Root + "/state/points/door-a")).Json.GetProperty("active").GetBoolean());
        Assert.False(Assert.Single(late.On(Root + "/state/points/door-b")).Json.GetProperty("active").GetBoolean());
    }

    [Fact]
    public async Task After_a_quiet_interval_a_points_change_is_refreshed_right_after_its_event()
    {
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/points/door-a", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, time: time);
        harness.State.Current = Points(("door-a", false));
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => !r.Json.GetProperty("active").GetBoolean(), Patience, "initial point state");
        time.Advance(Interval);

        harness.State.Current = Points(("door-a", true));
        harness.Outbox.Append("point.activated", "door-a", "lobby", """{"kind":"doorContact"}""");

        // No clock movement needed: the point's last publish is an interval old.
        await office.WaitForAsync(r => r.Json.GetProperty("active").GetBoolean(), Patience, "refreshed point state");
        Assert.Equal(2, office.On(Root + "/state/points/door-a").Count);
    }

    [Fact]
    public async Task An_event_journaled_while_a_state_refresh_awaits_its_PUBACK_is_sent_without_waiting_for_it()
    {
        var time = new FakeTimeProvider();
        await using var broker = await MosquittoBroker.StartAsync();
        // A long keep-alive: the frozen broker answers no PINGREQ, however slow this machine is.
        var options = PublisherHarness.Plain(broker.Port) with { KeepAlive = TimeSpan.FromSeconds(30) };
        await using var harness = new PublisherHarness(options, output, time: time);
        harness.State.Current = Points(("door-a", false));
        await harness.StartAndCatchUpAsync();
        var states = harness.Publisher.StatePublishes;

        // The clock has not moved since the initial state: door-a's refresh after event 1 is deferred.
        harness.State.Current = Points(("door-a", true));
        harness.Outbox.Append("point.activated", "door-a", "lobby", """{"kind":"doorContact"}""");
        await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == 1, Patience, "PUBACK of event 1");
        Assert.Equal(states, harness.Publisher.StatePublishes);

        // The refresh comes due and goes into a frozen broker: its PUBACK cannot come.
        await broker.PauseAsync();
        try
        {
            time.Advance(Interval);
            await Eventually.TrueAsync(() => harness.Publisher.StatePublishes == states + 1, Patience, "door-a's refresh sent");

            harness.State.Current = Points(("door-a", false));
            harness.Outbox.Append("point.restored", "door-a", "lobby", """{"kind":"doorContact"}""");

            // Sent now, not one round trip later behind the refresh.
            await Eventually.TrueAsync(() => harness.Publisher.SentThrough == 2, Patience, "event 2 sent while the refresh awaits its PUBACK");
            Assert.Equal(1, harness.Publisher.AcknowledgedThrough);
        }
        finally
        {
            await broker.ResumeAsync();
        }

        await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == 2, Patience, "PUBACK of event 2");
        Assert.Equal(1, harness.Publisher.Connects);
    }

    /// <summary>
    /// .NET timers drop the part of a delay below one millisecond: an idle wait of 0.4 ms came back
    /// already timed out (Task.WaitAsync arms no timer for it), found nothing due yet and waited
    /// again, over and over until the deadline passed; the bench caught the publisher spinning
    /// like that up to 20 times per event. On this fake clock time never passes: it would spin for ever.
    /// </summary>
    [Fact]
    public async Task A_refresh_due_in_under_a_millisecond_is_waited_for_with_one_whole_millisecond_timer()
    {
        var time = new TimerRecordingClock();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/points/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, time: time);
        harness.State.Current = Points(("door-a", false), ("door-b", false));
        await harness.StartAndCatchUpAsync();
        await Eventually.TrueAsync(() => office.Receipts.Count == 2, Patience, "initial point states");

        // door-a changes now: its refresh is deferred one interval after its initial state.
        harness.State.Current = Points(("door-a", true), ("door-b", false));
        harness.Outbox.Append("point.activated", "door-a", "lobby", """{"kind":"doorContact"}""");
        await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == 1, Patience, "PUBACK of event 1");

        // Another event wakes the publisher 0.4 ms before that refresh is due; once it is sent,
        // the publisher goes idle with less than a millisecond to wait.
        time.Advance(Interval - UnderOneTick);
        var timersBefore = time.DueTimes.Count;
        var statesBefore = harness.Publisher.StatePublishes;
        harness.Outbox.Append("point.restored", "door-b", "lobby", """{"kind":"doorContact"}""");
        await Eventually.TrueAsync(() => harness.Publisher.AcknowledgedThrough == 2, Patience, "PUBACK of event 2");
        // Only the idle wait can be this short (the PUBACK's timeout and the keep-alive are
        // seconds); without the rounding there is no timer at all, because the wait came back
        // already timed out.
        await Eventually.TrueAsync(
            () => time.DueTimes.Skip(timersBefore).Any(due => due > TimeSpan.Zero && due <= TimeSpan.FromMilliseconds(1)),
            Patience,
            "the publisher's idle wait for the refresh (none: it spins, each wait timed out at once)");

        // The clock has not moved since: the refreshes wait for that timer, then go out.
        Assert.Equal(statesBefore, harness.Publisher.StatePublishes);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await office.WaitForAsync(r => r.Topic == Root + "/state/points/door-a" && r.Json.GetProperty("active").GetBoolean(), Patience, "door-a's refresh");
    }
}
