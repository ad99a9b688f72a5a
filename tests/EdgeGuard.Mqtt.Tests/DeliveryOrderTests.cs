using System.Diagnostics;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>In order, complete, exactly the contract: 100,000 events through real Mosquitto.</summary>
[Collection(BrokerCollection.Name)]
public sealed class DeliveryOrderTests(ITestOutputHelper output)
{
    private const string Events = "edgeguard/v1/site-1/gw-1/events";

    [Fact]
    public async Task One_hundred_thousand_events_arrive_exactly_once_in_seq_order_and_the_cursor_ends_at_the_last()
    {
        const int Backlog = 50_000;
        const int Live = 50_000;
        const int Total = Backlog + Live;
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        var outbox = new FakeOutbox();
        outbox.AppendMany(Backlog); // journaled while the gateway was offline: replayed
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, outbox);
        var clock = Stopwatch.StartNew();

        await harness.StartAndCatchUpAsync(TimeSpan.FromMinutes(2));
        for (var appended = 0; appended < Live; appended += 500)
        {
            outbox.AppendMany(500); // journaled while connected: live
            await Task.Yield();
        }

        await outbox.WaitForDeliveredAsync(Total, TimeSpan.FromMinutes(3));
        var delivered = clock.Elapsed;
        await Eventually.TrueAsync(() => office.DistinctSeqCount == Total, TimeSpan.FromMinutes(2), $"{Total} events at the subscriber");
        output.WriteLine($"{Total} events: cursor at {Total} after {delivered.TotalSeconds:0.0} s, all at the subscriber after {clock.Elapsed.TotalSeconds:0.0} s");

        var receipts = office.On(Events);
        Assert.Equal(Total, receipts.Count);
        for (var i = 0; i < Total; i++)
        {
            var seq = i + 1L;
            var json = receipts[i].Json;
            Assert.Equal(seq, json.GetProperty("seq").GetInt64());
            Assert.Equal(outbox[seq].Id.ToString(), json.GetProperty("id").GetString());
            Assert.Equal(seq <= Backlog, json.GetProperty("replayed").GetBoolean());
            Assert.Equal(seq.ToString(System.Globalization.CultureInfo.InvariantCulture), receipts[i].UserProperties["seq"]);
        }

        Assert.Equal(Total, outbox.DeliveredThrough);
        Assert.Equal(Total, outbox.AcknowledgedThrough); // told to the journal in memory, ahead of the cursor
        Assert.Equal(outbox.Marks.Order(), outbox.Marks);
        Assert.Equal(1, harness.Publisher.Connects);
        Assert.Empty(harness.Faults.Events);
    }
}
