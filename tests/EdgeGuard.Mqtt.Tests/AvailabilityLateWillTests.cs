using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A late will of an earlier process must not leave <c>offline</c> retained while the gateway is
/// up, and the office's rebirth restores <c>online</c> too; against real Mosquitto.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class AvailabilityLateWillTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Availability = Root + "/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // Power cut: the old connection stays half-open at the broker. The gateway boots again with
    // other client ids (key rotated, or the key file unreadable at start: random ids,
    // ClientIds.Resolve), so no takeover ends the old connection: its will comes after the birth.
    [Fact]
    public async Task A_late_will_of_an_earlier_session_is_answered_with_online_again()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var proxy = BlackholeProxy.Start(broker.Port);
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");

        await using var before = new PublisherHarness(
            PublisherHarness.Plain(proxy.Port) with { ClientId = "edgeguard-gw-1-aaaaaaaaaaaaaaaa" }, output, session: 5);
        await before.StartAndCatchUpAsync();
        await office.WaitForAsync(r => Is(r, "online", "5"), Patience, "birth of session 5");

        proxy.Blackhole(); // power cut: no FIN reaches the broker

        await using var after = new PublisherHarness(
            PublisherHarness.Plain(broker.Port) with { ClientId = "edgeguard-gw-1-bbbbbbbbbbbbbbbb" }, output, session: 6);
        await after.StartAndCatchUpAsync();
        await office.WaitForAsync(r => Is(r, "online", "6"), Patience, "birth of session 6");

        // The broker's keep-alive check for the dead connection of session 5 (1.5 x 2 s + ~7 s),
        // then the gateway's answer to it.
        await office.WaitForAsync(r => Is(r, "offline", "5"), Patience, "the will of session 5");
        await Eventually.TrueAsync(() => OnlineAfter(office, "offline", "5", "6") >= 1, Patience, "online of session 6 after the will");

        await using var late = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office-late", persistent: false);
        var retained = await late.WaitForAsync(r => r.Retain, Patience, "retained availability");
        output.WriteLine(string.Join(", ", office.On(Availability).Select(r => $"{r.Text}/{r.UserProperties["session"]}")));
        Assert.True(after.Publisher.IsConnected);
        Assert.Equal("online", retained.Text); // the gateway of session 6 is up and delivering
        Assert.Equal("6", retained.UserProperties["session"]);
    }

    // A later session's offline means a newer gateway process existed: this one must not fight
    // it. Messages reach the gateway in order, so an answer to session 7 would come before the
    // answer to session 5.
    [Fact]
    public async Task An_offline_of_a_later_session_is_left_alone()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 6);
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => Is(r, "online", "6"), Patience, "birth");

        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "7");
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "5");
        await Eventually.TrueAsync(() => OnlineAfter(office, "offline", "5", "6") >= 1, Patience, "online after the offline of session 5");

        Assert.Equal(1, OnlineAfter(office, "offline", "7", "6"));
    }

    // Two processes held one session (a read-only journal hands the same one out again, a crash
    // came before it was saved): the other one's will is offline of this very session, and was
    // left standing while this gateway was up. Its own offline is not answered: messages reach the
    // gateway in order, so an answer to it would come before the answer to the other one's.
    [Fact]
    public async Task An_offline_of_the_same_session_from_another_process_is_answered_with_online_again()
    {
        const string Other = "0123456789abcdef";
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 6);
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => Is(r, "online", "6"), Patience, "birth");

        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "6", instance: harness.Options.Instance);
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "6", instance: Other);
        bool FromOther(Receipt r) => Is(r, "offline", "6") && r.UserProperties.GetValueOrDefault("instance") == Other;
        await Eventually.TrueAsync(() => After(office, FromOther).Any(r => Is(r, "online", "6")), Patience, "online after the other process's will");
        // A mark: answered after anything the two before it made the gateway send.
        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: "5", instance: Other);
        await Eventually.TrueAsync(() => OnlineAfter(office, "offline", "5", "6") >= 1, Patience, "online after the mark");

        var sinceOwn = After(office, r => Is(r, "offline", "6"));
        Assert.Equal(1, sinceOwn.TakeWhile(r => !Is(r, "offline", "5")).Count(r => Is(r, "online", "6")));
        await using var late = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office-late", persistent: false);
        Assert.Equal("online", (await late.WaitForAsync(r => r.Retain, Patience, "retained availability")).Text);
    }

    // The office's rebirth ("republish every retained state topic") restores availability too,
    // before the state topics, whatever put the stale offline there.
    [Fact]
    public async Task Rebirth_republishes_the_retained_online_before_the_state_topics()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 6);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false));
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == Availability && r.Text == "online", Patience, "birth");

        await StaleAvailability.PublishAsync(broker.Port, Availability, "offline", session: null); // no session: it cannot be judged
        await office.WaitForAsync(r => r.Topic == Availability && r.Text == "offline", Patience, "stale offline");
        harness.Outbox.Append("gateway.rebirth");
        await harness.Outbox.WaitForDeliveredAsync(1, Patience);
        await Eventually.TrueAsync(
            () => After(office, r => r.Topic == Root + "/events").Any(r => r.Topic == Root + "/state/lockdown"), Patience, "state after the rebirth");

        var afterRebirth = After(office, r => r.Topic == Root + "/events");
        var online = afterRebirth.FindIndex(r => r.Topic == Availability && r.Text == "online");
        Assert.InRange(online, 0, afterRebirth.FindIndex(r => r.Topic == Root + "/state/lockdown"));
        Assert.Equal("6", afterRebirth[online].UserProperties["session"]);
        await using var late = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office-late", persistent: false);
        var retained = await late.WaitForAsync(r => r.Retain, Patience, "retained availability");
        Assert.Equal("online", retained.Text);
    }

    private static bool Is(Receipt receipt, string text, string session) =>
        receipt.Text == text && receipt.UserProperties.TryGetValue("session", out var value) && value == session;

    // How many online of the session follow the (first) availability message given.
    private static int OnlineAfter(TestSubscriber office, string text, string session, string onlineSession)
    {
        var seen = office.On(Availability).ToList();
        var at = seen.FindIndex(r => Is(r, text, session));
        return at < 0 ? 0 : seen.Skip(at + 1).Count(r => Is(r, "online", onlineSession));
    }

    private static List<Receipt> After(TestSubscriber office, Func<Receipt, bool> first)
    {
        var seen = office.Receipts.ToList();
        var at = seen.FindIndex(r => first(r));
        return at < 0 ? [] : seen.Skip(at + 1).ToList();
    }
}
