using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Mqtt.Contract;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The running gateway reads its TLS files again at every connect: whoever may write
/// <c>caFile</c>, or its folder, pins their own broker, and whoever may read <c>keyFile</c> holds
/// the gateway's broker identity. So the connect holds each to validate's rule
/// (<see cref="TlsFile.ModeProblem"/>) and is refused, naming the file and its setting (the
/// publisher's <c>fault.broker</c> reason); only the office link is lost, the site keeps its local
/// protection. Before, the key and the certificate were read whatever their modes.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsFileModeAtConnectTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki;
    private readonly (string Cert, string Key) _client;

    public TlsFileModeAtConnectTests()
    {
        _pki = new TestPki(_dir.Path);
        _client = _pki.IssueClient("gw-1");
        File.SetUnixFileMode(_client.Key, (UnixFileMode)0b110_100_000);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_ca_file_others_may_write_is_not_pinned_at_connect()
    {
        File.SetUnixFileMode(_pki.CaFile, (UnixFileMode)0b110_110_110);

        var refused = Assert.Throws<TlsFileException>(Build);

        Assert.Contains($"CA certificate file '{_pki.CaFile}' (mqtt.tls.caFile) is writable by group or others (mode 0666)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ca_file_in_a_folder_others_may_write_is_not_pinned_at_connect()
    {
        var folder = Directory.CreateDirectory(_dir.File("tls")).FullName;
        var ca = Path.Combine(folder, "ca.pem");
        File.Copy(_pki.CaFile, ca);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_111_111);

        var refused = Assert.Throws<TlsFileException>(() => Build(ca));

        Assert.Contains($"in directory '{folder}', which is writable by group or others", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ca_file_at_the_mode_provisioning_installs_is_pinned()
    {
        File.SetUnixFileMode(_pki.CaFile, (UnixFileMode)0b110_100_100);

        Assert.NotNull(Build());
    }

    [Fact]
    public void A_client_key_others_may_read_is_not_used_at_connect()
    {
        File.SetUnixFileMode(_client.Key, (UnixFileMode)0b110_100_100);

        var refused = Assert.Throws<TlsFileException>(Build);

        Assert.Contains($"client key file '{_client.Key}' (mqtt.tls.keyFile) is readable by others (mode 0644)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_client_certificate_others_may_write_is_not_used_at_connect()
    {
        File.SetUnixFileMode(_client.Cert, (UnixFileMode)0b110_110_110);

        var refused = Assert.Throws<TlsFileException>(Build);

        Assert.Contains($"'{_client.Cert}' (mqtt.tls.certFile) is writable by group or others (mode 0666)", refused.Message, StringComparison.Ordinal);
    }

    private object Build() => Build(_pki.CaFile);

    private object Build(string ca) => ClientOptionsFactory.Build(PublisherHarness.Plain(MosquittoBroker.FreePort()) with
    {
        Tls = new MqttTlsOptions
        {
            CaCertificateFile = ca, ClientCertificateFile = _client.Cert, ClientKeyFile = _client.Key,
            RevocationMode = X509RevocationMode.NoCheck,
        },
    }, new Topics("site-1", "gw-1"), session: 1);
}
