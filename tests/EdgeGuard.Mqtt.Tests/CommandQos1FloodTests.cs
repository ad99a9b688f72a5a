using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A QoS 1 junk flood (the contract's QoS) on the command topic, larger than the subscriber's
/// backlog limit, then the office's lockdown. Mosquitto 2.0.11 ignores the gateway's Receive
/// Maximum once PUBACKs flow (each PUBACK releases a Receive Maximum's worth of queued messages),
/// so the backlog limit is reached and the connection dropped. The lockdown must still be answered
/// within seconds, not after the flood's minutes of reconnects; what was handled must not come
/// again; the flood is journaled once. Real Mosquitto, production reconnect delays (0.5 s to 30 s).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class CommandQos1FloodTests(ITestOutputHelper output)
{
    // The lockdown's lifetime: long enough that a late answer is still "accepted, done", so the
    // assertion is about time, not expiry.
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    // Limits lowered (64 messages instead of 16,384) so 3,000 messages stand for a flood hundreds
    // of times the limit, as ~1,000,000 queued on the office broker would be at the defaults.
    [Fact]
    public async Task A_qos1_junk_flood_far_past_the_backlog_limit_does_not_keep_a_real_lockdown_from_being_answered()
    {
        await FloodThenLockdownAsync(junk: 3_000, TimeSpan.FromSeconds(30), o => o with { MaxBacklog = 64 });
    }

    // The shipped limits (16,384 messages, 16 MiB) and 40,000 junk messages: the reviewer's case
    // that took ~33 minutes, past the longest command lifetime (15 min).
    [Fact]
    public async Task At_the_shipped_limits_a_40k_qos1_junk_flood_does_not_keep_a_real_lockdown_from_being_answered()
    {
        await FloodThenLockdownAsync(junk: 40_000, TimeSpan.FromSeconds(60), o => o);
    }

    private async Task FloodThenLockdownAsync(
        int junk, TimeSpan patience, Func<CommandSubscriberOptions, CommandSubscriberOptions> tune)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var production = PublisherHarness.Plain(broker.Port) with
        {
            KeepAlive = TimeSpan.FromSeconds(10),
            ReconnectDelayMin = TimeSpan.FromMilliseconds(500),
            ReconnectDelayMax = TimeSpan.FromSeconds(30),
        };
        await using var gateway = new CommandHarness(output, broker.Port, quiet: true, broker: production, tune: tune);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        await PublishJunkAsync(broker.Port, junk);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await office.SendAsync(gateway.Sign(CommandType.Lockdown, ttl: Lifetime), "real");
        bool Done() => office.Results.Any(r => r.Correlation == "real" && r.Result == "done");
        await Eventually.TrueAsync(
            Done, patience,
            $"the real lockdown done (received {gateway.Subscriber!.Received}, {Drops(gateway)} flood records, {gateway.Subscriber.FloodDrops} drops)");
        output.WriteLine($"answered after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(["accepted", "done"], office.Results.Where(r => r.Correlation == "real").Select(r => r.Result));
        Assert.Single(gateway.Executor.Executed);

        // Everything handled was acknowledged: the broker offered each message about once, not
        // again after every drop (the one being handled when the socket closed may come again).
        var received = gateway.Subscriber.Received;
        var drops = gateway.Subscriber.FloodDrops;
        output.WriteLine($"received {received} of {junk + 1}; {drops} drops; {Drops(gateway)} flood records; {gateway.Subscriber.ResultsPublished} answers");
        Assert.InRange(received, junk + 1, junk + 1 + (drops * 2));
        // The flood journaled once for the episode, not once per hold or drop.
        Assert.Equal(1, Drops(gateway));
    }

    private static int Drops(CommandHarness gateway) =>
        gateway.Journal.Events.OfType<CommandRejected>().Count(e => e.Detail.StartsWith("the command topic was flooded", StringComparison.Ordinal));

    private static async Task PublishJunkAsync(int port, int count)
    {
        using var flooder = new MqttClientFactory().CreateMqttClient();
        await flooder.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port)
            .WithProtocolVersion(MqttProtocolVersion.V500).WithClientId("flooder").Build());
        var sends = new List<Task>(count);
        for (var i = 0; i < count; i++)
        {
            sends.Add(flooder.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(CommandHarness.Root + "/commands")
                .WithPayload($"junk {i}").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build()));
        }

        await Task.WhenAll(sends);
        await flooder.DisconnectAsync();
    }
}
