using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A PUBACK with NoMatchingSubscribers (16) counts as delivered (the broker took the event), but
/// nobody heard it: the first one of each connection is warned about, so ops see an office whose
/// session expired while the journal's cursor moves past events no one received.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class NoSubscriberTests(ITestOutputHelper output)
{
    private const string Events = "edgeguard/v1/site-1/gw-1/events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Events_no_one_subscribes_to_are_delivered_and_warned_about_once_per_connection()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        await harness.StartAndCatchUpAsync();
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        await harness.Outbox.WaitForDeliveredAsync(3, Patience);

        Assert.Equal(3, harness.Publisher.UnheardEvents);
        Assert.Equal(1, harness.Publisher.UnheardWarnings);

        // A new connection warns again: the office may have come and gone meanwhile.
        harness.Publisher.AbortConnection();
        await Eventually.TrueAsync(() => harness.Publisher.Connects == 2 && harness.Publisher.IsCaughtUp, Patience, "caught up again");
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        await harness.Outbox.WaitForDeliveredAsync(4, Patience);

        Assert.Equal(2, harness.Publisher.UnheardWarnings);

        // With the office subscribed, nothing more is counted.
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        var unheard = harness.Publisher.UnheardEvents;
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        await office.WaitForAsync(r => r.Topic == Events && r.Json.GetProperty("seq").GetInt64() == 5, Patience, "event 5 at the office");
        await harness.Outbox.WaitForDeliveredAsync(5, Patience);

        Assert.Equal(unheard, harness.Publisher.UnheardEvents);
        Assert.Equal(2, harness.Publisher.UnheardWarnings);
        Assert.Empty(harness.Faults.Events);
    }
}
