using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Hosting;
using EdgeGuard.Tests.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// The gateway's generic host (GatewayHost.Build, the real composition) over simulated hardware, its
/// configuration read and asserted valid first. <see cref="Build"/> only builds it, on the I/O board
/// sample, for tests that ask its container; <see cref="StartAsync"/> starts it on the shipped sample
/// with its embedded broker and waits for the boot, for tests that drive the whole gateway. Disposing
/// stops a started host, disposes it, then removes the temp directory it made (never one it was given).
/// </summary>
internal sealed class TestGatewayHost : IAsyncDisposable, IDisposable
{
    /// <summary>The I/O board sample: native lines, an MCP23017 and an MCP3008, all simulated here.</summary>
    public static readonly string BoardSample = Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json");

    // Starting takes the embedded broker and the journal's open; the boot then reads the lines.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory? _owned;
    private readonly bool _started;

    private TestGatewayHost(IHost host, TempDirectory? owned, bool started)
    {
        Host = host;
        _owned = owned;
        _started = started;
    }

    public IHost Host { get; }

    public IServiceProvider Services => Host.Services;

    /// <summary>
    /// The host on <see cref="BoardSample"/> with its state in a temp directory, built but not started:
    /// nothing runs until a test opens the lines or asks a service. <paramref name="services"/> replaces
    /// services after the gateway's own.
    /// </summary>
    public static TestGatewayHost Build(string[]? overrides = null, Action<IServiceCollection>? services = null)
    {
        var directory = new TempDirectory("eg-host-");
        try
        {
            return new(Compose(BoardSample, [$"EdgeGuard:stateDirectory={directory.Path}", .. overrides ?? []], services), directory, started: false);
        }
        catch
        {
            directory.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The whole simulated gateway on the shipped sample, started and booted: its state in
    /// <c>state</c> (or <paramref name="state"/>), its volatile journal in <c>run</c> and its simulator
    /// socket in <paramref name="directory"/> (a temp directory of its own by default), its embedded
    /// broker on a free port, and only warnings logged.
    /// </summary>
    public static async Task<TestGatewayHost> StartAsync(string[]? overrides = null, string? directory = null, string? state = null)
    {
        var owned = directory is null ? new TempDirectory("eg-gateway-") : null;
        var root = directory ?? owned!.Path;
        try
        {
            var host = Compose(TestConfigs.SamplePath,
                [
                    $"EdgeGuard:stateDirectory={state ?? Path.Combine(root, "state")}",
                    $"EdgeGuard:journal:fallbackDirectory={Path.Combine(root, "run")}",
                    $"EdgeGuard:simulation:controlSocket={Path.Combine(root, "sim.sock")}",
                    $"EdgeGuard:mqtt:port={MosquittoBroker.FreePort()}",
                    "Logging:LogLevel:Default=Warning",
                    .. overrides ?? [],
                ],
                services: null);
            // A host that does not start or boot in time is left as it is: stopping it could hang the
            // failure and disposing it could throw over it.
            await host.StartAsync().WaitAsync(StartTimeout);
            await host.Services.GetRequiredService<SiteController>().Booted.WaitAsync(BootTimeout);
            return new(host, owned, started: true);
        }
        catch
        {
            owned?.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await Host.StopAsync();
        }

        Host.Dispose();
        _owned?.Dispose();
    }

    // A host that was only built has nothing to stop: this completes at once, so the synchronous tests
    // that build one can use it with a plain using.
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static IHost Compose(string sample, string[] overrides, Action<IServiceCollection>? services)
    {
        var loaded = GatewayConfigLoader.Build(sample, overrides);
        Assert.Empty(loaded.Errors);
        var result = GatewayConfigReader.Read(loaded.Configuration, simulate: true);
        Assert.True(result.IsValid, result.ToReport());
        return GatewayHost.Build(result.Config!, loaded.Configuration, services);
    }
}
