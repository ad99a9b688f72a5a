using System.Text.RegularExpressions;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>Birth, Last Will and orderly shutdown on the availability topic, against real Mosquitto.</summary>
[Collection(BrokerCollection.Name)]
public sealed class AvailabilityTests(ITestOutputHelper output)
{
    private const string Availability = "edgeguard/v1/site-1/gw-1/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // MQTT: the broker drops a silent client after 1.5 x keep-alive. Mosquitto 2.0 runs that check
    // only every 6 s or so (keepalive__check: "last_keepalive_check + 5 < now", whole seconds), so a
    // dead path is noticed up to ~7 s later than the protocol bound.
    private static TimeSpan DeadPathWillBound(TimeSpan keepAlive) => keepAlive * 1.5 + TimeSpan.FromSeconds(7);

    [Fact]
    public async Task After_connect_the_retained_availability_is_online_with_the_session_counter()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 41);

        await harness.StartAndCatchUpAsync();
        // A subscriber arriving later gets the retained birth message.
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office-late", persistent: false);
        var birth = await office.WaitForAsync(r => r.Retain, Patience, "retained availability");

        Assert.Equal("online", birth.Text);
        Assert.Equal("41", birth.UserProperties["session"]);
        Assert.Equal("text/plain", birth.ContentType);
        Assert.Equal(41, harness.Publisher.SessionNumber);
        Assert.True(harness.Publisher.IsConnected);
        Assert.Equal(1, harness.Publisher.Connects);
    }

    [Fact]
    public async Task A_connection_dropped_without_disconnect_makes_the_broker_publish_the_offline_will_then_the_gateway_returns()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 5);
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Text == "online", Patience, "birth");

        harness.Publisher.AbortConnection();

        // A closed socket is seen at once: well within 1.5 x keep-alive.
        var will = await office.WaitForAsync(r => r.Text == "offline", harness.Options.KeepAlive * 1.5, "the Last Will");
        Assert.Equal("5", will.UserProperties["session"]);
        await Eventually.TrueAsync(() => office.On(Availability).Count(r => r.Text == "online") == 2 && harness.Publisher.IsCaughtUp, Patience, "online again after the reconnect");
        Assert.Equal(2, harness.Publisher.Connects);
        Assert.Equal(["online", "offline", "online"], office.On(Availability).Select(r => r.Text));
        Assert.All(office.On(Availability), r => Assert.Equal("5", r.UserProperties["session"]));
        Assert.Empty(harness.Faults.Events); // a dropped link is the will's news, not a broker fault
    }

    [Fact]
    public async Task A_dead_path_is_seen_by_the_broker_within_one_and_a_half_keepalives_and_by_the_gateway_too()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var proxy = BlackholeProxy.Start(broker.Port);
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(proxy.Port), output);
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Text == "online", Patience, "birth");

        proxy.Blackhole();

        // No FIN, no RST: only the keep-alive can reveal the dead path.
        try
        {
            await office.WaitForAsync(r => r.Text == "offline", DeadPathWillBound(harness.Options.KeepAlive), "the Last Will after the keep-alive ran out");
        }
        finally
        {
            output.WriteLine(broker.Log);
        }

        // The broker's own words, not the wall clock: it took the keep-alive the gateway set, and
        // it was that running out (not a closed socket) that sent the will.
        var clientId = Regex.Escape(harness.Options.ClientId);
        Assert.Matches($@"New client connected from \S+ as {clientId} \(p5, c[01], k{(int)harness.Options.KeepAlive.TotalSeconds}\b", broker.Log);
        Assert.Matches($@"Client {clientId} has exceeded timeout, disconnecting", broker.Log);
        await Eventually.TrueAsync(() => !harness.Publisher.IsConnected, harness.Options.KeepAlive * 2 + harness.Options.Timeout, "the gateway noticing the dead path");
        harness.Outbox.Append();
        proxy.Restore();
        await harness.Outbox.WaitForDeliveredAsync(1, Patience);
        await Eventually.TrueAsync(() => office.On(Availability).Count(r => r.Text == "online") == 2, Patience, "online again");
        Assert.True(harness.Publisher.Connects >= 2);
        Assert.Empty(harness.Faults.Events); // the keep-alive ran out on our side: no broker refused anything
    }

    [Fact]
    public async Task A_session_counter_that_cannot_be_written_is_retried_and_the_publisher_lives_on()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, "edgeguard/v1/site-1/gw-1/#", "office");
        var calls = 0;
        long NextSession() => ++calls <= 2 ? throw new InvalidOperationException("database is locked") : 12;
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, nextSession: NextSession);
        harness.Outbox.AppendMany(3); // journaled while the counter cannot move: delivered once it can

        await harness.StartAndCatchUpAsync();
        await harness.Outbox.WaitForDeliveredAsync(3, Patience);

        Assert.Equal(3, calls);
        Assert.Equal(12, harness.Publisher.SessionNumber);
        Assert.False(harness.Publisher.ExecuteTask!.IsFaulted);
        var birth = await office.WaitForAsync(r => r.Topic == Availability && r.Text == "online", Patience, "online");
        Assert.Equal("12", birth.UserProperties["session"]);
    }

    [Fact]
    public async Task A_stop_while_the_session_counter_fails_ends_the_publisher_quietly()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var calls = 0;
        long NextSession()
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("disk I/O error");
        }

        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, nextSession: NextSession);
        await harness.StartAsync();
        await Eventually.TrueAsync(() => Volatile.Read(ref calls) >= 2, Patience, "a retry of the session counter");

        await harness.StopAsync();

        var run = harness.Publisher.ExecuteTask!;
        Assert.True(run.IsCompletedSuccessfully, $"the publisher ended {run.Status}: {run.Exception?.InnerException?.Message}");
        Assert.Equal(0, harness.Publisher.Connects);
    }

    [Fact]
    public async Task An_orderly_stop_delivers_what_is_in_flight_then_leaves_offline_retained()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, "edgeguard/v1/site-1/gw-1/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 9);
        await harness.StartAndCatchUpAsync();
        harness.Outbox.AppendMany(500);
        await harness.Outbox.WaitForDeliveredAsync(500, Patience);

        await harness.StopAsync();

        Assert.False(harness.Publisher.IsConnected);
        Assert.Equal(500, harness.Outbox.DeliveredThrough);
        var last = await office.WaitForAsync(r => r.Topic == Availability && r.Text == "offline", Patience, "offline on shutdown");
        Assert.Equal("9", last.UserProperties["session"]);
        await using var late = await TestSubscriber.ConnectAsync(broker.Port, Availability, "office-late", persistent: false);
        var retained = await late.WaitForAsync(r => r.Retain, Patience, "retained availability");
        Assert.Equal("offline", retained.Text);
    }
}
