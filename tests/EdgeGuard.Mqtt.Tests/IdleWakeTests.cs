using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The idle publisher waits for the next event or for the first coalesced refresh (cursor, point
/// state) to come due. .NET timers drop the part of a delay below one millisecond: a wait of
/// 0.4 ms times out at once (Task.WaitAsync returns it already timed out, no timer), finds nothing
/// due yet and waits again, over and over until the deadline passes. The bench caught the
/// publisher spinning like that up to 20 times per event; on this fake clock, time never passes
/// and it would spin for ever.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class IdleWakeTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan UnderOneTick = TimeSpan.FromMilliseconds(0.4);

    private static SiteState Points(params (string Point, bool Active)[] points) => new(
        SiteMode.Normal, null, null, points.ToImmutableSortedDictionary(p => p.Point, p => p.Active, StringComparer.Ordinal));

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
