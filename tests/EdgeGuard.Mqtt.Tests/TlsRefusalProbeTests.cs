using System.Net.Sockets;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet.Exceptions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// <see cref="TlsRefusalProbe"/> against real Mosquitto with mutual TLS: it hears the broker's alert
/// for a certificate the broker does not trust, and nothing from a broker that took the handshake.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class TlsRefusalProbeTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private TlsBroker _tls = null!;

    public async Task InitializeAsync() => _tls = await TlsBroker.StartAsync("pattern write edgeguard/v1/+/%u/#");

    public async Task DisposeAsync() => await _tls.DisposeAsync();

    [Fact]
    public async Task A_certificate_from_another_ca_is_heard_as_the_brokers_unknown_ca_alert()
    {
        var (certificate, key) = _tls.Foreign("rogue").IssueClient("gw-a");
        var options = GatewayOptions() with { Tls = _tls.GatewayTls("gw-a") with { ClientCertificateFile = certificate, ClientKeyFile = key } };

        var heard = await TlsRefusalProbe.ProbeAsync("127.0.0.1", _tls.Broker.Port, ClientOptionsFactory.BuildProbeTls(options), Timeout, TimeProvider.System, CancellationToken.None);

        Assert.NotNull(heard);
        Assert.Contains("alert unknown ca", LossText.Chain(heard), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broker_that_took_the_handshake_is_heard_saying_nothing()
    {
        var heard = await TlsRefusalProbe.ProbeAsync("127.0.0.1", _tls.Broker.Port, ClientOptionsFactory.BuildProbeTls(GatewayOptions()), Timeout, TimeProvider.System, CancellationToken.None);

        Assert.Null(heard);
    }

    [Fact]
    public async Task A_port_nobody_listens_on_is_no_tls_news()
    {
        using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var heard = await TlsRefusalProbe.ProbeAsync("127.0.0.1", port, ClientOptionsFactory.BuildProbeTls(GatewayOptions()), Timeout, TimeProvider.System, CancellationToken.None);

        Assert.Null(heard);
    }

    [Theory]
    [InlineData(SocketError.NotConnected, true)]
    [InlineData(SocketError.ConnectionReset, true)]
    [InlineData(SocketError.ConnectionAborted, true)]
    [InlineData(SocketError.ConnectionRefused, false)]
    [InlineData(SocketError.TimedOut, false)]
    [InlineData(SocketError.HostUnreachable, false)]
    public void Only_a_connection_the_broker_took_and_dropped_is_probed(SocketError error, bool probed)
    {
        // As MQTTnet throws it: its communication exception around the socket's.
        var failure = new MqttCommunicationException(new SocketException((int)error));

        Assert.Equal(probed, TlsRefusalProbe.MayBeRefusal(failure));
    }

    private MqttPublisherOptions GatewayOptions() =>
        PublisherHarness.Plain(_tls.Broker.Port, "gw-a") with { Tls = _tls.GatewayTls("gw-a") };
}
