using System.Security.Cryptography;
using EdgeGuard.Configuration;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// <c>validate</c> (which provisioning runs as the service's user) loads the TLS files as the broker
/// connection will: a file that cannot be read, a CA file with no certificate, or a key that does
/// not load with its certificate is a config error naming the file. Before, each passed validate and
/// left the gateway offline for good, every connect failing with the same log line. <c>run</c> does
/// not even require them to exist, so a key that goes bad or missing after provisioning (a botched
/// rotation) cannot keep the gateway from protecting the site: it warns, naming the file.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class TlsFilesConfigTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki;
    private readonly (string Cert, string Key) _client;

    public TlsFilesConfigTests()
    {
        _pki = new TestPki(_dir.Path);
        _client = _pki.IssueClient("gw-chancery");
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_test_pki_files_load()
    {
        var result = WithTls(_pki.CaFile, _client.Cert, _client.Key);

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void An_encrypted_key_is_an_error_at_the_key_file()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var encrypted = Path.Combine(_dir.Path, "encrypted.key");
        File.WriteAllText(encrypted, key.ExportEncryptedPkcs8PrivateKeyPem("passphrase", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 100_000)));
        File.SetUnixFileMode(encrypted, UnixFileMode.UserRead | UnixFileMode.UserWrite); // a key's mode, so only the encryption is wrong

        TestConfigs.AssertError(WithTls(_pki.CaFile, _client.Cert, encrypted), "EdgeGuard:mqtt:tls:keyFile", "do not load as a pair", encrypted);
    }

    [Fact]
    public void Run_does_not_load_them_a_bad_key_leaves_the_site_protected_and_the_link_down()
    {
        var other = _pki.IssueClient("gw-annex");

        var result = WithTls(_pki.CaFile, _client.Cert, other.Key, loadFiles: false);

        Assert.True(result.IsValid, result.ToReport());
    }

    [Fact]
    public void Run_starts_without_a_missing_key_and_warns_naming_it()
    {
        var missing = Path.Combine(_dir.Path, "rotated", "gw-chancery.key");

        var result = WithTls(_pki.CaFile, _client.Cert, missing, loadFiles: false);

        Assert.True(result.IsValid, result.ToReport());
        Assert.Equal(missing, result.Config!.Mqtt.Tls!.ClientKeyFile); // the link still insists on it
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("EdgeGuard:mqtt:tls:keyFile", warning.Path);
        Assert.Contains($"file '{missing}' does not exist", warning.Message, StringComparison.Ordinal);
        Assert.Contains("without the office link", warning.Message, StringComparison.Ordinal);
    }

    // TLS with only the CA: the office broker either lets anonymous clients in (then any of them
    // can publish as this gateway) or refuses every connect. validate passed it silently.
    [Fact]
    public void Validate_refuses_an_office_broker_with_neither_a_client_certificate_nor_a_username()
    {
        var result = TestConfigs.Read(k => OfficeBrokerWithOnlyTheCa(k), loadFiles: true);

        TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls", "no identity for the office broker", "certFile", "username");
    }

    [Fact]
    public void Run_starts_with_an_anonymous_office_broker_and_warns()
    {
        var result = TestConfigs.Read(k => OfficeBrokerWithOnlyTheCa(k), loadFiles: false);

        Assert.True(result.IsValid, result.ToReport());
        var warning = Assert.Single(result.Warnings);
        Assert.Equal("EdgeGuard:mqtt:tls", warning.Path);
        Assert.Contains("anonymously", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_username_over_tls_is_an_identity()
    {
        var result = TestConfigs.Read(
            k =>
            {
                OfficeBrokerWithOnlyTheCa(k);
                k.Set("mqtt:username", "gw-chancery");
                k.Set("mqtt:password", "s3cret");
            },
            loadFiles: true);

        Assert.True(result.IsValid, result.ToReport());
        Assert.Empty(result.Warnings);
    }

    // Unpinned, any certificate a public CA issued for the broker's name passed: an impostor broker
    // took the events, acknowledged them (counted delivered, never seen by the office) and the
    // password. A template's blank caFile reads as none.
    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Validate_refuses_an_office_broker_that_is_not_pinned_and_run_warns(string? caFile)
    {
        void Unpinned(Dictionary<string, string?> k)
        {
            k.Set("mqtt:host", "broker.office.example");
            k.Set("mqtt:port", "8883");
            k.Set("mqtt:username", "gw-chancery");
            k.Set("mqtt:password", "s3cret");
            k.Set("mqtt:tls:enabled", "true");
            if (caFile is not null)
            {
                k.Set("mqtt:tls:caFile", caFile);
            }
        }

        var validate = TestConfigs.Read(Unpinned, loadFiles: true);
        var run = TestConfigs.Read(Unpinned, loadFiles: false);

        TestConfigs.AssertError(validate, "EdgeGuard:mqtt:tls:caFile", "is not pinned", "mqtt.tls.caFile");
        Assert.True(run.IsValid, run.ToReport());
        var warning = Assert.Single(run.Warnings);
        Assert.Equal("EdgeGuard:mqtt:tls:caFile", warning.Path);
        Assert.Contains("trusting the system's CA store", warning.Message, StringComparison.Ordinal);
    }

    private void OfficeBrokerWithOnlyTheCa(Dictionary<string, string?> keys)
    {
        keys.Set("mqtt:host", "broker.office.example");
        keys.Set("mqtt:port", "8883");
        keys.Set("mqtt:tls:caFile", _pki.CaFile);
    }

    [Fact]
    public void Validate_refuses_every_missing_file_naming_each()
    {
        var missingCa = Path.Combine(_dir.Path, "rotated", "office-ca.pem");
        var missingKey = Path.Combine(_dir.Path, "rotated", "gw-chancery.key");

        var result = WithTls(missingCa, _client.Cert, missingKey);

        TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls:caFile", $"file '{missingCa}' does not exist");
        TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls:keyFile", $"file '{missingKey}' does not exist");
        Assert.Equal(2, result.Errors.Count);
        Assert.Empty(result.Warnings);
    }

    // File.Exists is false for a directory, and for a file behind a directory the service cannot
    // enter, as for nothing there: each is named for what it is (TlsFile.Absence; the closed
    // directory's case is in EdgeGuard.Mqtt.Tests, since root enters every directory).
    [Fact]
    public void A_directory_given_as_a_TLS_file_is_named_a_directory_not_missing()
    {
        var directory = Path.Combine(_dir.Path, "tls");
        Directory.CreateDirectory(directory);

        TestConfigs.AssertError(WithTls(directory, _client.Cert, _client.Key), "EdgeGuard:mqtt:tls:caFile", $"file '{directory}' is a directory, not a file");
        var warning = Assert.Single(WithTls(directory, _client.Cert, _client.Key, loadFiles: false).Warnings);
        Assert.Equal("EdgeGuard:mqtt:tls:caFile", warning.Path);
        Assert.StartsWith($"file '{directory}' is a directory, not a file: the gateway runs without the office link until it can be read", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_config_with_its_files_in_place_has_no_warning()
    {
        Assert.Empty(WithTls(_pki.CaFile, _client.Cert, _client.Key, loadFiles: false).Warnings);
    }

    [Fact]
    public void Another_certificates_key_is_an_error_at_the_key_file()
    {
        var other = _pki.IssueClient("gw-annex");

        TestConfigs.AssertError(WithTls(_pki.CaFile, _client.Cert, other.Key), "EdgeGuard:mqtt:tls:keyFile", "do not load as a pair");
    }

    [Fact]
    public void A_ca_file_without_a_certificate_is_an_error_at_the_ca_file()
    {
        var notACert = Path.Combine(_dir.Path, "ca.pem");
        File.WriteAllText(notACert, "the office's CA goes here\n");

        TestConfigs.AssertError(WithTls(notACert, _client.Cert, _client.Key), "EdgeGuard:mqtt:tls:caFile", "holds no PEM certificate");
    }

    [Fact]
    public void A_file_that_cannot_be_read_is_an_error_naming_it()
    {
        // /proc/self/mem stands in for a key the service's user may not read: a regular file that
        // is there and whose read fails (EIO), root included.
        const string Unreadable = "/proc/self/mem";

        TestConfigs.AssertError(WithTls(_pki.CaFile, _client.Cert, Unreadable), "EdgeGuard:mqtt:tls:keyFile", $"file '{Unreadable}' cannot be read");
    }

    [Fact]
    public void A_socket_at_a_tls_path_is_an_error_saying_it_is_not_a_regular_file()
    {
        var socketPath = Path.Combine(_dir.Path, "gateway.key");
        using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(socketPath));

        TestConfigs.AssertError(WithTls(_pki.CaFile, _client.Cert, socketPath), "EdgeGuard:mqtt:tls:keyFile", $"file '{socketPath}' is not a regular file");
    }

    // A secrets agent's pipe (or /dev/stdin) at a TLS path: validate opened it blocking and waited
    // for a writer forever. Opened as operator key files are, it is refused at once, every TLS
    // setting alike, with every other problem listed.
    [Fact]
    public async Task A_pipe_at_each_tls_path_is_an_error_saying_it_is_not_a_regular_file_without_waiting_for_a_writer()
    {
        var pipes = new[] { "ca.pipe", "cert.pipe", "key.pipe" }.Select(_dir.File).ToArray();
        foreach (var pipe in pipes)
        {
            using var mkfifo = System.Diagnostics.Process.Start("mkfifo", [pipe]);
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        try
        {
            var result = await Task.Run(() => WithTls(pipes[0], pipes[1], pipes[2])).WaitAsync(TimeSpan.FromSeconds(10));

            TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls:caFile", $"file '{pipes[0]}' is not a regular file");
            TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls:certFile", $"file '{pipes[1]}' is not a regular file");
            TestConfigs.AssertError(result, "EdgeGuard:mqtt:tls:keyFile", $"file '{pipes[2]}' is not a regular file");
        }
        finally
        {
            // A reader that did block waits in open(2) for a writer; opening for reading and writing
            // never blocks, counts as one, and lets it see end-of-file, so no thread is left behind.
            foreach (var pipe in pipes)
            {
                using var both = new FileStream(pipe, FileMode.Open, FileAccess.ReadWrite);
            }
        }
    }

    private static ConfigResult WithTls(string ca, string cert, string key, bool loadFiles = true) =>
        TestConfigs.ReadWithTls(ca, cert, key, loadFiles);
}
