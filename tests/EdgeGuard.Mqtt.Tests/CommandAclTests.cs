using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
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
}
