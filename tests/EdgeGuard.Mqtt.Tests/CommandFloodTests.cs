using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A flood on the command topic: QoS 0 messages are outside Receive Maximum, so without a bound
/// they would pile up in the gateway's memory while each command is journaled in turn. At the
/// limit reading is held and the flood journaled once; no QoS 1 command is lost. Real Mosquitto.
/// QoS 1 floods: CommandQos1FloodTests.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class CommandFloodTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    // Limits lowered from their defaults (16,384 messages, 16 MiB) so that 500 small messages
    // reach them: by count, then by bytes.
    [Theory]
    [InlineData(16, 16L * 1024 * 1024)]
    [InlineData(16_384, 256 * 1024)]
    public async Task A_qos0_flood_holds_reading_at_its_backlog_is_journaled_and_no_qos1_command_is_lost(int maxBacklog, long maxBacklogBytes)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port, broker: ShippedKeepAlive(broker), tune: o => o with { MaxBacklog = maxBacklog, MaxBacklogBytes = maxBacklogBytes });
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        // A command held while it is journaled (a slow disk): nothing behind it is handled meanwhile.
        var (held, release) = gateway.Journal.HoldNextReceived();
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "before-flood");
        await held.WaitAsync(Patience);
        await CommandFlooder.PublishJunkAsync(broker.Port, 500, MqttQualityOfServiceLevel.AtMostOnce, padding: 1024);

        CommandRejected? Dropped() =>
            gateway.Journal.Events.OfType<CommandRejected>().FirstOrDefault(e => e.Detail.StartsWith("the command topic was flooded", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => Dropped() is not null, Patience, "the dropped backlog journaled");
        var dropped = Dropped()!;
        release.SetResult();

        Assert.Equal(CommandRejection.Unavailable, dropped.Rejection);
        Assert.Equal("", dropped.CommandId);
        // The held command, once its journal write is done, is answered and executed once.
        await Eventually.TrueAsync(() => office.Results.Any(r => r.Correlation == "before-flood" && r.Result == "done"), Patience, "the held command done");
        var after = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "after-flood", count: 2, timeout: Patience);
        Assert.Equal(["accepted", "done"], after.Select(r => r.Result));
        Assert.Equal(2, gateway.Executor.Executed.Count);
        // Far fewer than the 500 were handled one by one: the rest went with the connection.
        Assert.True(gateway.Journal.Events.OfType<CommandRejected>().Count() < 100, $"{gateway.Journal.Events.Count} events journaled");
    }

    // Reading held while a flood is worked off slowly (each record 3 s, a slow disk), longer each
    // time than a keep-alive (2 s here): MQTTnet pings once nothing was sent for a keep-alive and
    // cannot read the answer while reading is held, so it dropped the connection though messages
    // were being handled, and the broker sent them again (a QoS 0 flood, which sends no PUBACKs,
    // too: at the shipped settings, in a hold over 15 s). Not at a 1 s keep-alive, which the
    // options refuse: Mosquitto counts silence in whole seconds and dropped the gateway, silent
    // from a PUBACK to MQTTnet's ping 1 to 1.25 s later, once that crossed two second boundaries
    // (CI, and 1 run in 8 beside three CPU burners).
    [Fact]
    public async Task A_flood_worked_off_slowly_keeps_its_connection_while_reading_is_held()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port, broker: PublisherHarness.Plain(broker.Port), tune: o => o with { MaxBacklog = 2 });
        await gateway.StartAsync();
        gateway.Journal.Delay = TimeSpan.FromSeconds(3);

        await CommandFlooder.PublishJunkAsync(broker.Port, 4, MqttQualityOfServiceLevel.AtLeastOnce);

        await Eventually.TrueAsync(() => gateway.Subscriber!.Received >= 4, Patience, "every message of the flood handled");
        var connections = broker.Log.Split('\n').Count(line => line.Contains(" as edgeguard-gw-1-commands ", StringComparison.Ordinal));
        Assert.True(connections == 1, $"{connections} connections of the gateway\n{broker.Log}");
        Assert.Equal(4, gateway.Subscriber!.Received);
        Assert.Equal(0, gateway.Subscriber.FloodDrops);
    }

    // MQTTnet pings once nothing was sent for a keep-alive and ends the connection if the answer is
    // not read within half a keep-alive; while reading is held the broker's answer waits behind the
    // flood. The subscriber's own pings every half keep-alive kept MQTTnet from pinging, until the
    // process stalled for half a keep-alive (a loaded host: seen in CI, and 4 in 25 runs of the
    // test above beside two CPU burners), and a ping of MQTTnet's sent just before a hold began
    // was never kept back. Now a ping written while reading is held is answered at once
    // (HeldReadingAdapter): this one, as MQTTnet's own is, within half a keep-alive. At the shipped
    // keep-alive and timeout (10 s), so that a stalled host cannot fail it and the stall drop,
    // a timeout with nothing handled, comes after the half keep-alive.
    [Fact]
    public async Task A_ping_while_reading_is_held_is_answered_within_half_a_keep_alive()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        var gate = new GatedMqttClient.Hook();
        var shipped = ShippedKeepAlive(broker) with { Timeout = TimeSpan.FromSeconds(10) };
        await using var gateway = new CommandHarness(output, broker.Port, broker: shipped, tune: o => o with { MaxBacklog = 2 }, gate: gate);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);
        var (held, release) = gateway.Journal.HoldNextReceived();
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "before-flood");
        await held.WaitAsync(Patience);
        await CommandFlooder.PublishJunkAsync(broker.Port, 4, MqttQualityOfServiceLevel.AtLeastOnce);
        await Eventually.TrueAsync(
            () => gateway.Journal.Events.OfType<CommandRejected>().Any(e => e.Detail.StartsWith("the command topic was flooded", StringComparison.Ordinal)),
            Patience, "reading held at the flood limit");

        using (var halfKeepAlive = new CancellationTokenSource(gateway.Subscriber!.Options.Broker.KeepAlive / 2))
        {
            await gate.Last!.PingAsync(halfKeepAlive.Token);
        }

        release.SetResult();
        await Eventually.TrueAsync(() => office.Results.Any(r => r.Correlation == "before-flood" && r.Result == "done"), Patience, "the held command done");
        await Eventually.TrueAsync(() => gateway.Subscriber.Received >= 5, Patience, "every message of the flood handled");
        var connections = broker.Log.Split('\n').Count(line => line.Contains(" as edgeguard-gw-1-commands ", StringComparison.Ordinal));
        Assert.True(connections == 1, $"{connections} connections of the gateway\n{broker.Log}");
        Assert.Equal(0, gateway.Subscriber.FloodDrops);
    }

    // The broker gone (killed: the socket reset) while reading is held and the flood is worked off
    // slowly: a write fails (a PINGREQ, or a PUBACK: while they go every half second MQTTnet does
    // not ping), which lets the hold go, and MQTTnet's receive loop meets the end. With the
    // failures ignored, the dead connection went unnoticed until the backlog was worked off (over
    // 20 s here).
    [Theory]
    [InlineData(MqttQualityOfServiceLevel.AtMostOnce, 1000)]
    [InlineData(MqttQualityOfServiceLevel.AtLeastOnce, 500)]
    public async Task A_broker_gone_while_reading_is_held_is_noticed_within_seconds(MqttQualityOfServiceLevel qos, int perMessageMs)
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port, broker: PublisherHarness.Plain(broker.Port), tune: o => o with { MaxBacklog = 4 });
        await gateway.StartAsync();
        gateway.Journal.Delay = TimeSpan.FromMilliseconds(perMessageMs);
        await CommandFlooder.PublishJunkAsync(broker.Port, 40, qos);
        await Eventually.TrueAsync(() => gateway.Subscriber!.Received >= 2, Patience, "reading held, the flood being worked off");

        await broker.StopAsync(graceful: false);

        await Eventually.TrueAsync(() => !gateway.Subscriber!.IsSubscribed, TimeSpan.FromSeconds(10), "the broker's end noticed");
        Assert.True(gateway.Subscriber!.Received < 40, $"{gateway.Subscriber.Received} of 40 handled: the backlog was worked off first");
    }

    // Reading held at the limit while the handler cannot move (its journal stalled): after a
    // timeout (the harness's 5 s) the connection is dropped with the backlog, memory freed; the
    // held command, acknowledged or not, is answered and executed once, and the office's next one too.
    [Fact]
    public async Task Reading_held_with_nothing_handled_for_a_timeout_drops_the_connection_and_loses_no_qos1_command()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = new CommandHarness(output, broker.Port, broker: ShippedKeepAlive(broker), tune: o => o with { MaxBacklog = 16 });
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(broker.Port, CommandHarness.Root);

        var (held, release) = gateway.Journal.HoldNextReceived();
        await office.SendAsync(gateway.Sign(CommandType.Lockdown), "before-flood");
        await held.WaitAsync(Patience);
        await CommandFlooder.PublishJunkAsync(broker.Port, 200, MqttQualityOfServiceLevel.AtLeastOnce);

        await Eventually.TrueAsync(() => gateway.Subscriber!.FloodDrops == 1, Patience, "the stalled connection dropped");
        release.SetResult();

        await Eventually.TrueAsync(() => office.Results.Any(r => r.Correlation == "before-flood" && r.Result == "done"), Patience, "the held command done");
        var after = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "after-flood", count: 2, timeout: Patience);
        Assert.Equal(["accepted", "done"], after.Select(r => r.Result));
        Assert.Equal(2, gateway.Executor.Executed.Count);
        Assert.Equal(1, gateway.Journal.Events.OfType<CommandRejected>().Count(e => e.Detail.StartsWith("the command topic was flooded", StringComparison.Ordinal)));
    }

    // These tests count answers exactly, and the harness's 2 s keep-alive gives a ping 1 s: beside
    // a 40k flood test on two cores one went unanswered once, the connection ended, and the
    // broker's redelivery of a handled command was answered "done" again (the contract's at least
    // once). Likely the process stalled for half a keep-alive under that load, or a ping of
    // MQTTnet's was sent just before a hold began: both are answered now (HeldReadingAdapter), but
    // a broker slow under that load is not. At the shipped keep-alive (10 s) the flood drop, at the
    // 5 s timeout, is the only end these tests make.
    private static MqttPublisherOptions ShippedKeepAlive(MosquittoBroker broker) =>
        PublisherHarness.Plain(broker.Port) with { KeepAlive = TimeSpan.FromSeconds(10) };
}
