using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A gateway whose journal went back (a card or journal restored from an older copy) while the
/// broker holds the availability of the process before the restore, with a higher session.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class SessionWentBackTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Availability = Root + "/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // The gateway's SD card was restored from an older image (or its journal from a backup): the
    // session counter it reads is 50, while the broker still holds the will of the process before
    // the restore, session 100. The contract says the session "never decreases" and tells the
    // office it "can ignore a stale will of an earlier session": an office doing so ignores every
    // will of this gateway (51, 52, ... < 100) until it has restarted 50 times: it goes dark
    // unnoticed. The publisher reads its own availability, so it has the evidence, but it
    // publishes session 50 and reports nothing.
    [Fact]
    public async Task A_gateway_whose_session_went_back_does_not_publish_a_lower_session_unnoticed()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "100"); // will of the process before the restore
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");

        await using var restored = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 50);
        restored.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false));
        await restored.StartAndCatchUpAsync();
        var birth = await office.WaitForAsync(r => r.Text == "online", Patience, "birth");
        await Task.Delay(TimeSpan.FromSeconds(2)); // the availability watch's retained copy, any fault

        output.WriteLine($"birth session {birth.UserProperties["session"]}; faults: {string.Join(", ", restored.Faults.Events.Select(e => e.Type))}");
        // Either the session is raised above what the broker showed, or the gateway says its
        // identity went back (a restored journal or a clone); it does neither.
        Assert.True(
            long.Parse(birth.UserProperties["session"]) > 100 || restored.Faults.Events.Count > 0,
            $"birth carries session {birth.UserProperties["session"]} below the retained session 100, and no fault was reported");
    }

    // The same restore, after a power cut: the process before it (session 100) left a half-open
    // connection, and the restored gateway (session 50) comes up with other client ids (the
    // image's older key, or random ids: ClientIds). The old connection's will, offline of session
    // 100, comes after the new birth. The late-will answer leaves a higher session alone ("a
    // newer process"), so offline stays retained while the gateway is up and delivering.
    [Fact]
    public async Task A_late_will_of_the_session_before_a_restore_does_not_leave_a_running_gateway_offline()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var proxy = BlackholeProxy.Start(broker.Port);
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");

        await using var before = new PublisherHarness(
            PublisherHarness.Plain(proxy.Port) with { ClientId = "edgeguard-gw-1-aaaaaaaaaaaaaaaa" }, output, session: 100);
        await before.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Text == "online" && r.UserProperties["session"] == "100", Patience, "birth of session 100");
        proxy.Blackhole(); // power cut

        await using var restored = new PublisherHarness(
            PublisherHarness.Plain(broker.Port) with { ClientId = "edgeguard-gw-1-bbbbbbbbbbbbbbbb" }, output, session: 50);
        await restored.StartAndCatchUpAsync();
        // Not a birth of session 50: the restored gateway reads the retained online of session 100
        // first and takes a session above it (fault.journal-went-back).
        await office.WaitForAsync(r => r.Text == "online" && long.Parse(r.UserProperties["session"]) > 100, Patience, "birth above session 100");
        await office.WaitForAsync(r => r.Text == "offline" && r.UserProperties["session"] == "100", Patience, "the late will of session 100");
        // The answer: online again after the will (a fixed 3 s wait for it failed on a loaded host).
        await Eventually.TrueAsync(() =>
        {
            var heard = office.On(Availability).ToList();
            var will = heard.FindIndex(r => r.Text == "offline" && r.UserProperties["session"] == "100");
            return heard.Skip(will + 1).Any(r => r.Text == "online" && long.Parse(r.UserProperties["session"]) > 100);
        }, Patience, "online again after the late will");

        await using var late = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office-late", persistent: false);
        var retained = await late.WaitForAsync(r => r.Retain, Patience, "retained availability");
        output.WriteLine(string.Join(", ", office.On(Availability).Select(r => $"{r.Text}/{r.UserProperties["session"]}")));
        Assert.True(restored.Publisher.IsConnected);
        Assert.Equal("online", retained.Text); // the restored gateway is up and delivering
    }

    // The restored gateway's first connection: a live will of an older process (session 30, lower
    // than this process's 50) arrives after the watch's SUBACK and before the went-back check has
    // read the retained session 100. Answered at once, as a late will is, it published online of
    // session 50: the very lower session the check exists to keep off the topic (and, with its
    // PUBACK first, the check found a birth already made and looked no further).
    [Fact]
    public async Task A_live_will_before_the_went_back_check_is_not_answered_with_the_lower_session()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "100");
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        var pings = 0;
        var gate = new GatedMqttClient.Hook
        {
            // The check's ping: the will goes out first, so it reaches the gateway before the PINGRESP.
            Ping = async (token, ping) =>
            {
                if (Interlocked.Increment(ref pings) == 1)
                {
                    await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "30", retain: false);
                }

                await ping();
            },
        };

        await using var restored = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 50, gate: gate);
        restored.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false));
        await restored.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Text == "online" && long.Parse(r.UserProperties["session"]) > 100, Patience, "birth above session 100");

        var heard = office.On(Availability).Select(r => $"{r.Text}/{r.UserProperties["session"]}").ToList();
        output.WriteLine(string.Join(", ", heard));
        Assert.Contains("offline/30", heard); // the live will reached the topic's subscribers
        Assert.DoesNotContain(office.On(Availability), r => r.Text == "online" && long.Parse(r.UserProperties["session"]) <= 100);
    }

    // What the office is told, and that the raised session is the journal's (sessionAbove) and
    // rides on the will as well as the birth.
    [Fact]
    public async Task A_restored_gateway_journals_that_its_journal_went_back_and_takes_a_saved_session_above_the_brokers()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "100");
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        var floors = new List<long>();
        var faults = new RecordingSink();
        await using var restored = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 50, faults: faults, sessionAbove: floor =>
        {
            floors.Add(floor);
            return floor + 5; // the journal's counter may be ahead of the floor
        });
        await restored.StartAndCatchUpAsync();

        var birth = await office.WaitForAsync(r => r.Text == "online", Patience, "birth");
        Assert.Equal("105", birth.UserProperties["session"]);
        Assert.Equal([100L], floors);
        Assert.Equal(105, restored.Publisher.SessionNumber);
        var fault = Assert.Single(faults.Events.OfType<JournalWentBack>());
        Assert.Equal((50L, 100L, 105L, (long?)null), (fault.Session, fault.BrokerSession, fault.RaisedSession, fault.BrokerLastSeq));

        restored.Publisher.AbortConnection(); // the will is of the raised session too
        await office.WaitForAsync(r => r.Text == "offline" && r.UserProperties["session"] == "105", Patience, "will of session 105");
    }

    // An orderly offline carries the last seq the office was told of: a journal below it went
    // back even where the session does not show it. Said, and the session left as it is.
    [Fact]
    public async Task An_orderly_offline_with_a_last_seq_above_the_journals_is_reported_before_the_birth()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "10", lastSeq: "9000");
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        var faults = new RecordingSink();
        var skipped = new List<long>();
        await using var restored = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 11, faults: faults, skipSeqsThrough: through =>
        {
            skipped.Add(through);
            return true;
        });
        restored.Outbox.Append("gateway.started");
        await restored.StartAndCatchUpAsync();

        var birth = await office.WaitForAsync(r => r.Text == "online", Patience, "birth");
        Assert.Equal("11", birth.UserProperties["session"]);
        var fault = Assert.Single(faults.Events.OfType<JournalWentBack>());
        Assert.Equal((11L, 10L, 11L, 9000L), (fault.Session, fault.BrokerSession, fault.RaisedSession, fault.BrokerLastSeq!.Value));
        Assert.Equal(1, fault.LastSeq);
        Assert.Equal([9000L], skipped); // the journal goes on above the seqs the office saw
    }

    // The ordinary restart: the broker holds the will of the session before, below this one.
    [Fact]
    public async Task A_lower_session_on_the_broker_is_an_ordinary_restart_and_raises_nothing()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "6", lastSeq: "0");
        var faults = new RecordingSink();
        await using var gateway = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 7, faults: faults);
        await gateway.StartAndCatchUpAsync();

        Assert.Equal(7, gateway.Publisher.SessionNumber);
        Assert.Empty(faults.Events.OfType<JournalWentBack>());
    }

    // Control (passed before these changes too): a broker back with an older retained state, then
    // without any, ends with the site's lockdown and online; the went-back check, which reads the
    // retained availability only before a process's first birth, must not change that.
    [Fact]
    public async Task Control_broker_back_with_old_or_no_retained_state_ends_with_the_sites_lockdown()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gw = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 9);
        gw.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false));
        await gw.StartAndCatchUpAsync();
        await broker.StopAsync(graceful: true); // saves: normal, door-a closed
        await broker.StartAgainAsync();
        await Eventually.TrueAsync(() => gw.Publisher.Connects >= 2 && gw.Publisher.IsCaughtUp, Patience, "reconnected");
        gw.State.Current = SiteStates.Of(SiteMode.Lockdown, ("door-a", true));
        gw.Outbox.Append("lockdown.started");
        gw.Outbox.Append("point.activated", point: "door-a");
        await gw.Outbox.WaitForDeliveredAsync(2, Patience);
        await Task.Delay(500);
        await broker.StopAsync(graceful: false); // crash: the save holds the older normal state
        await broker.StartAgainAsync();
        await Eventually.TrueAsync(() => gw.Publisher.Connects >= 3 && gw.Publisher.IsCaughtUp, Patience, "reconnected after crash");
        await AssertRetainedLockdownAsync(broker.Port, "old");

        await broker.StopAsync(graceful: false);
        File.Delete(Path.Combine(broker.Directory, "mosquitto.db"));
        await broker.StartAgainAsync();
        await Eventually.TrueAsync(() => gw.Publisher.Connects >= 4 && gw.Publisher.IsCaughtUp, Patience, "reconnected after loss");
        await AssertRetainedLockdownAsync(broker.Port, "none");
    }

    private async Task AssertRetainedLockdownAsync(int port, string tag)
    {
        await using var late = await TestSubscriber.ConnectAsync(port, Root + "/#", "late-" + tag, persistent: false);
        var lockdown = await late.WaitForAsync(r => r.Retain && r.Topic == Root + "/state/lockdown", Patience, "retained lockdown");
        var door = await late.WaitForAsync(r => r.Retain && r.Topic == Root + "/state/points/door-a", Patience, "retained door");
        var availability = await late.WaitForAsync(r => r.Retain && r.Topic == Availability, Patience, "retained availability");
        output.WriteLine($"{tag}: {lockdown.Text} | {door.Text} | {availability.Text}");
        Assert.Contains("\"mode\":\"lockdown\"", lockdown.Text);
        Assert.Contains("\"active\":true", door.Text);
        Assert.Equal("online", availability.Text);
    }
}
