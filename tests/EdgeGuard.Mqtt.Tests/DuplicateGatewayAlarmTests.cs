using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The gateway's own alarm on a clone (<c>fault.duplicate-gateway</c>) on Mosquitto 2.0, which
/// closes a taken-over connection without reason 142. Two processes with one client id kick each
/// other off, and the broker publishes the will of the one kicked off: at each reconnect the
/// availability watch's subscription delivers the other's will, retained. Evidence no broker
/// restart can fake: another instance, with a session above this process's own (an earlier
/// process of this gateway always had a lower one), or an equal one at two reconnects.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed partial class DuplicateGatewayAlarmTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Availability = Root + "/availability";
    private const string Own = "bbbbbbbbbbbbbbbb";
    private const string Other = "aaaaaaaaaaaaaaaa";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    // A cloned card: same key, same client ids, and (as often) the same session.
    [Fact]
    public async Task Two_gateways_with_one_id_raise_the_duplicate_alarm_within_a_few_reconnects()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var a = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Instance = Other }, output, session: 6);
        await a.StartAndCatchUpAsync();
        await using var b = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Instance = Own }, output, session: 6);
        await b.StartAsync();

        await Eventually.TrueAsync(
            () => Alarms(a).Count + Alarms(b).Count > 0 || a.Publisher.Connects + b.Publisher.Connects > 8,
            Patience, "an alarm, or eight connects between the two");

        output.WriteLine($"connects a {a.Publisher.Connects}, b {b.Publisher.Connects}; alarms a {Alarms(a).Count}, b {Alarms(b).Count}");
        var raised = Alarms(a).Concat(Alarms(b)).ToList();
        Assert.NotEmpty(raised);
        Assert.All(raised, alarm =>
        {
            Assert.NotEqual(alarm.OwnInstance, alarm.Instance);
            Assert.Contains(alarm.Instance, new[] { Own, Other });
            // 6, or 7 when the second box's went-back check saw the first's birth of the equal
            // session and took one above it; the box with the lower or equal session raises it.
            Assert.InRange(alarm.Session, 6, 7);
            Assert.True(alarm.Session >= alarm.OwnSession, $"raised by the box with the higher session: {alarm}");
            Assert.Equal(Severity.Critical, alarm.Severity);
        });
    }

    // What the availability watch finds retained at a reconnect after the birth. A foreign offline
    // of a lower session is a late will of an earlier process (OutboxPublisher.LateWill.cs); a
    // foreign online of a lower session is what a crashed broker's older persistence file can
    // bring back; so can one of an equal session, after a journal restored one start behind;
    // none is evidence. Of a session above this process's own, either is. (An equal session
    // seen at two reconnects is the clone test's.)
    [Theory]
    [InlineData("offline", 5, false)]
    [InlineData("online", 5, false)]
    [InlineData("online", 6, false)]
    [InlineData("offline", 7, true)]
    [InlineData("online", 9, true)]
    public async Task A_retained_availability_of_another_instance_at_a_reconnect_is_judged_by_its_session(string payload, long session, bool alarm)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var proxy = BlackholeProxy.Start(broker.Port);
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        await using var gw = new PublisherHarness(PublisherHarness.Plain(proxy.Port) with { Instance = Own }, output, session: 6);
        await BornThenCutAsync(gw, proxy, office);

        // Then the other availability is left retained, before the gateway gets back.
        await StaleAvailability.PublishAsync(broker.Port, Availability, payload, session.ToString(System.Globalization.CultureInfo.InvariantCulture), instance: Other);
        proxy.Restore();
        await Eventually.TrueAsync(() => gw.Publisher.Connects >= 2 && gw.Publisher.IsCaughtUp, Patience, "reconnected");
        if (alarm)
        {
            await Eventually.TrueAsync(() => Alarms(gw).Count > 0, Patience, "the duplicate alarm");
        }
        else
        {
            await Task.Delay(TimeSpan.FromSeconds(1)); // time for a wrong alarm
        }

        output.WriteLine($"faults: {string.Join(", ", gw.Faults.Events.Select(e => e.Type))}");
        if (alarm)
        {
            var raised = Assert.Single(Alarms(gw));
            Assert.Equal((Other, session, payload == "online", Own, 6L), (raised.Instance, raised.Session, raised.Online, raised.OwnInstance, raised.OwnSession));
        }
        else
        {
            Assert.Empty(Alarms(gw));
        }
    }

    // A live online of another instance after the birth comes from a process running now; so
    // does a live offline of a session above this one's. Each other instance is raised once,
    // and at most DuplicateInstances.Capacity of them, so a stream of instances cannot grow the
    // gateway's memory or flood its journal.
    [Fact]
    public async Task Each_other_instance_is_raised_once_and_only_so_many_are_remembered()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gw = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Instance = Own }, output, session: 6);
        await gw.StartAndCatchUpAsync();
        await Task.Delay(TimeSpan.FromSeconds(1)); // the first connection's retained copy has come

        var others = Enumerable.Range(1, DuplicateInstances.Capacity + 4).Select(i => $"{i:x16}").ToList();
        foreach (var other in others)
        {
            await StaleAvailability.PublishAsync(broker.Port, Availability, "online", "3", instance: other);
            await StaleAvailability.PublishAsync(broker.Port, Availability, "online", "3", instance: other); // again
        }

        // A late will (lower session) and the gateway's own instance are no evidence.
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", "5", instance: "cccccccccccccccc");
        await StaleAvailability.PublishAsync(broker.Port, Availability, "online", "7", instance: Own);
        await Eventually.TrueAsync(() => Alarms(gw).Count >= DuplicateInstances.Capacity, Patience, "alarms");
        await Task.Delay(TimeSpan.FromSeconds(1)); // time for any more

        Assert.Equal(others.Take(DuplicateInstances.Capacity), Alarms(gw).Select(alarm => alarm.Instance));
    }

    /// <summary>
    /// Starts <paramref name="gw"/> through its birth, then its link dies half-open (the proxy
    /// drops everything): the broker times it out and publishes the gateway's own will.
    /// </summary>
    private static async Task BornThenCutAsync(PublisherHarness gw, BlackholeProxy proxy, TestSubscriber office)
    {
        await gw.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Text == "online" && r.UserProperties.GetValueOrDefault("instance") == Own, Patience, "birth");
        proxy.Blackhole();
        await office.WaitForAsync(r => r.Text == "offline" && r.UserProperties.GetValueOrDefault("instance") == Own, Patience, "own will");
    }

    private static List<DuplicateGateway> Alarms(PublisherHarness harness) => [.. harness.Faults.Events.OfType<DuplicateGateway>()];
}
