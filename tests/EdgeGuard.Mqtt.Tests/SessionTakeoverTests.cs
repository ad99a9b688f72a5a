using System.Net;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
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
        using var broker = await StartMqttnetBrokerAsync(port);
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
        using var broker = await StartMqttnetBrokerAsync(port);
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

    // MQTTnet's broker on loopback: it can cut a client off with any DISCONNECT reason code.
    private static async Task<MqttServer> StartMqttnetBrokerAsync(int port)
    {
        var broker = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder()
            .WithDefaultEndpoint().WithDefaultEndpointBoundIPAddress(IPAddress.Loopback).WithDefaultEndpointPort(port).Build());
        await broker.StartAsync();
        return broker;
    }
}
