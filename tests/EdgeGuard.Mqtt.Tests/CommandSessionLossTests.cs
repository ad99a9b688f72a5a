using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// command.session-lost when the broker lost the command connection's session, on MQTTnet's broker
/// (restarted in memory: no session survives), which can cut a connection off on cue.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class CommandSessionLossTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_loss_seen_by_a_connect_that_died_before_its_suback_is_reported_when_the_next_finds_the_new_empty_session()
    {
        var port = MosquittoBroker.FreePort();
        var first = await InProcessBroker.StartAsync(port, persistentSessions: true);
        await using var gateway = new CommandHarness(output, port);
        await gateway.StartAsync();
        var before = DateTimeOffset.UtcNow;
        await first.StopAsync();
        first.Dispose();

        // The broker is back without the session, and the first re-subscribe fails: that CONNACK
        // said Session Present=false, the next one's says true (the empty session the broker made).
        var subscribes = 0;
        var after = DateTimeOffset.MaxValue;
        using var second = await InProcessBroker.StartAsync(port, persistentSessions: true, onSubscribe: args =>
        {
            if (Interlocked.Increment(ref subscribes) == 1)
            {
                // The loss was seen before this connection (the first to the new broker) was made.
                after = DateTimeOffset.UtcNow;
                args.ProcessSubscription = false;
                args.Response.ReasonCode = MqttSubscribeReasonCode.UnspecifiedError;
            }
        });

        await Eventually.TrueAsync(() => Volatile.Read(ref subscribes) >= 2 && gateway.Subscriber!.IsSubscribed, Patience, "subscribed again");
        await Eventually.TrueAsync(() => gateway.Journal.Events.OfType<CommandSessionLost>().Any(), Patience, "command.session-lost");
        Assert.InRange(Assert.Single(gateway.Journal.Events.OfType<CommandSessionLost>()).Since, before, after);
        await second.StopAsync();
    }

    [Fact]
    public async Task Since_is_when_the_connection_went_not_when_a_slow_journal_let_the_loop_note_it()
    {
        var port = MosquittoBroker.FreePort();
        var first = await InProcessBroker.StartAsync(port, persistentSessions: true);
        await using var gateway = new CommandHarness(output, port);
        await gateway.StartAsync();
        var (held, release) = gateway.Journal.HoldNext<SessionTakenOver>();
        var before = DateTimeOffset.UtcNow;

        await first.DisconnectClientAsync(gateway.Subscriber!.Options.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.SessionTakenOver });
        await held.WaitAsync(Patience);
        var went = DateTimeOffset.UtcNow;
        // A journal flush this slow (a busy SD card) must not move the loss's time.
        await Task.Delay(TimeSpan.FromSeconds(2));
        await first.StopAsync();
        first.Dispose();
        using var second = await InProcessBroker.StartAsync(port, persistentSessions: true);
        release.SetResult();

        await Eventually.TrueAsync(() => gateway.Journal.Events.OfType<CommandSessionLost>().Any(), Patience, "command.session-lost");
        Assert.InRange(Assert.Single(gateway.Journal.Events.OfType<CommandSessionLost>()).Since, before, went);
        await second.StopAsync();
    }
}
