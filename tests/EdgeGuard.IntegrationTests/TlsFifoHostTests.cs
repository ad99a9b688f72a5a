using System.Diagnostics;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// mqtt.tls.keyFile names a named pipe (a secrets agent's FIFO, <c>/dev/stdin</c>, a wrong path).
/// The key was read blocking while the host built its hosted services (the client ids are derived
/// from it), so nothing started: no controller, outputs undefined, systemd restarting it in a loop.
/// Like a missing key (<see cref="MissingTlsFileHostTests"/>) it must cost the office link only,
/// which says why: the key is not a regular file.
/// </summary>
public sealed class TlsFifoHostTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task With_a_pipe_at_its_key_path_the_gateway_starts_arms_and_names_the_file_as_not_a_regular_file()
    {
        using var state = new TempDirectory();
        var pki = new TestPki(state.Path);
        var (cert, _) = pki.IssueClient("gw-chancery");
        var pipe = state.File("gateway.key");
        using (var mkfifo = Process.Start("mkfifo", [pipe]))
        {
            await mkfifo.WaitForExitAsync();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var start = Task.Run(() => TestGateway.StartAsync(
            state.Path,
            overrides: MissingTlsFileHostTests.TlsOverrides(TestGateway.FreeLoopbackPort(), pki.CaFile, cert, pipe)));
        try
        {
            await using var gateway = await start.WaitAsync(TimeSpan.FromSeconds(20));

            Assert.Equal(SiteMode.Normal, gateway.Controller.Current!.Mode);
            var publisher = gateway.Host.Services.GetRequiredService<OutboxPublisher>();
            await Eventually.TrueAsync(() => publisher.TlsFileProblem is not null, Patience, "the publisher reports the key file");
            Assert.Equal(0, publisher.Connects);
            Assert.StartsWith($"TLS client key file '{pipe}' (mqtt.tls.keyFile) is not a regular file", publisher.TlsFileProblem, StringComparison.Ordinal);
        }
        finally
        {
            // A start that did block waits in open(2) for a writer; opening for reading and writing
            // never blocks, counts as one, and lets it see end-of-file, so the test process can end.
            using var both = new FileStream(pipe, FileMode.Open, FileAccess.ReadWrite);
        }
    }
}
