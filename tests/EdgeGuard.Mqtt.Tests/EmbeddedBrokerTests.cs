using EdgeGuard.Mqtt.Broker;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>The quick-start path: the publisher against the in-process MQTTnet broker.</summary>
[Collection(BrokerCollection.Name)]
public sealed class EmbeddedBrokerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_publisher_delivers_in_order_to_the_embedded_quick_start_broker()
    {
        var broker = new EmbeddedBroker(MosquittoBroker.FreePort(), NullLogger<EmbeddedBroker>.Instance);
        await broker.StartAsync(CancellationToken.None);
        try
        {
            await using var office = await TestSubscriber.ConnectAsync(broker.Port, "edgeguard/v1/site-1/gw-1/events", "office", persistent: false);
            await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
            harness.Outbox.AppendMany(1_000);

            await harness.StartAndCatchUpAsync();
            harness.Outbox.AppendMany(1_000);
            await harness.Outbox.WaitForDeliveredAsync(2_000, TimeSpan.FromSeconds(30));
            await Eventually.TrueAsync(() => office.DistinctSeqCount == 2_000, TimeSpan.FromSeconds(30), "2,000 events");

            Assert.Equal(Enumerable.Range(1, 2_000).Select(i => (long)i), office.Receipts.Select(r => r.Json.GetProperty("seq").GetInt64()));
        }
        finally
        {
            await broker.StopAsync(CancellationToken.None);
            broker.Dispose();
        }
    }
}
