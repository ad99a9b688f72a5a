using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A broker closing one of the gateway's connections with reason 142 (session taken over) is
/// journaled as fault.session-taken-over naming the connection, and the gateway carries on.
/// MQTTnet's broker sends the reason code; Mosquitto 2.0 closes without it (CommandAclTests).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class SessionTakeoverTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_takeover_of_the_publisher_is_its_own_alarm_not_a_broker_fault_and_the_publisher_catches_up_again()
    {
        var port = MosquittoBroker.FreePort();
        using var broker = await InProcessBroker.StartAsync(port);
        await using var harness = new PublisherHarness(PublisherHarness.Plain(port), output);
        await harness.StartAndCatchUpAsync();

        await broker.DisconnectClientAsync(harness.Options.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.SessionTakenOver });
        await Eventually.TrueAsync(() => harness.Publisher.Connects == 2 && harness.Publisher.IsCaughtUp, Patience, "caught up again");

        var takeover = Assert.IsType<SessionTakenOver>(Assert.Single(harness.Faults.Events));
        Assert.Equal(BrokerConnection.Publisher, takeover.Connection);
        Assert.Equal("fault.session-taken-over", takeover.Type);
        Assert.Equal(Severity.Alarm, takeover.Severity);
        await broker.StopAsync();
    }

    [Fact]
    public async Task A_takeover_of_the_command_connection_is_journaled_and_commands_are_received_again()
    {
        var port = MosquittoBroker.FreePort();
        using var broker = await InProcessBroker.StartAsync(port);
        await using var gateway = new CommandHarness(output, port);
        await gateway.StartAsync();

        await broker.DisconnectClientAsync(gateway.Subscriber!.Options.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.SessionTakenOver });

        await Eventually.TrueAsync(() => gateway.Journal.Events.OfType<SessionTakenOver>().Any(), Patience, "fault.session-taken-over");
        Assert.Equal(BrokerConnection.Commands, Assert.Single(gateway.Journal.Events.OfType<SessionTakenOver>()).Connection);
        await Eventually.TrueAsync(() => gateway.Subscriber.IsSubscribed, Patience, "subscribed again");
        await using var office = await OfficeClient.ConnectAsync(port, CommandHarness.Root);
        var results = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "after-142", count: 2);
        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
        await broker.StopAsync();
    }

    [Fact]
    public async Task Takeovers_in_quick_succession_of_the_publisher_are_one_alarm()
    {
        var port = MosquittoBroker.FreePort();
        using var broker = await InProcessBroker.StartAsync(port);
        await using var harness = new PublisherHarness(PublisherHarness.Plain(port), output);
        await harness.StartAndCatchUpAsync();

        // Two processes fighting over the id: each connection ends within moments.
        for (var connects = 2; connects <= 3; connects++)
        {
            await broker.DisconnectClientAsync(harness.Options.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.SessionTakenOver });
            var expected = connects;
            await Eventually.TrueAsync(() => harness.Publisher.Connects == expected && harness.Publisher.IsCaughtUp, Patience, "caught up again");
        }

        Assert.Equal(BrokerConnection.Publisher, Assert.IsType<SessionTakenOver>(Assert.Single(harness.Faults.Events)).Connection);
        await broker.StopAsync();
    }

    [Fact]
    public async Task Takeovers_in_quick_succession_of_the_command_connection_are_one_alarm()
    {
        var port = MosquittoBroker.FreePort();
        using var broker = await InProcessBroker.StartAsync(port);
        var connects = 0;
        broker.ClientConnectedAsync += _ =>
        {
            Interlocked.Increment(ref connects);
            return Task.CompletedTask;
        };
        await using var gateway = new CommandHarness(output, port);
        await gateway.StartAsync();

        for (var expected = 2; expected <= 3; expected++)
        {
            await broker.DisconnectClientAsync(gateway.Subscriber!.Options.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.SessionTakenOver });
            var reconnected = expected;
            // The takeover is journaled (or not) before the subscriber reconnects.
            await Eventually.TrueAsync(() => Volatile.Read(ref connects) >= reconnected && gateway.Subscriber.IsSubscribed, Patience, "subscribed again");
        }

        Assert.Equal(BrokerConnection.Commands, Assert.Single(gateway.Journal.Events.OfType<SessionTakenOver>()).Connection);
        await broker.StopAsync();
    }

    [Fact]
    public void An_episode_ends_once_a_connection_outlives_the_quiet_time_and_counts_its_takeovers()
    {
        var episode = new TakeoverEpisode(TimeSpan.FromSeconds(60));

        Assert.True(episode.TakenOver(TimeSpan.FromHours(1), out var ended)); // opens an episode: journaled
        Assert.Equal(0, ended);
        Assert.False(episode.TakenOver(TimeSpan.FromSeconds(15), out ended)); // the fight goes on
        Assert.Equal(0, episode.Ended(TimeSpan.FromSeconds(59))); // a short loss of another kind
        Assert.False(episode.TakenOver(TimeSpan.FromSeconds(15), out _));
        Assert.Equal(3, episode.Ended(TimeSpan.FromSeconds(60))); // a connection outlived it: over
        Assert.Equal(0, episode.Ended(TimeSpan.FromSeconds(60)));
        Assert.True(episode.TakenOver(TimeSpan.FromSeconds(1), out ended)); // a new episode
        Assert.Equal(0, ended);
        Assert.False(episode.TakenOver(TimeSpan.FromSeconds(1), out _));
        Assert.True(episode.TakenOver(TimeSpan.FromMinutes(2), out ended)); // ended by the long one
        Assert.Equal(2, ended);
    }

    [Fact]
    public void The_quiet_time_is_a_few_keep_alives_and_outlasts_a_fighting_process_reconnect_delay()
    {
        var options = PublisherHarness.Plain(1883) with { KeepAlive = TimeSpan.FromSeconds(10), ReconnectDelayMax = TimeSpan.FromSeconds(30) };

        Assert.Equal(TimeSpan.FromSeconds(60), TakeoverEpisode.QuietTime(options));
        Assert.Equal(TimeSpan.FromSeconds(90), TakeoverEpisode.QuietTime(options with { KeepAlive = TimeSpan.FromSeconds(30) }));
    }
}
