using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;

namespace EdgeGuard.Mqtt.Tests;

// fault.duplicate-gateway is critical: one box alone must never raise it, whatever the broker and
// the journal did, and a clone of an older build must not escape it (review probes).
public sealed partial class DuplicateGatewayAlarmTests
{
    // A journal restored from backup (session 50; the process before the restore had 100), and
    // the broker crashes right after its CONNACK to the gateway, before the availability watch's
    // SUBSCRIBE reaches it, and comes back from its file. The went-back check saw nothing then,
    // and no birth landed: the next connection must judge the topic, not take the earlier
    // process's offline of 100 for a clone.
    [Fact]
    public async Task A_first_connection_lost_before_its_birth_leaves_the_went_back_check_to_the_next()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", "100", instance: Other);
        await broker.StopAsync(graceful: true); // in the broker's file
        await broker.StartAgainAsync();
        await using var proxy = new CutAfterConnackProxy(broker.Port, cuts: 1, async () =>
        {
            await broker.StopAsync(graceful: false);
            await broker.StartAgainAsync();
        });
        await using var gw = new PublisherHarness(PublisherHarness.Plain(proxy.Port) with { Instance = Own }, output, session: 50);
        await gw.StartAndCatchUpAsync(TimeSpan.FromSeconds(40));
        await Task.Delay(TimeSpan.FromSeconds(2));

        output.WriteLine($"connects {gw.Publisher.Connects}; faults: {string.Join(", ", gw.Faults.Events.Select(e => e.Type))}");
        Assert.True(gw.Publisher.Connects >= 2, "the first connection was cut");
        Assert.Empty(gw.Faults.Events.OfType<DuplicateGateway>());
        var wentBack = Assert.Single(gw.Faults.Events.OfType<JournalWentBack>());
        Assert.Equal(100, wentBack.BrokerSession);
        Assert.True(wentBack.RaisedSession > 100);
    }

    // A journal restored one start behind takes the session of the process before it (6). The
    // broker's file (persistence, autosave every 1800 s by default) holds that process's online;
    // the broker then crashes twice within the autosave interval and loads the same file both
    // times. Before its birth the gateway took a session above the equal one of another process,
    // so the copy that comes back twice is an earlier session's, not a clone's.
    [Fact]
    public async Task An_older_broker_file_loaded_twice_after_a_restore_one_start_behind_raises_no_alarm()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await StaleAvailability.PublishAsync(broker.Port, Availability, "online", "6", instance: Other);
        await broker.StopAsync(graceful: true); // an autosave: the file holds Other's online
        await broker.StartAgainAsync();
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", "6", instance: Other); // its orderly stop

        await using var gw = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Instance = Own }, output, session: 6);
        await gw.StartAndCatchUpAsync();
        await Task.Delay(TimeSpan.FromSeconds(1));
        var connectsAtStart = gw.Publisher.Connects;
        for (var i = 1; i <= 2; i++)
        {
            await broker.StopAsync(graceful: false); // a crash: nothing saved since the file
            await broker.StartAgainAsync();
            var want = connectsAtStart + i;
            await Eventually.TrueAsync(() => gw.Publisher.Connects >= want && gw.Publisher.IsCaughtUp, Patience, $"reconnected after crash {i}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        output.WriteLine($"connects {gw.Publisher.Connects}; faults: {string.Join(", ", gw.Faults.Events.Select(e => e.Type))}");
        Assert.Empty(gw.Faults.Events.OfType<DuplicateGateway>());
        var wentBack = Assert.Single(gw.Faults.Events.OfType<JournalWentBack>());
        Assert.Equal(6, wentBack.BrokerSession);
        Assert.True(wentBack.RaisedSession > 6);
    }

    // A clone made from an image older than the instance property: its availability carries a
    // session but no instance. Its will, session 9 above this process's 6, comes retained at a
    // reconnect, and no earlier process of this gateway can have left a higher session.
    [Fact]
    public async Task A_clone_of_a_build_without_instances_is_raised()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var proxy = BlackholeProxy.Start(broker.Port);
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        await using var gw = new PublisherHarness(PublisherHarness.Plain(proxy.Port) with { Instance = Own }, output, session: 6);
        await BornThenCutAsync(gw, proxy, office);
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", "9", instance: null); // the old clone's will
        proxy.Restore();
        await Eventually.TrueAsync(() => gw.Faults.Events.OfType<DuplicateGateway>().Any(), Patience, "the alarm at the reconnect");

        var alarm = Assert.Single(gw.Faults.Events.OfType<DuplicateGateway>());
        Assert.Null(alarm.Instance);
        Assert.Equal(9, alarm.Session);
        Assert.False(alarm.Online);
        Assert.Equal(Own, alarm.OwnInstance);

        // Its live online is the same other process: no second alarm.
        await StaleAvailability.PublishAsync(broker.Port, Availability, "online", "9", instance: null);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Single(gw.Faults.Events.OfType<DuplicateGateway>());
    }
}
