using System.Diagnostics;
using System.Globalization;
using EdgeGuard.Configuration;
using EdgeGuard.Controller;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hosting;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>
/// The whole gateway host, composed by the production code path (<see cref="GatewayHost.Build"/> →
/// AddEdgeGuard) from the shipped appsettings.json, as <c>edgeguard run --simulate</c> does with an
/// external broker: real GpioController on the simulated chip, SiteController, SQLite journal in a
/// temp directory (WAL, synchronous=FULL), OutboxPublisher to the bench's Mosquitto. Only what a
/// bench must change is overridden: state directory, socket, broker address, log level, and
/// debounce 0 on the points the bench drives, so each edge is one event at once, extra door
/// contacts for the bench's bursts, and a relaxed chatter limit.
/// </summary>
internal sealed class GatewayUnderTest : IAsyncDisposable
{
    private readonly IHost _host;

    private GatewayUnderTest(IHost host, GatewayConfig config, string directory)
    {
        _host = host;
        Config = config;
        Directory = directory;
    }

    public GatewayConfig Config { get; }

    /// <summary>From building the host to <see cref="SiteController.Booted"/> (in-process, JIT, warm runtime).</summary>
    public TimeSpan ArmedAfter { get; private set; }

    public string Directory { get; }

    public SimulatedGpioDriver Driver => _host.Services.GetRequiredService<SimulatedGpioDriver>();

    public SiteController Controller => _host.Services.GetRequiredService<SiteController>();

    public EventJournal Journal => _host.Services.GetRequiredService<EventJournal>();

    public OutboxPublisher Publisher => _host.Services.GetRequiredService<OutboxPublisher>();

    public string EventsTopic => Publisher.Topics.Events;

    public PointDefinition Point(string id) => Config.Site.Point(id);

    public int OutputLine(string id) => Config.Site.Outputs.Single(o => o.Id == id).Line;

    /// <summary>Builds and starts the host; returns once booted and caught up with the broker.</summary>
    /// <param name="brokerPort">The bench Mosquitto on 127.0.0.1.</param>
    /// <param name="instantPoints">Points whose debounce is set to 0.</param>
    /// <param name="logLevel">Host log level; Warning keeps per-event log lines out of the figures.</param>
    /// <param name="stateParent">Where the temp state directory goes; null for the system temp dir.</param>
    /// <param name="benchPoints">Extra door contacts (debounce 0) added on free lines of the simulated chip for the bench to drive.</param>
    public static async Task<GatewayUnderTest> StartAsync(int brokerPort, IReadOnlyList<string> instantPoints, int benchPoints, string logLevel, string? stateParent)
    {
        var directory = stateParent is null
            ? System.IO.Directory.CreateTempSubdirectory("edgeguard-bench-").FullName
            : System.IO.Directory.CreateDirectory(Path.Combine(stateParent, $"edgeguard-bench-{Guid.NewGuid():N}")).FullName;
        var file = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var overrides = new List<string>
        {
            $"EdgeGuard:stateDirectory={directory}",
            $"EdgeGuard:simulation:controlSocket={Path.Combine(directory, "sim.sock")}",
            "EdgeGuard:mqtt:host=127.0.0.1",
            $"EdgeGuard:mqtt:port={brokerPort}",
            $"Logging:LogLevel:Default={logLevel}",
            // The gateway's log lines (alarms are logged at Warning and above) go to stderr, the report to stdout.
            "Logging:Console:LogToStandardErrorThreshold=Trace",
        };

        // Points are addressed by index in configuration keys; find the indices from a first read.
        var first = GatewayConfigLoader.Build(file, [.. overrides]);
        var ids = first.Configuration.GetSection("EdgeGuard:points").GetChildren().Select(c => c["id"]).ToList();
        foreach (var point in instantPoints)
        {
            var index = ids.IndexOf(point);
            if (index < 0)
            {
                throw new InvalidOperationException($"appsettings.json has no point '{point}'.");
            }

            overrides.Add($"EdgeGuard:points:{index}:debounceMs=0");
        }

        // Input supervision calls a point that changes 8 times in 10 s chattering and suppresses it,
        // rightly for a real door. The bench's bursts are spread over several contacts and the limit
        // is raised to its maximum (1000 transitions per 1 s) so it measures delivery, not suppression.
        overrides.Add("EdgeGuard:supervision:chatterTransitions=1000");
        overrides.Add("EdgeGuard:supervision:chatterWindowSeconds=1");
        var used = first.Configuration.GetSection("EdgeGuard:points").GetChildren()
            .Concat(first.Configuration.GetSection("EdgeGuard:outputs").GetChildren())
            .Select(c => int.Parse(c["line"] ?? "-1", CultureInfo.InvariantCulture))
            .ToHashSet();
        var free = Enumerable.Range(0, SimulatedGpioDriver.DefaultLineCount).Where(l => !used.Contains(l)).ToList();
        if (benchPoints > free.Count)
        {
            throw new InvalidOperationException($"{benchPoints} bench points do not fit on the {free.Count} free lines of the simulated chip.");
        }

        var zone = first.Configuration["EdgeGuard:zones:0:id"];
        for (var i = 0; i < benchPoints; i++)
        {
            var key = $"EdgeGuard:points:{ids.Count + i}";
            overrides.AddRange([$"{key}:id={BenchPointId(i)}", $"{key}:kind=doorContact", $"{key}:line={free[i]}",
                $"{key}:activeLevel=high", $"{key}:pull=none", $"{key}:externalPull=up", $"{key}:debounceMs=0", $"{key}:zone={zone}"]);
        }

        var loaded = GatewayConfigLoader.Build(file, [.. overrides]);
        var result = GatewayConfigReader.Read(loaded.Configuration, simulate: true);
        if (loaded.Errors.Count > 0 || !result.IsValid)
        {
            throw new InvalidOperationException(ConfigErrorFormatter.Format([.. loaded.Errors, .. result.Errors]));
        }

        var building = Stopwatch.GetTimestamp();
        var host = GatewayHost.Build(result.Config!, loaded.Configuration);
        var gateway = new GatewayUnderTest(host, result.Config!, directory);
        await host.StartAsync();
        await gateway.Controller.Booted;
        gateway.ArmedAfter = Stopwatch.GetElapsedTime(building);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await gateway.Publisher.WaitUntilCaughtUpAsync(timeout.Token);
        return gateway;
    }

    /// <summary>Id of the <paramref name="index"/>th bench door contact.</summary>
    public static string BenchPointId(int index) => $"bench-door-{index:D2}";

    /// <summary>Puts a point's line at the level of <paramref name="active"/>, as the wiring would.</summary>
    public void Set(PointDefinition point, bool active) => Driver.SetInputLevel(point.Line, point.LevelFor(active));

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind does not change a result.
        }
    }
}
