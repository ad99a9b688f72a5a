using System.Buffers;
using System.Collections.Concurrent;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A point removed from the config (or renamed) while it read active: the broker must not keep its
/// retained state, or every office console that connects later shows a point that no longer exists,
/// permanently open (after a rename: two points).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class RemovedPointTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string OldDoor = Root + "/state/points/door-old";
    private const string Annex = Root + "/state/points/door-annex";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_point_renamed_while_active_leaves_no_retained_state_behind_after_the_restart()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await RunOldConfigAsync(broker.Port, output);
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/points/#", "office", persistent: false);
        await office.WaitForAsync(r => r.Topic == OldDoor && r.Retain && r.Payload.Length > 0, Patience, "door-old retained from the old config");

        // The technician renamed door-old to door-annex and restarted the gateway.
        await using var renamed = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        renamed.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false), ("door-annex", true));
        await renamed.StartAndCatchUpAsync();

        await office.WaitForAsync(r => r.Topic == OldDoor && r.Payload.Length == 0, Patience, "door-old's retained state deleted");
        var late = await RetainedAsync(broker.Port, OldDoor, Annex);
        Assert.DoesNotContain(late, r => r.Topic == OldDoor);
        Assert.Equal(1, renamed.Publisher.StalePointsCleared);
        Assert.Empty(renamed.Faults.Events);
    }

    [Fact]
    public async Task A_point_event_journaled_under_the_old_config_goes_out_but_does_not_recreate_its_state()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        var options = PublisherHarness.Plain(broker.Port) with { StateRefreshInterval = TimeSpan.Zero };
        await using var harness = new PublisherHarness(options, output);
        harness.State.Current = SiteStates.Of(SiteMode.Normal, ("zone-z", false));
        await harness.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == Root + "/state/points/zone-z", Patience, "zone-z's state after the connect");

        // door-old's event was journaled before the technician removed it; zone-z's follows it.
        harness.Outbox.Append("point.activated", "door-old", "lobby", """{"kind":"doorContact"}""");
        harness.Outbox.Append("point.activated", "zone-z", "lobby", """{"kind":"doorContact"}""");

        // Refreshes go out in point order (door-old before zone-z): zone-z's refresh is the mark
        // after which door-old's would already have arrived.
        await Eventually.TrueAsync(() => office.On(Root + "/state/points/zone-z").Count == 2, Patience, "zone-z's refreshed state");
        Assert.Equal(2, office.On(Root + "/events").Count(r => r.Json.GetProperty("type").GetString() == "point.activated"));
        Assert.Contains(office.On(Root + "/events"), r => r.Json.GetProperty("point").GetString() == "door-old");
        Assert.Empty(office.On(OldDoor));
    }

    /// <summary>The first gateway process: door-old is open when the technician takes it out.</summary>
    internal static async Task RunOldConfigAsync(int port, ITestOutputHelper output, MqttPublisherOptions? options = null)
    {
        await using var first = new PublisherHarness(options ?? PublisherHarness.Plain(port), output);
        first.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false), ("door-old", true));
        await first.StartAndCatchUpAsync();
        await first.StopAsync();
    }

    /// <summary>
    /// What a console connecting now receives retained on <paramref name="topics"/>: subscribed one
    /// after the other, the last one known to be retained. The broker sends each subscription's
    /// retained messages before it handles the next SUBSCRIBE, and the client hands them over in
    /// arrival order, so once the last one is in, the earlier ones would be too.
    /// </summary>
    internal static async Task<IReadOnlyList<Receipt>> RetainedAsync(int port, params string[] topics) =>
        await RetainedAsync(port, null, topics);

    /// <inheritdoc cref="RetainedAsync(int, string[])"/>
    internal static async Task<IReadOnlyList<Receipt>> RetainedAsync(int port, Action<MqttClientTlsOptionsBuilder>? tls, params string[] topics)
    {
        var received = new ConcurrentQueue<Receipt>();
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += args =>
        {
            var message = args.ApplicationMessage;
            received.Enqueue(new Receipt(message.Topic, message.Payload.ToArray(), message.Retain, message.Dup, new Dictionary<string, string>(), message.ContentType));
            return Task.CompletedTask;
        };
        var builder = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId("office-late-" + Guid.NewGuid().ToString("N")[..8]).WithCleanStart(true);
        if (tls is not null)
        {
            builder.WithTlsOptions(tls);
        }

        await client.ConnectAsync(builder.Build());
        foreach (var topic in topics)
        {
            await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
                .WithTopicFilter(f => f.WithTopic(topic).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)).Build());
        }

        await Eventually.TrueAsync(() => received.Any(r => r.Topic == topics[^1] && r.Retain), Patience, "retained " + topics[^1]);
        await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
        return [.. received];
    }
}
