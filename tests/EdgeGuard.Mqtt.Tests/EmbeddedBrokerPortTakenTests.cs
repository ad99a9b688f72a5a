using System.Net;
using System.Net.Sockets;
using EdgeGuard.Mqtt.Broker;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>The quick start's first failure on a machine that already runs a broker on 1883.</summary>
public sealed class EmbeddedBrokerPortTakenTests
{
    [Fact]
    public async Task A_taken_port_names_the_environment_variables_a_shell_can_set()
    {
        using var other = new TcpListener(IPAddress.Loopback, 0);
        other.Start();
        var port = ((IPEndPoint)other.LocalEndpoint).Port;
        using var broker = new EmbeddedBroker(port, NullLogger<EmbeddedBroker>.Instance);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => broker.StartAsync(CancellationToken.None));

        // The colon form (EdgeGuard:mqtt:port) cannot be typed as an environment variable in bash;
        // the README's double-underscore form can, and with a value it is one copy-paste.
        Assert.Contains($"cannot listen on 127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"EdgeGuard__mqtt__port={port + 1}", error.Message, StringComparison.Ordinal);
        Assert.Contains("EdgeGuard__mqtt__host=127.0.0.1", error.Message, StringComparison.Ordinal);
    }
}
