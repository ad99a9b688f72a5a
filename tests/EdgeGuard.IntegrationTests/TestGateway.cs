using System.Net;
using System.Net.Sockets;
using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hosting;
using EdgeGuard.Journal;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The whole gateway host in simulate mode, built from the shipped appsettings.json exactly as
/// `edgeguard run --simulate` builds it, with state, socket and broker port moved to test-owned places.
/// </summary>
internal sealed class TestGateway : IAsyncDisposable
{
    private TestGateway(IHost host, GatewayConfig config)
    {
        Host = host;
        Config = config;
    }

    public IHost Host { get; }
    public GatewayConfig Config { get; }
    public RecordingSink Recorder { get; } = new();
    public SiteController Controller => Host.Services.GetRequiredService<SiteController>();
    public SimulatedGpioDriver Driver => Host.Services.GetRequiredService<SimulatedGpioDriver>();
    public SimulatorControlServer Simulator => Host.Services.GetRequiredService<SimulatorControlServer>();

    /// <summary>An in-process link to the simulator protocol (the socket path is tested separately).</summary>
    public ISimulatorLink Link => new InProcessLink(Simulator);

    /// <summary>Builds the host; <paramref name="beforeStart"/> may set input levels a technician left behind.</summary>
    /// <param name="configFile">Configuration relative to the test assembly (default: the shipped appsettings.json).</param>
    /// <param name="overrides">Extra <c>key=value</c> configuration overrides, e.g. <c>EdgeGuard:supervision:settleSeconds=2</c>.</param>
    /// <param name="services">Replaces services after the gateway's own (and the recorder), e.g. the journal database.</param>
    public static async Task<TestGateway> StartAsync(string stateDirectory, Action<TestGateway>? beforeStart = null, string configFile = "appsettings.json", IReadOnlyList<string>? overrides = null, Action<IServiceCollection>? services = null)
    {
        var gateway = Create(stateDirectory, configFile, overrides ?? [], services);
        beforeStart?.Invoke(gateway);
        await gateway.Host.StartAsync();
        await gateway.Controller.Booted;
        return gateway;
    }

    private static TestGateway Create(string stateDirectory, string configFile, IReadOnlyList<string> overrides, Action<IServiceCollection>? configure)
    {
        var loaded = GatewayConfigLoader.Build(
            Path.Combine(AppContext.BaseDirectory, configFile),
            [
                $"EdgeGuard:stateDirectory={stateDirectory}",
                $"EdgeGuard:simulation:controlSocket={Path.Combine(stateDirectory, "sim.sock")}",
                $"EdgeGuard:mqtt:port={FreeLoopbackPort()}",
                "Logging:LogLevel:Default=Warning",
                .. overrides,
            ]);
        Assert.Empty(loaded.Errors);
        var result = GatewayConfigReader.Read(loaded.Configuration, simulate: true);
        Assert.True(result.IsValid, ConfigErrorFormatter.Format(result.Errors));
        RecordingSink? recorder = null;
        var host = GatewayHost.Build(result.Config!, loaded.Configuration, services =>
        {
            services.AddSingleton<IEventSink>(_ => recorder!);
            configure?.Invoke(services);
        });
        var gateway = new TestGateway(host, result.Config!);
        recorder = gateway.Recorder;
        return gateway;
    }

    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public int LineOf(string outputId) => Config.Site.Outputs.Single(o => o.Id == outputId).Line;

    /// <summary>
    /// Runs <paramref name="scenario"/> through the in-process link, then waits until the controller has
    /// reported its decisions on everything the steps queued (<see cref="SettledAsync"/>). A debounce or
    /// lock-out still running at the end is not waited for: end the scenario with an <c>expect</c> for it.
    /// </summary>
    public async Task PlayAsync(Scenario scenario, TimeSpan expectTimeout)
    {
        await new ScenarioRunner(Link, expectTimeout, TimeProvider.System).RunAsync(scenario, TextWriter.Null, CancellationToken.None);
        await SettledAsync();
    }

    /// <summary>
    /// Waits until the controller loop has handled and reported every message queued before this call
    /// (edges, timers that already fired, commands).
    /// A scenario's <c>expect</c> reads the loop's snapshot, which moves before the loop hands that
    /// decision's events to the journal and the recorder; a heartbeat queues behind the decision and
    /// is answered only after its report.
    /// </summary>
    public Task SettledAsync() => Controller.HeartbeatAsync().WaitAsync(TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        Host.Dispose();
    }

    private sealed class InProcessLink(SimulatorControlServer server) : ISimulatorLink
    {
        public Task<string> SendAsync(string line, CancellationToken cancellationToken) => Task.FromResult(server.Execute(line));
    }
}
