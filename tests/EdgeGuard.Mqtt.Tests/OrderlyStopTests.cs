using System.Diagnostics;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// An orderly stop spends at most one <c>Timeout</c> on the broker, whatever it does: the host
/// gives its services 18 s in all (GatewayHost.ShutdownTimeout) and systemd 30 s. It used to allow a
/// whole Timeout for the PUBACKs in flight and another for <c>offline</c>, and the host stopped
/// waiting after 5 s: the journal was closed under a publisher still running.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class OrderlyStopTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_stop_while_the_broker_has_stopped_answering_ends_within_one_timeout()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        // A keep-alive longer than the test: only the stop's own deadlines end the waits.
        var options = PublisherHarness.Plain(broker.Port) with { KeepAlive = TimeSpan.FromSeconds(60), Timeout = TimeSpan.FromSeconds(4) };
        await using var harness = new PublisherHarness(options, output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        await harness.StartAndCatchUpAsync(Patience);
        await harness.Outbox.WaitForDeliveredAsync(1, Patience);

        await broker.PauseAsync(); // SIGSTOP: the socket stays open, nothing is answered
        try
        {
            harness.Outbox.Append("point.restored", "door-lobby", "lobby");
            await Eventually.TrueAsync(() => harness.Publisher.SentThrough == 2, Patience, "event 2 sent, its PUBACK never to come");

            var stopping = Stopwatch.StartNew();
            await harness.StopAsync();

            Assert.True(stopping.Elapsed < options.Timeout + TimeSpan.FromSeconds(1), $"the stop took {stopping.Elapsed}");
            Assert.Equal(1, harness.Outbox.DeliveredThrough); // event 2 waits for the next start
        }
        finally
        {
            await broker.ResumeAsync();
        }
    }
}
