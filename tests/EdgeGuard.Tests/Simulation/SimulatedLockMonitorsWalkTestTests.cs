using System.CommandLine;
using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Simulation;
using EdgeGuard.Tests.Configuration;

namespace EdgeGuard.Tests.Simulation;

/// <summary>
/// <c>edgeguard walktest --simulate</c> holds the outputs at the boot plan: a held-locked door's simulated
/// monitor rests active, and walking the door (open, close) walks its monitor with it, as a bond sensor on
/// site would. Before, the monitor never moved and could not be walked in simulation.
/// </summary>
public sealed class SimulatedLockMonitorsWalkTestTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _dir = Directory.CreateTempSubdirectory("eg-walk-monitor-").FullName;
    private readonly StringWriter _output = new();
    private readonly TextWriter _screen;

    public SimulatedLockMonitorsWalkTestTests() => _screen = TextWriter.Synchronized(_output);

    private string Socket => Path.Combine(_dir, "sim.sock");

    private string Screen
    {
        get
        {
            lock (_screen)
            {
                return _output.ToString();
            }
        }
    }

    public void Dispose()
    {
        _screen.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task A_held_locked_doors_monitor_rests_active_and_is_walked_by_walking_the_door()
    {
        using var stop = new CancellationTokenSource();
        var walk = Task.Run(() => EdgeGuardCli.Create().Parse(["walktest", "--simulate", "--config", WriteConfig()])
            .InvokeAsync(new InvocationConfiguration { Output = _screen, Error = _screen }, stop.Token));
        await Eventually.TrueAsync(() => File.Exists(Socket) || walk.IsCompleted, Patience, "the walk test's control socket");
        Assert.False(walk.IsCompleted, $"walktest ended early:\n{Screen}");
        await using var sim = await SimulatorClient.ConnectAsync(Socket, CancellationToken.None);

        Assert.StartsWith("ok", await sim.SendAsync("open door-chancery", CancellationToken.None));
        await Eventually.TrueAsync(() => Screen.Contains("seen bond-chancery", StringComparison.Ordinal), Patience, $"the monitor lets go with the door:\n{Screen}");
        Assert.StartsWith("ok", await sim.SendAsync("close door-chancery", CancellationToken.None));
        await Eventually.TrueAsync(() => Screen.Split("seen bond-chancery").Length > 2, Patience, $"the monitor holds again once the door is closed:\n{Screen}");
        stop.Cancel();

        await walk.WaitAsync(Patience);
        var report = Screen[Screen.IndexOf("Walk test report", StringComparison.Ordinal)..];
        Assert.Matches(@"seen +bond-chancery ", report);
        Assert.Matches(@"seen +door-chancery ", report);
        Assert.DoesNotContain("inverted", Screen, StringComparison.Ordinal); // at rest active at start: no wiring warning
    }

    /// <summary>The baseline with a bond sensor on the normally locked chancery door; state and socket in this test's directory.</summary>
    private string WriteConfig()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "state"));
        var node = JsonNode.Parse(TestConfigs.BaselineJson)!;
        var edgeGuard = node["EdgeGuard"]!;
        edgeGuard["stateDirectory"] = Path.Combine(_dir, "state");
        edgeGuard["simulation"] = new JsonObject { ["controlSocket"] = Socket };
        edgeGuard["journal"] = new JsonObject { ["fallbackDirectory"] = Path.Combine(_dir, "run") };
        edgeGuard["points"]!.AsArray().Add(JsonNode.Parse("""
            { "id": "bond-chancery", "kind": "lockMonitor", "line": 8, "activeLevel": "high", "pull": "down", "zone": "chancery" }
            """));
        edgeGuard["doors"]!.AsArray().Add(JsonNode.Parse("""
            { "id": "chancery", "lock": "lock-chancery", "contact": "door-chancery", "lockMonitor": "bond-chancery", "heldOpenSeconds": 30, "releaseSeconds": 5 }
            """));
        var path = Path.Combine(_dir, "walk.json");
        File.WriteAllText(path, node.ToJsonString());
        return path;
    }
}
