using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>A refused event blocks the ones behind it until the broker accepts it; then all follow in order.</summary>
[Collection(BrokerCollection.Name)]
public sealed class RefusalRecoveryTests(ITestOutputHelper output)
{
    private const string Events = "edgeguard/v1/site-1/gw-1/events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Once_the_broker_accepts_the_refused_event_it_and_everything_behind_it_arrive_in_order()
    {
        // Anonymous clients may publish availability and read everything, but not publish events yet.
        const string Withheld = """
            topic readwrite edgeguard/v1/site-1/gw-1/availability
            topic read edgeguard/v1/#
            """;
        const string Fixed = "topic readwrite edgeguard/v1/#\n";
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { Acl = Withheld });
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        for (var i = 0; i < 3; i++)
        {
            harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        }

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.RefusedPublishes >= 3, Patience, "three refused attempts");
        Assert.Equal(0, harness.Outbox.DeliveredThrough);
        Assert.Equal(0, harness.Outbox.AcknowledgedThrough); // a refused event is not the office's: the journal must not count on it
        harness.Outbox.Append("point.restored", "door-lobby", "lobby"); // journaled during the refusal

        await broker.ReloadAclAsync(Fixed);
        await harness.Outbox.WaitForDeliveredAsync(4, Patience);
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 4, Patience, "all four events");

        Assert.Equal([1L, 2L, 3L, 4L], office.On(Events).Select(r => r.Json.GetProperty("seq").GetInt64()).Distinct());
        Assert.Equal(1, Assert.IsType<DeliveryFault>(Assert.Single(harness.Faults.Events)).Seq);
        Assert.Equal(1, harness.Publisher.Connects);
    }

    [Fact]
    public void A_refusal_episode_is_reported_once_and_ends_when_the_record_is_delivered()
    {
        var sink = new RecordingSink();
        var reporter = new DeliveryFaultReporter(sink, TimeProvider.System);

        Assert.True(reporter.Refused(5, "NotAuthorized (135)"));
        Assert.False(reporter.Refused(5, "NotAuthorized (135)"));
        Assert.True(reporter.Refused(5, "QuotaExceeded (151)"));
        reporter.Delivered(4);
        Assert.True(reporter.InEpisode);
        reporter.Delivered(5);
        Assert.False(reporter.InEpisode);
        Assert.True(reporter.Refused(5, "QuotaExceeded (151)"));

        Assert.Equal([5L, 5L, 5L], sink.Events.Cast<DeliveryFault>().Select(f => f.Seq));
        Assert.Equal(3, reporter.Reported);
        Assert.Equal(4, reporter.Refusals);
    }
}
