using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Mqtt.Contract;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A named pipe at a TLS file's path (a secrets agent's FIFO, <c>/dev/stdin</c>, a wrong path). A
/// blocking open waits for a writer forever: at start (the client ids are derived while the host
/// builds its services, so nothing, the site controller included, would start) or in the
/// publisher's loop (no fault, no reconnect). The files are opened as operator key files are
/// (CheckedFile: without blocking, the open handle checked), so a pipe is refused at once like a
/// missing file, naming the file and setting.
/// </summary>
public sealed class TlsFifoTests : IDisposable
{
    // Far longer than a refusal takes; a blocked open never returns without a writer.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _dir = new();
    private readonly TestPki _pki;
    private readonly (string Cert, string Key) _client;
    private readonly string _fifo;

    public TlsFifoTests()
    {
        _pki = new TestPki(_dir.Path);
        _client = _pki.IssueClient("gw-1");
        _fifo = _dir.File("agent.pipe");
        using var mkfifo = Process.Start("mkfifo", _fifo)!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    public void Dispose()
    {
        ReleaseBlockedReader();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_pipe_at_the_key_path_gives_random_client_ids_at_start_instead_of_blocking()
    {
        var resolve = Task.Run(() => (Options: ClientIds.Resolve(Options(key: _fifo), out var problem), Problem: problem));

        var (options, problem) = await resolve.WaitAsync(Patience);

        Assert.NotNull(problem);
        Assert.Contains($"client key file '{_fifo}' (mqtt.tls.keyFile)", problem, StringComparison.Ordinal);
        Assert.Contains("not a regular file", problem, StringComparison.Ordinal);
        Assert.StartsWith("edgeguard-gw-1-", options.ClientId, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ca", "CA certificate file", "mqtt.tls.caFile")]
    [InlineData("cert", "client certificate file", "mqtt.tls.certFile")]
    [InlineData("key", "client key file", "mqtt.tls.keyFile")]
    public async Task A_pipe_at_a_tls_path_refuses_the_connect_attempt_at_once_naming_the_file(string which, string named, string setting)
    {
        var options = which switch
        {
            "ca" => Options(ca: _fifo),
            "cert" => Options(cert: _fifo),
            _ => Options(key: _fifo),
        };

        var build = Task.Run(() => ClientOptionsFactory.Build(options, new Topics("site-1", "gw-1"), session: 1));
        var refused = await Assert.ThrowsAsync<TlsFileException>(() => build.WaitAsync(Patience));

        Assert.Contains($"{named} '{_fifo}' ({setting})", refused.Message, StringComparison.Ordinal);
        Assert.Contains("not a regular file", refused.Message, StringComparison.Ordinal);
    }

    private MqttPublisherOptions Options(string? ca = null, string? cert = null, string? key = null) => PublisherHarness.Plain(8883, "gw-1") with
    {
        Host = "broker.office.example",
        Tls = new MqttTlsOptions
        {
            CaCertificateFile = ca ?? _pki.CaFile,
            ClientCertificateFile = cert ?? _client.Cert,
            ClientKeyFile = key ?? _client.Key,
            RevocationMode = X509RevocationMode.NoCheck,
        },
    };

    // A reader that did block (the bug) waits in open(2) for a writer. Opening the pipe for reading
    // and writing never blocks and counts as that writer; closing it lets the reader see
    // end-of-file, so a failing test leaves no thread behind.
    private void ReleaseBlockedReader()
    {
        using var both = new FileStream(_fifo, FileMode.Open, FileAccess.ReadWrite);
    }
}
