using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// An outbox read that fails (SQLite I/O error on a failing card) keeps the connection: the read is
/// retried with backoff and one <c>fault.delivery</c> reports the episode. It used to end the
/// session without a DISCONNECT: the broker published the will, the gateway reconnected and failed
/// again, and the office saw the gateway flap and no events.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class JournalReadFailureTests(ITestOutputHelper output)
{
    private const string Events = "edgeguard/v1/site-1/gw-1/events";
    private const string Reason = "the journal could not be read: Journal database '/var/lib/edgeguard/journal.db': disk I/O error (SQLite error 10)";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Failed_reads_during_the_replay_and_the_stream_keep_the_connection_and_raise_one_fault_per_episode()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");
        harness.Outbox.Append("point.restored", "door-lobby", "lobby");
        harness.Outbox.FailNextReads(3);

        // The replay waits out the failed reads: it does not end early, and the link stays up.
        await harness.StartAndCatchUpAsync();
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 2, Patience, "the backlog at the office");

        Assert.Equal(1, harness.Publisher.Connects);
        Assert.Equal(2, harness.Outbox.DeliveredThrough);
        var fault = Assert.IsType<DeliveryFault>(Assert.Single(harness.Faults.Events));
        Assert.Equal(1, fault.Seq);
        Assert.Equal(Reason, fault.Reason);
        var reads = harness.Outbox.Reads;
        Assert.True(reads >= 4, $"{reads} reads: three failed, then the replay");

        // While streaming: a new episode, a new fault; the event follows on the same connection.
        harness.Outbox.FailNextReads(3);
        harness.Outbox.Append("lockdown.started", severity: Severity.Critical);
        await Eventually.TrueAsync(() => office.DistinctSeqCount == 3, Patience, "the live event at the office");

        Assert.Equal(1, harness.Publisher.Connects);
        Assert.Equal(3, Assert.IsType<DeliveryFault>(Assert.Single(harness.Faults.Events.Skip(1))).Seq);
        Assert.Equal(0, harness.Publisher.RefusedPublishes); // the journal failed, not the broker
        Assert.Equal([1L, 2L, 3L], office.On(Events).Select(r => r.Json.GetProperty("seq").GetInt64()));
    }
}
