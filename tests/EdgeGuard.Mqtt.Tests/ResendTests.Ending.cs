using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;

namespace EdgeGuard.Mqtt.Tests;

// How a resend ends: past an event too large for the broker (its stub), cut by a lost link before
// it was taken, refused over a window of one, cut by retention; each told by resend.ended.
public sealed partial class ResendTests
{
    [Fact]
    public async Task A_resend_over_an_event_too_large_for_the_broker_sends_its_stub_and_goes_on()
    {
        // The live stream sent seq 2 as a withheld stub (149); a resend of 1..4 used to be refused
        // at seq 2 again and end there, so no resend covering it could ever finish. Then it sent
        // seq 2 whole and its stub after 4: the resend remembers the live stream's stub now.
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { MessageSizeLimit = 2_000 });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office", persistent: false);
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromMilliseconds(100) };
        await using var harness = new PublisherHarness(options, output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        var big = harness.Outbox.Append("point.activated", "panic-1", "lobby", data: $$"""{"note":"{{new string('x', 3_000)}}"}""");
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        harness.Outbox.Append("point.restored", "panic-1", "lobby");
        await harness.StartAndCatchUpAsync();
        await harness.Outbox.WaitForDeliveredAsync(4, Patience);
        Assert.Equal(1, harness.Publisher.WithheldEvents);

        Assert.Null(harness.Publisher.StartResend(ResendId, 1, 4));
        // The slot is freed before the end is counted: wait for the count.
        await Eventually.TrueAsync(() => harness.Publisher.ResendsDone + harness.Publisher.ResendsCut > 0, Patience, "the resend ended");
        Assert.False(harness.Publisher.IsResending);
        Assert.Equal(1, harness.Publisher.ResendsDone);
        Assert.Equal(0, harness.Publisher.ResendsCut);
        await Eventually.TrueAsync(() => office.On(Events).Count(r => Resend(r) == ResendId) == 4, Patience, "four resent events");
        var resent = office.On(Events).Where(r => Resend(r) == ResendId).ToList();
        Assert.Equal([1L, 2L, 3L, 4L], resent.Select(Seq)); // in seq order: the stub of 2 before 3
        var stub = Assert.Single(resent, r => Seq(r) == 2).Json;
        Assert.Equal(big.Id.ToString("D"), stub.GetProperty("id").GetString());
        Assert.Contains("(149)", stub.GetProperty("withheld").GetString(), StringComparison.Ordinal);
        Assert.True(stub.GetProperty("replayed").GetBoolean());
        Assert.Equal("{}", stub.GetProperty("data").GetRawText());
        Assert.All(resent.Where(r => Seq(r) != 2), r => Assert.False(r.Json.TryGetProperty("withheld", out _)));
    }

    [Fact]
    public async Task A_resend_accepted_but_not_yet_taken_when_the_link_is_lost_ends_and_never_runs_on_the_next_connection()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office", persistent: false);
        // An idle session takes a resend at its next state check: 30 s away, so the link is lost first.
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromSeconds(30) };
        await using var harness = new PublisherHarness(options, output);
        harness.Outbox.AppendMany(20);
        await harness.StartAndCatchUpAsync();
        await harness.Outbox.WaitForDeliveredAsync(20, Patience);
        // The catch-up's retained state and PUBACKs drive passes of the pump for a while
        // after the last PUBACK, and a pass would take the resend: wait until the pump is quiet.
        await WaitUntilQuietAsync(harness.Publisher);

        Assert.Null(harness.Publisher.StartResend(ResendId, 1, 20));
        harness.Publisher.AbortConnection();
        await Eventually.TrueAsync(() => harness.Publisher.Connects == 2 && harness.Publisher.IsCaughtUp, Patience, "caught up again");
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        await office.WaitForAsync(r => Seq(r) == 21, Patience, "live seq 21");
        await Task.Delay(TimeSpan.FromMilliseconds(500));

        Assert.False(harness.Publisher.IsResending);
        Assert.Equal((0L, 1L), (harness.Publisher.ResendsDone, harness.Publisher.ResendsCut));
        Assert.Equal(0, office.On(Events).Count(r => Resend(r) == ResendId)); // not resumed, not started later
        var ended = Assert.Single(harness.Faults.Events.OfType<ResendEnded>());
        Assert.Equal((0L, 0L), (ended.SettledThrough, ended.Resent));
        Assert.StartsWith("the connection ended before it was started", ended.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_resend_the_ending_session_ended_as_it_was_accepted_is_answered_done_and_resend_ended_tells_the_office()
    {
        // The link is lost right after the slot was taken, and the session's end ends the resend
        // (resend.ended) before the publisher looks at the link again: it used to answer refused
        // "unavailable" too, so the office got a refusal and a resend.ended for one command.
        await using var broker = await MosquittoBroker.StartAsync();
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromSeconds(30) };
        await using var harness = new PublisherHarness(options, output);
        harness.Outbox.AppendMany(20);
        await harness.StartAndCatchUpAsync();
        await harness.Outbox.WaitForDeliveredAsync(20, Patience);
        harness.Publisher.ResendSlotTaken = () =>
        {
            harness.Publisher.AbortConnection();
            Assert.True(SpinWait.SpinUntil(() => harness.Faults.Events.OfType<ResendEnded>().Any(), Patience), "the session ended the resend");
        };

        Assert.Null(harness.Publisher.StartResend(ResendId, 1, 20));
        Assert.False(harness.Publisher.IsResending);
        var ended = Assert.Single(harness.Faults.Events.OfType<ResendEnded>());
        // "started" or "finished": the pump may take it on a pass of its own as the link goes.
        Assert.StartsWith("the connection ended before it was ", ended.Problem, StringComparison.Ordinal);
        Assert.Equal((0L, 1L), (harness.Publisher.ResendsDone, harness.Publisher.ResendsCut));
    }

    [Fact]
    public async Task A_resend_is_rejected_when_the_in_flight_window_holds_a_single_message()
    {
        // Half of a window of 1 is still 1: every live event would wait a round trip behind a
        // resent one. A broker's Receive Maximum of 3 or less gives the same window as MaxInFlight 1.
        await using var broker = await MosquittoBroker.StartAsync();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { MaxInFlight = 1 }, output);
        harness.Outbox.AppendMany(10);
        await harness.StartAndCatchUpAsync();
        await harness.Outbox.WaitForDeliveredAsync(10, Patience);

        Assert.Equal(
            "unavailable: the link to the broker carries 1 message in flight at a time (MaxInFlight, or the broker's Receive Maximum less the 2 kept for a birth and a delete); a resend needs 2, so that live events never wait behind it",
            harness.Publisher.StartResend(ResendId, 1, 10));
        Assert.False(harness.Publisher.IsResending);
    }

    [Fact]
    public async Task Seqs_retention_deletes_during_a_resend_end_it_naming_them_and_are_not_skipped_as_gaps()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office", persistent: false);
        // An idle session takes the resend at its next check, 1 s away: retention runs first.
        var options = PublisherHarness.Plain(broker.Port) with { StateCheckInterval = TimeSpan.FromSeconds(1) };
        await using var harness = new PublisherHarness(options, output);
        harness.Outbox.AppendMany(20);
        await harness.StartAndCatchUpAsync();
        await harness.Outbox.WaitForDeliveredAsync(20, Patience);
        await WaitUntilQuietAsync(harness.Publisher);

        Assert.Null(harness.Publisher.StartResend(ResendId, 1, 20));
        harness.Outbox.AgeOut(10);
        // The slot is freed (IsResending false) before the counts and resend.ended are recorded:
        // wait for resend.ended, the last thing the end does.
        await Eventually.TrueAsync(() => harness.Faults.Events.OfType<ResendEnded>().Any(), Patience, "the resend ended");

        Assert.False(harness.Publisher.IsResending);
        Assert.Equal((0L, 1L), (harness.Publisher.ResendsDone, harness.Publisher.ResendsCut));
        var ended = Assert.Single(harness.Faults.Events.OfType<ResendEnded>());
        Assert.Equal("aged out of the journal during the resend: seq 1 is no longer kept; the oldest seq kept is 11", ended.Problem);
        Assert.Equal(0, ended.SettledThrough);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.Equal(0, office.On(Events).Count(r => Resend(r) == ResendId)); // 11..20 not sent as if 1..10 were gaps
    }

    // Quiet: no retained state message or PUBACK for 300 ms (nothing left to drive a pass).
    private static async Task WaitUntilQuietAsync(OutboxPublisher publisher)
    {
        var last = (publisher.StatePublishes, publisher.AcknowledgedThrough);
        var since = DateTime.UtcNow;
        await Eventually.TrueAsync(() =>
        {
            var now = (publisher.StatePublishes, publisher.AcknowledgedThrough);
            if (now != last)
            {
                (last, since) = (now, DateTime.UtcNow);
            }

            return DateTime.UtcNow - since >= TimeSpan.FromMilliseconds(300);
        }, Patience, "the pump quiet after catching up");
    }
}
