using System.Collections.Concurrent;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>The command path under the office broker's documented mutual-TLS set-up and ACL (src/EdgeGuard.Mqtt/README.md).</summary>
[Collection(BrokerCollection.Name)]
public sealed class CommandAclTests(ITestOutputHelper output) : IAsyncLifetime
{
    // The README's ACL: gateways write below their own id and read only their own commands topic;
    // the office reads everything and writes commands.
    private const string Acl = """
        pattern write edgeguard/v1/+/%u/#
        pattern read edgeguard/v1/+/%u/commands

        user office
        topic read edgeguard/v1/#
        topic write edgeguard/v1/+/+/commands
        """;

    private TlsBroker _tls = null!;

    public async Task InitializeAsync() => _tls = await TlsBroker.StartAsync(Acl);

    public async Task DisposeAsync()
    {
        output.WriteLine("--- mosquitto log ---\n" + _tls.Broker.Log);
        await _tls.DisposeAsync();
    }

    [Fact]
    public async Task Over_pinned_mutual_tls_and_the_documented_acl_a_command_is_received_and_answered()
    {
        var broker = PublisherHarness.Plain(_tls.Broker.Port, CommandHarness.Gateway) with { Tls = _tls.GatewayTls(CommandHarness.Gateway) };
        await using var gateway = new CommandHarness(output, _tls.Broker.Port, broker: broker);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(_tls.Broker.Port, CommandHarness.Root, tls: _tls.ClientTls("office"));

        var results = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "over-tls", count: 2);

        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
    }

    [Fact]
    public async Task An_intruder_with_the_old_guessable_commands_id_gets_no_command_and_the_gateway_gets_them_all()
    {
        // Slow to reconnect: were the intruder to take over the gateway's session, it would hold
        // it (and the command) long enough for the test to see.
        await using var gateway = new CommandHarness(output, _tls.Broker.Port, broker: GatewayBroker(), tune: o => o with
        {
            Broker = o.Broker with { ReconnectDelayMin = TimeSpan.FromSeconds(3), ReconnectDelayMax = TimeSpan.FromSeconds(4) },
        });
        await gateway.StartAsync();
        var stolen = new ConcurrentQueue<string>();
        using var intruder = await IntruderAsync("edgeguard-gw-1-commands", cleanStart: false, stolen);
        await using var office = await OfficeClient.ConnectAsync(_tls.Broker.Port, CommandHarness.Root, tls: _tls.ClientTls("office"));

        var results = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "past-the-intruder", count: 2);

        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
        Assert.Single(gateway.Journal.Events.OfType<CommandReceived>());
        Assert.Empty(stolen);
        Assert.True(intruder.IsConnected);
        Assert.Empty(gateway.Journal.Events.OfType<SessionTakenOver>());
    }

    [Fact]
    public async Task After_a_takeover_of_the_commands_id_the_gateway_reconnects_and_warns_that_queued_commands_may_be_lost()
    {
        await using var gateway = new CommandHarness(output, _tls.Broker.Port, broker: GatewayBroker());
        await gateway.StartAsync();
        Assert.Empty(gateway.Journal.Events.OfType<CommandSessionLost>()); // the first connect expects no session
        var before = DateTimeOffset.UtcNow;

        // Whoever holds the gateway's secret (here: the test, which reads the id) can take it over.
        using var intruder = await IntruderAsync(gateway.Subscriber!.Options.ClientId, cleanStart: true, new ConcurrentQueue<string>());

        // Mosquitto 2.0 closes the taken-over connection without reason 142 (its log says "already
        // connected, closing old connection"), so no fault.session-taken-over here: the office learns
        // it from command.session-lost. The gateway comes back (taking the id back), and the
        // intruder's clean start left no session.
        await Eventually.TrueAsync(() => gateway.Journal.Events.OfType<CommandSessionLost>().Any(), TimeSpan.FromSeconds(15), "command.session-lost");
        Assert.InRange(Assert.Single(gateway.Journal.Events.OfType<CommandSessionLost>()).Since, before, DateTimeOffset.UtcNow);
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            await gateway.Subscriber.WaitUntilSubscribedAsync(cts.Token);
        }

        await using var office = await OfficeClient.ConnectAsync(_tls.Broker.Port, CommandHarness.Root, tls: _tls.ClientTls("office"));
        var results = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "after-the-takeover", count: 2);
        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
    }

    // The gateway's broker options: its own certificate and key, which its client ids come from.
    private Publishing.MqttPublisherOptions GatewayBroker() =>
        PublisherHarness.Plain(_tls.Broker.Port, CommandHarness.Gateway) with { Tls = _tls.GatewayTls(CommandHarness.Gateway) };

    // A client with the office's certificate (a technician's watcher, say) that names itself
    // `clientId`; it receives whatever a session it takes over was subscribed to.
    private async Task<IMqttClient> IntruderAsync(string clientId, bool cleanStart, ConcurrentQueue<string> received)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += args =>
        {
            received.Enqueue(args.ApplicationMessage.Topic);
            return Task.CompletedTask;
        };
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", _tls.Broker.Port).WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId(clientId).WithCleanStart(cleanStart).WithSessionExpiryInterval(cleanStart ? 0u : 900u).WithTlsOptions(_tls.ClientTls("office")).Build());
        return client;
    }
}
