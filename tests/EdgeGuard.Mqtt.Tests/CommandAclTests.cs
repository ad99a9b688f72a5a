using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Core.Commands;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
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

    private string _pkiDirectory = string.Empty;
    private TestPki _pki = null!;
    private MosquittoBroker _broker = null!;

    public async Task InitializeAsync()
    {
        _pkiDirectory = Directory.CreateTempSubdirectory("edgeguard-pki-").FullName;
        _pki = new TestPki(_pkiDirectory);
        var (cert, key) = _pki.IssueServer();
        _broker = await MosquittoBroker.StartAsync(new MosquittoSettings { CaFile = _pki.CaFile, CertFile = cert, KeyFile = key, Acl = Acl });
    }

    public async Task DisposeAsync()
    {
        output.WriteLine("--- mosquitto log ---\n" + _broker.Log);
        await _broker.DisposeAsync();
        Directory.Delete(_pkiDirectory, recursive: true);
    }

    [Fact]
    public async Task Over_pinned_mutual_tls_and_the_documented_acl_a_command_is_received_and_answered()
    {
        var (cert, key) = _pki.IssueClient(CommandHarness.Gateway);
        var broker = PublisherHarness.Plain(_broker.Port, CommandHarness.Gateway) with
        {
            Tls = new MqttTlsOptions { CaCertificateFile = _pki.CaFile, ClientCertificateFile = cert, ClientKeyFile = key, RevocationMode = X509RevocationMode.NoCheck },
        };
        await using var gateway = new CommandHarness(output, _broker.Port, broker: broker);
        await gateway.StartAsync();
        await using var office = await OfficeClient.ConnectAsync(_broker.Port, CommandHarness.Root, tls: OfficeTls());

        var results = await office.SendAndWaitAsync(gateway.Sign(CommandType.Lockdown), "over-tls", count: 2);

        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
    }

    private Action<MqttClientTlsOptionsBuilder> OfficeTls()
    {
        var (cert, key) = _pki.IssueClient("office");
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(_pki.CaFile);
        var certificate = X509Certificate2.CreateFromPemFile(cert, key);
        return tls => tls
            .UseTls()
            .WithTargetHost("127.0.0.1")
            .WithClientCertificates(new X509Certificate2Collection(certificate))
            .WithCertificateValidationHandler(a => ClientOptionsFactory.ValidatePinned(a.Certificate, a.Chain, a.SslPolicyErrors, anchors, X509RevocationMode.NoCheck));
    }
}
