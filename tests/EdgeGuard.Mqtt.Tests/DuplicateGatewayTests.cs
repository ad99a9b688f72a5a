using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// Two boxes with one gateway id (a cloned SD card: same key, so the same client ids) on Mosquitto
/// 2.0, which closes a taken-over connection without DISCONNECT 142. The gateway cannot tell that
/// close from a broker restart's, so it raises no takeover for either: counting such closes (three
/// in a row a takeover) raised <c>fault.session-taken-over</c> on both connections when a broker
/// was restarted three times within a minute, with no second box anywhere. The office sees a
/// clone by the <c>instance</c> on availability and command results, and the gateway by the
/// other box's availability (<c>fault.duplicate-gateway</c>, DuplicateGatewayAlarmTests), which
/// a broker restart does not bring: it keeps the gateway's own.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class DuplicateGatewayTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Availability = Root + "/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(40);

    // Production timers (keep-alive 10 s, delays up to 30 s); the shortest delay 2 s so the
    // restarted broker is back before the reconnect, as systemd's restart usually has it.
    private static MqttPublisherOptions ProductionLike(int port) => PublisherHarness.Plain(port) with
    {
        KeepAlive = TimeSpan.FromSeconds(10),
        ReconnectDelayMin = TimeSpan.FromSeconds(2),
        ReconnectDelayMax = TimeSpan.FromSeconds(30),
    };

    // What the office sees of a clone without any fault: each process has an instance id of its
    // own on its availability (the will too) and its command results, so two boxes on one
    // gateway id, even with one session, show as two instances.
    [Fact]
    public async Task Two_gateways_with_one_id_show_the_office_two_instances_on_availability()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        await using var a = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Instance = "aaaaaaaaaaaaaaaa" }, output, session: 6);
        await a.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Text == "online" && r.UserProperties.GetValueOrDefault("instance") == "aaaaaaaaaaaaaaaa", Patience, "birth of a");
        await using var b = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Instance = "bbbbbbbbbbbbbbbb" }, output, session: 6);
        await b.StartAsync();

        await office.WaitForAsync(r => r.Text == "online" && r.UserProperties.GetValueOrDefault("instance") == "bbbbbbbbbbbbbbbb", Patience, "birth of b");
        await office.WaitForAsync(r => r.Text == "offline" && r.UserProperties.GetValueOrDefault("instance") is "aaaaaaaaaaaaaaaa" or "bbbbbbbbbbbbbbbb", Patience, "a will naming its instance");
        Assert.Equal(16, ProcessInstance.Id.Length);
        Assert.True(ProcessInstance.IsValid(ProcessInstance.Id));
    }

    // One gateway, one broker, restarted three times within a minute: a crash loop (SIGKILL) or an
    // administrator fixing its config (SIGTERM). Each closes the connection without a word.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Broker_restarts_are_not_reported_as_a_session_takeover(bool graceful)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gw = new PublisherHarness(ProductionLike(broker.Port), output, session: 7);
        gw.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false));
        await gw.StartAndCatchUpAsync();

        for (var i = 1; i <= 3; i++)
        {
            await broker.StopAsync(graceful);
            await broker.StartAgainAsync();
            var want = i + 1;
            await Eventually.TrueAsync(() => gw.Publisher.Connects >= want && gw.Publisher.IsCaughtUp, Patience, $"reconnected after restart {i}");
        }

        output.WriteLine($"connects {gw.Publisher.Connects}; faults: {string.Join(", ", gw.Faults.Events.Select(e => e.Type))}");
        Assert.Empty(gw.Faults.Events.OfType<SessionTakenOver>());
        Assert.Empty(gw.Faults.Events.OfType<DuplicateGateway>()); // the retained online is our own
    }

    // The same three restarts, seen by the command connection.
    [Fact]
    public async Task Broker_restarts_are_not_reported_as_a_takeover_of_the_command_connection()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var site = new CommandHarness(output, broker.Port, quiet: true, broker: ProductionLike(broker.Port));
        await site.StartAsync();
        for (var i = 1; i <= 3; i++)
        {
            await broker.StopAsync(graceful: true);
            await broker.StartAgainAsync();
            using var subscribed = new CancellationTokenSource(Patience);
            await site.Subscriber!.WaitUntilSubscribedAsync(subscribed.Token);
        }

        var types = site.Journal.Events.Select(e => e.Type).ToList();
        output.WriteLine($"journal: {string.Join(", ", types)}");
        Assert.DoesNotContain("fault.session-taken-over", types);
    }
}
