using System.Text.Json;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>The broker goes away mid-burst and comes back: nothing is lost, order holds.</summary>
[Collection(BrokerCollection.Name)]
public sealed class BrokerOutageTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string Events = Root + "/events";
    private const string Availability = Root + "/availability";

    [Fact]
    public async Task Broker_restarted_three_times_during_twenty_thousand_events_loses_nothing_and_keeps_first_receipt_order()
    {
        const int Total = 20_000;
        const int Restarts = 3;
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, session: 3);
        var outbox = harness.Outbox;
        await harness.StartAndCatchUpAsync();
        var journaledWhileDown = new List<(long From, long Through)>();

        for (var restart = 1; restart <= Restarts; restart++)
        {
            // A burst while connected; the broker goes away while it is being delivered...
            var cursor = outbox.DeliveredThrough;
            outbox.AppendMany(5_000);
            await Eventually.TrueAsync(() => outbox.DeliveredThrough > cursor + 1_000, TimeSpan.FromMinutes(1), "the burst being delivered");
            await broker.StopAsync(graceful: true);
            Assert.True(outbox.DeliveredThrough < outbox.LastSeq, "the broker must go away mid-burst");
            output.WriteLine($"broker stopped at cursor {outbox.DeliveredThrough} of {outbox.LastSeq}");

            // ...the controller keeps journaling while it is away, and it comes back.
            var downFrom = outbox.LastSeq + 1;
            outbox.AppendMany(1_000);
            journaledWhileDown.Add((downFrom, outbox.LastSeq));
            await Task.Delay(200);
            await broker.StartAgainAsync();
            await Eventually.TrueAsync(() => harness.Publisher.Connects == restart + 1, TimeSpan.FromMinutes(1), $"reconnect {restart}");
        }

        // Journaled after the last reconnect: live, whatever the replay still had to send.
        var liveFrom = outbox.LastSeq + 1;
        outbox.AppendMany(Total - (int)outbox.LastSeq);
        await outbox.WaitForDeliveredAsync(Total, TimeSpan.FromMinutes(1));
        await Eventually.TrueAsync(() => office.DistinctSeqCount == Total, TimeSpan.FromMinutes(1), $"{Total} distinct events at the subscriber");
        var receipts = office.On(Events);
        output.WriteLine($"{receipts.Count} receipts for {Total} events; {harness.Publisher.Connects} connects");

        // Every seq at least once; de-duplicated by id, exactly the journal; first receipts in seq order.
        var firstSeen = new Dictionary<string, long>();
        var expectedNext = 1L;
        foreach (var receipt in receipts)
        {
            var json = receipt.Json;
            var id = json.GetProperty("id").GetString()!;
            var seq = json.GetProperty("seq").GetInt64();
            Assert.Equal(outbox[seq].Id.ToString(), id);
            if (firstSeen.TryAdd(id, seq))
            {
                Assert.Equal(expectedNext, seq);
                expectedNext++;
            }
        }

        Assert.Equal(Total, firstSeen.Count);
        Assert.Equal(Total + 1, expectedNext);
        // A broker restart is maintenance (Mosquitto's DISCONNECT says server shutting down), not a refusal.
        Assert.Empty(harness.Faults.Events);

        // A repeat is either the gateway sending the event again after a reconnect (replayed: true)
        // or Mosquitto redelivering a message it had already sent to the subscriber (DUP flag set).
        foreach (var repeats in receipts.GroupBy(r => r.Json.GetProperty("id").GetString()).Where(g => g.Count() > 1))
        {
            Assert.All(repeats.Skip(1), again => Assert.True(IsReplayed(again) || again.Dup, $"a repeat of {repeats.Key} is neither replayed nor a DUP redelivery"));
        }

        // What the office first hears of an event journaled while the broker was away says it is a
        // replay; what was journaled on the connection that sent it does not.
        var first = receipts.DistinctBy(r => r.Json.GetProperty("seq").GetInt64()).ToDictionary(r => r.Json.GetProperty("seq").GetInt64());
        foreach (var (from, through) in journaledWhileDown)
        {
            for (var seq = from; seq <= through; seq++)
            {
                Assert.True(IsReplayed(first[seq]), $"seq {seq}, journaled while the broker was away, first arrived without replayed: true");
            }
        }

        for (var seq = liveFrom; seq <= Total; seq++)
        {
            Assert.False(IsReplayed(first[seq]), $"seq {seq}, journaled on the connection that sent it, arrived as replayed");
        }
        Assert.True(harness.Publisher.Connects >= Restarts + 1, $"{harness.Publisher.Connects} connects for {Restarts} restarts");
        var births = office.On(Availability).Where(r => r.Text == "online" && !r.Retain).ToList();
        Assert.True(births.Count >= Restarts + 1, $"{births.Count} 'online' messages for {Restarts} restarts");
        Assert.All(births, b => Assert.Equal("3", b.UserProperties["session"]));
        Assert.Equal(Total, outbox.DeliveredThrough);
        Assert.Equal(outbox.Marks.Order(), outbox.Marks);
    }

    private static bool IsReplayed(Receipt receipt) => receipt.Json.GetProperty("replayed").ValueKind == JsonValueKind.True;
}
