using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Contract;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A TLS file of the gateway's own that is missing or does not load (a botched certificate rotation)
/// is the link's problem, not the options': the publisher is built (the host, locks included, runs),
/// never connects without the file, and reports it as one <c>fault.broker</c> however often it retries.
/// </summary>
public sealed class TlsFileTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Missing_files_are_named_by_setting_and_are_not_an_options_error()
    {
        var tls = new MqttTlsOptions { CaCertificateFile = _dir.File("ca.pem"), ClientCertificateFile = _dir.File("gw.crt"), ClientKeyFile = _dir.File("gw.key") };
        var options = Options(tls);

        Assert.Empty(options.Validate());
        Assert.Equal(
            [
                $"CA certificate file '{_dir.File("ca.pem")}' (mqtt.tls.caFile) does not exist",
                $"client certificate file '{_dir.File("gw.crt")}' (mqtt.tls.certFile) does not exist",
                $"client key file '{_dir.File("gw.key")}' (mqtt.tls.keyFile) does not exist",
            ],
            tls.FileProblems());
        Assert.Empty((tls with { Enabled = false }).FileProblems()); // not used, so not missed
    }

    [Fact]
    public void Client_options_are_never_built_without_a_missing_key()
    {
        var pki = new TestPki(_dir.Path);
        var (cert, _) = pki.IssueClient("gw-1");
        var options = Options(new MqttTlsOptions { CaCertificateFile = pki.CaFile, ClientCertificateFile = cert, ClientKeyFile = _dir.File("gw.key") });

        var refused = Assert.Throws<FileNotFoundException>(() => ClientOptionsFactory.Build(options, new Topics("site-1", "gw-1"), session: 1));

        Assert.Equal($"tls: client key file '{_dir.File("gw.key")}' (mqtt.tls.keyFile) does not exist", refused.Message);
    }

    [Fact]
    public async Task A_missing_key_raises_one_broker_fault_however_often_the_publisher_retries()
    {
        var pki = new TestPki(_dir.Path);
        var (cert, _) = pki.IssueClient("gw-1");
        var key = _dir.File("gw.key");
        await using var harness = new PublisherHarness(
            Options(new MqttTlsOptions { CaCertificateFile = pki.CaFile, ClientCertificateFile = cert, ClientKeyFile = key }), output);

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.ConnectAttempts >= 3, Patience, "three connect attempts");

        var fault = Assert.IsType<BrokerFault>(Assert.Single(harness.Faults.Events));
        Assert.Equal($"the gateway's TLS client key file '{key}' (mqtt.tls.keyFile) does not exist", fault.Reason);
        Assert.Equal($"TLS client key file '{key}' (mqtt.tls.keyFile) does not exist", harness.Publisher.TlsFileProblem);
        Assert.Equal(0, harness.Publisher.Connects);
        Assert.True(harness.Publisher.BrokerRefusals >= 3);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_key_that_does_not_load_is_reported_the_same_way_naming_why()
    {
        var pki = new TestPki(_dir.Path);
        var (cert, _) = pki.IssueClient("gw-1");
        var key = _dir.File("gw.key");
        await File.WriteAllTextAsync(key, "truncated by a rotation script\n");
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite); // a key's mode: only its content is wrong
        await using var harness = new PublisherHarness(
            Options(new MqttTlsOptions { CaCertificateFile = pki.CaFile, ClientCertificateFile = cert, ClientKeyFile = key }), output);

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.ConnectAttempts >= 3, Patience, "three connect attempts");

        var fault = Assert.IsType<BrokerFault>(Assert.Single(harness.Faults.Events));
        // The setting and both paths, then the runtime's reason: the runtime's words alone name
        // neither the file nor the line of the configuration to mend.
        var named = $"TLS client certificate file '{cert}' (mqtt.tls.certFile) and client key file '{key}' (mqtt.tls.keyFile) do not load as a pair";
        Assert.StartsWith("the gateway's " + named, fault.Reason, StringComparison.Ordinal);
        Assert.StartsWith(named, harness.Publisher.TlsFileProblem, StringComparison.Ordinal);
        Assert.True(harness.Publisher.TlsFileProblem!.Length > named.Length + 100, "the runtime's reason follows: " + harness.Publisher.TlsFileProblem);
        Assert.Equal(0, harness.Publisher.Connects);
    }

    // A CA file that is there but holds no certificate, or a damaged one: named with its setting.
    [Fact]
    public void A_CA_file_that_does_not_load_is_named_with_its_setting_and_path()
    {
        var pki = new TestPki(_dir.Path);
        var (cert, key) = pki.IssueClient("gw-1");
        var ca = _dir.File("ca.pem");
        File.WriteAllText(ca, "the office CA, pasted from an email\n");
        var options = Options(new MqttTlsOptions { CaCertificateFile = ca, ClientCertificateFile = cert, ClientKeyFile = key });

        var empty = Assert.ThrowsAny<Exception>(() => ClientOptionsFactory.Build(options, new Topics("site-1", "gw-1"), session: 1));
        Assert.Equal($"CA certificate file '{ca}' (mqtt.tls.caFile) holds no PEM certificate", empty.Message);

        // Base64 that is no certificate: a copy cut short.
        File.WriteAllText(ca, "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n");
        var damaged = Assert.ThrowsAny<Exception>(() => ClientOptionsFactory.Build(options, new Topics("site-1", "gw-1"), session: 1));
        Assert.StartsWith($"CA certificate file '{ca}' (mqtt.tls.caFile) does not load as PEM certificates: ", damaged.Message, StringComparison.Ordinal);
    }

    // A file that is there but cannot be read (here /proc/self/mem: it exists, and reading it from the
    // start fails with EIO; a key readable only by another group fails the same way for the service):
    // not a pair or PEM problem, and the message must not send the technician after one.
    [Fact]
    public void A_file_that_cannot_be_read_is_named_as_unreadable_not_as_a_bad_pair_or_bad_PEM()
    {
        const string Unreadable = "/proc/self/mem";
        var pki = new TestPki(_dir.Path);
        var (cert, key) = pki.IssueClient("gw-1");

        var keyFails = Assert.ThrowsAny<Exception>(() => ClientOptionsFactory.Build(
            Options(new MqttTlsOptions { CaCertificateFile = pki.CaFile, ClientCertificateFile = cert, ClientKeyFile = Unreadable }),
            new Topics("site-1", "gw-1"), session: 1));
        Assert.StartsWith($"client key file '{Unreadable}' (mqtt.tls.keyFile) cannot be read: ",
            keyFails.Message, StringComparison.Ordinal);

        var caFails = Assert.ThrowsAny<Exception>(() => ClientOptionsFactory.Build(
            Options(new MqttTlsOptions { CaCertificateFile = Unreadable, ClientCertificateFile = cert, ClientKeyFile = key }),
            new Topics("site-1", "gw-1"), session: 1));
        Assert.StartsWith($"CA certificate file '{Unreadable}' (mqtt.tls.caFile) cannot be read: ", caFails.Message, StringComparison.Ordinal);
    }

    // A broker nobody listens on: every attempt that got as far as a socket would show as a refused
    // connect, not as the TLS file fault.
    private static MqttPublisherOptions Options(MqttTlsOptions tls) =>
        PublisherHarness.Plain(MosquittoBroker.FreePort()) with { Tls = tls with { RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck } };
}
