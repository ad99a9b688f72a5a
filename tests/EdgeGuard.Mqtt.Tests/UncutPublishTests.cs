using System.Collections.Concurrent;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The publisher's PUBLISHes are never given a token that can cancel them: MQTTnet 5.2 passes it
/// on to the socket write, and a write cut part-way leaves the rest of the packet unsent, so the
/// broker reads the next packet as that rest and closes the connection. The birth and the deletes
/// of stale retained states were given the session's token, cancelled at an orderly stop just
/// before the orderly <c>offline</c> is written behind them (review finding after the command
/// answers' cut, UncutAnswerTests). Events never had one. Real Mosquitto; the publishes are seen
/// through a hook in front of the real client (GatedMqttClient).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class UncutPublishTests(ITestOutputHelper output)
{
    [Fact]
    public async Task No_publish_is_given_a_token_that_could_cut_its_write()
    {
        var gate = new GatedMqttClient.Hook();
        var given = new ConcurrentQueue<(string Topic, bool Cancellable)>();
        gate.Publish = (message, token, publish) =>
        {
            given.Enqueue((message.Topic, token.CanBeCanceled));
            return publish();
        };
        await using var broker = await MosquittoBroker.StartAsync();
        await RemovedPointTests.RunOldConfigAsync(broker.Port, output); // leaves door-old's state retained

        await using var gateway = new PublisherHarness(PublisherHarness.Plain(broker.Port), output, gate: gate);
        gateway.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false));
        await gateway.StartAndCatchUpAsync();
        await Eventually.TrueAsync(() => gateway.Publisher.StalePointsCleared == 1, TimeSpan.FromSeconds(15), "door-old's retained state deleted");
        await gateway.StopAsync();

        var topics = gateway.Publisher.Topics;
        Assert.Equal(2, given.Count(g => g.Topic == topics.Availability)); // the birth and the orderly offline
        Assert.Contains(given, g => g.Topic == topics.PointStatePrefix + "door-old");
        Assert.Contains(given, g => g.Topic == topics.LockdownState);
        Assert.DoesNotContain(given, g => g.Cancellable);
    }
}
