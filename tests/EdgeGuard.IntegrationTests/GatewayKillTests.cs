using System.Globalization;
using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The real executable killed with SIGKILL in the middle of a burst, against a real Mosquitto:
/// what was journaled reaches the office, the broker announces the death, the restart is a new session.
/// </summary>
public sealed class GatewayKillTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/embassy-demo/gw-chancery";
    private const string Availability = Root + "/availability";
    private const string Events = Root + "/events";
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A door contact with no debounce: every simulated pulse is two journaled events. Chatter
    /// detection is off, or it would rightly suppress the door after its 8th change.
    /// </summary>
    internal static void FastDoor(JsonNode config)
    {
        config["EdgeGuard"]!["supervision"] = new JsonObject { ["chatterTransitions"] = 0 };
        foreach (var point in config["EdgeGuard"]!["points"]!.AsArray())
        {
            if ((string?)point!["id"] == "door-lobby")
            {
                point["debounceMs"] = 0;
            }
        }
    }

    [Fact]
    public async Task Killed_mid_burst_nothing_journaled_is_lost_the_will_is_published_and_the_restart_is_a_new_session()
    {
        using var state = new TempDirectory();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");

        long sessionBefore;
        IReadOnlyList<(long Seq, string Id, string Type)> journaled;
        long deliveredAtKill;
        IReadOnlyList<(long Seq, string Id, string Type)> journaledAfterRestart;
        await using (var gateway = await GatewayProcess.StartAsync(state.Path, broker.Port, FastDoor))
        {
            var birth = await office.WaitForAsync(r => r.Topic == Availability && r.Text == "online", Patience, "birth");
            sessionBefore = Session(birth);

            // The burst runs in the gateway while we watch the office: kill once delivery is under way.
            var burst = gateway.SimAsync("pulse door-lobby 20000");
            await Eventually.TrueAsync(() => office.DistinctSeqCount >= 500, Patience, "the first 500 events at the office");
            gateway.KillHard();
            await Task.WhenAny(burst, Task.Delay(TimeSpan.FromSeconds(5)));
            output.WriteLine(gateway.Output);

            // A killed process's socket is closed by the kernel: Mosquitto sends the will at once,
            // and at the latest after 1.5 x keep-alive (plus its ~6 s check interval).
            var will = await office.WaitForAsync(r => r.Topic == Availability && r.Text == "offline", KeepAlive * 1.5 + TimeSpan.FromSeconds(7), "the Last Will");
            Assert.Equal(sessionBefore, Session(will));

            journaled = gateway.JournaledEvents();
            deliveredAtKill = gateway.DeliveredThrough();
        }

        var lastJournaled = journaled[^1].Seq;
        output.WriteLine($"journaled {journaled.Count} events (last seq {lastJournaled}), broker acknowledged through {deliveredAtKill}, office had {office.DistinctSeqCount}");
        Assert.True(lastJournaled > deliveredAtKill, "the kill should have come mid-delivery; raise the burst size if this fails");
        var receivedBeforeRestart = office.Receipts.Count;

        await using (var restarted = await GatewayProcess.StartAsync(state.Path, broker.Port, FastDoor))
        {
            var rebirth = await office.WaitForAsync(r => r.Topic == Availability && r.Text == "online" && Session(r) != sessionBefore, Patience, "online after the restart");
            Assert.True(Session(rebirth) > sessionBefore, $"session {Session(rebirth)} must be newer than {sessionBefore}");
            await Eventually.TrueAsync(() => ReceivedSeqs(office).Contains(lastJournaled), Patience, $"seq {lastJournaled} (the last journaled before the kill) at the office");
            await office.WaitForAsync(r => r.Topic == Events && r.Json.GetProperty("type").GetString() == "journal.gap", Patience, "journal.gap after the restart");
            journaledAfterRestart = restarted.JournaledEvents();
        }

        var events = office.Receipts.Where(r => r.Topic == Events).Select(r => (Receipt: r, Json: r.Json)).ToList();
        var byId = events.GroupBy(e => e.Json.GetProperty("seq").GetInt64()).ToDictionary(g => g.Key, g => g.Select(e => e.Json.GetProperty("id").GetString()).Distinct().ToList());
        foreach (var (seq, id, _) in journaled)
        {
            Assert.True(byId.TryGetValue(seq, out var ids), $"journaled seq {seq} never reached the office");
            Assert.Equal([id], ids);
        }

        // The journal hands events to the publisher while their commit runs, so the office may hold
        // a few the kill kept from the disk. The restart never reuses their seqs: it skips every
        // seq the dead run had reserved and says so in journal.gap, right after the last row kept.
        var gap = Assert.Single(events, e => e.Json.GetProperty("type").GetString() == "journal.gap").Json;
        var (from, through) = (gap.GetProperty("data").GetProperty("fromSeq").GetInt64(), gap.GetProperty("data").GetProperty("throughSeq").GetInt64());
        Assert.Equal("unclean-shutdown", gap.GetProperty("data").GetProperty("cause").GetString());
        Assert.Equal((lastJournaled + 1, through + 1), (from, gap.GetProperty("seq").GetInt64()));
        // Every seq the office holds outside the gap is in the journal, under the same id.
        var kept = journaledAfterRestart.ToDictionary(j => j.Seq, j => j.Id);
        Assert.All(byId.Where(pair => pair.Key < from || pair.Key > through), pair => Assert.Equal([kept[pair.Key]], pair.Value));
        Assert.All(byId.Where(pair => pair.Key >= from && pair.Key <= through), pair => Assert.Single(pair.Value));
        output.WriteLine($"journal.gap skipped {from}..{through}; the office holds {byId.Keys.Count(seq => seq >= from && seq <= through)} of them");

        // Order: each seq is first seen after every smaller one (redeliveries repeat, never reorder).
        var firstSeen = events.Select(e => e.Json.GetProperty("seq").GetInt64()).Distinct().ToList();
        Assert.Equal(firstSeen.Order(), firstSeen);
        // What the broker had not acknowledged went out again after the restart, flagged as a replay.
        var afterRestart = office.Receipts.Skip(receivedBeforeRestart).Where(r => r.Topic == Events).Select(r => r.Json).ToList();
        var resent = afterRestart.Where(j => j.GetProperty("seq").GetInt64() is var s && s > deliveredAtKill && s <= lastJournaled).ToList();
        Assert.NotEmpty(resent);
        Assert.All(resent, j => Assert.True(j.GetProperty("replayed").GetBoolean(), $"seq {j.GetProperty("seq")} resent without replayed: true"));
    }

    private static long Session(Receipt receipt) => long.Parse(receipt.UserProperties["session"], CultureInfo.InvariantCulture);

    private static HashSet<long> ReceivedSeqs(TestSubscriber office) =>
        [.. office.Receipts.Where(r => r.Topic == Events).Select(r => long.Parse(r.UserProperties["seq"], CultureInfo.InvariantCulture))];
}
