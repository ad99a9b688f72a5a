using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Core.Site;
using EdgeGuard.Hosting;
using EdgeGuard.Simulation;
using EdgeGuard.Tests.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGuard.Tests.Cli;

// The walk test's own look at two things a technician on site can fix: a lock monitor that disagrees
// at start with the lock the walk test holds (a lock that does not hold, or a monitor wired inverted,
// which walked with the door and passed), and the gateway board's supply and temperature.
public sealed partial class WalkTestVerbTests
{
    [Fact]
    public async Task A_held_locked_doors_monitor_rests_active_and_is_walked_by_walking_the_door()
    {
        // The simulated monitor follows the held lock and the door (SimulatedLockMonitors), as a bond sensor
        // on site does; before, it never moved and could not be walked in simulation.
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, "--config", WriteConfig(MonitoredBaseline()));
        await using var sim = await ConnectAsync(walk);

        await SimAsync(sim, "open door-chancery", "seen bond-chancery"); // the bond breaks with the door
        await SimAsync(sim, "close door-chancery", "seen bond-chancery", occurrence: 2);
        stop.Cancel();

        await walk.WaitAsync(Patience);
        var report = Screen[Screen.IndexOf("Walk test report", StringComparison.Ordinal)..];
        Assert.Matches(@"seen +bond-chancery ", report);
        Assert.Matches(@"seen +door-chancery ", report);
        Assert.DoesNotContain("not at rest", Screen, StringComparison.Ordinal);
        Assert.DoesNotContain("inverted", Screen, StringComparison.Ordinal); // at rest active at start: no wiring warning
    }

    [Fact]
    public async Task A_monitor_reading_not_holding_on_a_held_locked_closed_door_is_named_at_start_and_fails_the_run()
    {
        using var stop = new CancellationTokenSource();
        // Nothing moves the monitor (a bond sensor wired NO where NC is configured reads so on site): it rests
        // not holding while the walk test holds the chancery door locked.
        var walk = StartAsync(stop.Token, WriteConfig(MonitoredBaseline()), services => services.AddSingleton(sp =>
            new SimulatedLockMonitors(sp.GetRequiredService<SiteDefinition>() with { Doors = [] }, sp.GetRequiredService<SimulatedBoard>(), TimeProvider.System)));
        await using (await ConnectAsync(walk))
        {
            stop.Cancel();
        }

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.Matches(@"  not at rest +bond-chancery +LockMonitor, zone chancery.*, line 8: reads not holding while the walk test holds lock-chancery locked "
            + "and door chancery is closed: .* this run cannot pass it", Screen);
        Assert.Contains("lock monitor disagreed with its lock at start, cannot pass this run: bond-chancery;", Screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_under_voltage_of_the_gateway_board_is_shown_and_fails_the_walk_test()
    {
        var sys = Directory.CreateDirectory(Path.Combine(_dir, "sys", "class", "hwmon", "hwmon0")).FullName;
        File.WriteAllText(Path.Combine(sys, "name"), "rpi_volt\n");
        File.WriteAllText(Path.Combine(sys, "in0_lcrit_alarm"), "1\n");
        using var stop = new CancellationTokenSource();
        // As on real hardware, where the walk test checks the board as the gateway does (never under --simulate).
        var walk = StartAsync(stop.Token, WriteConfig(HallPoints), services => services.AddSingleton(sp => new GatewayHealthChecks(
            Path.Combine(_dir, "sys"), sp.GetRequiredService<HardwareFaultReporter>().Report, TimeProvider.System, NullLogger<GatewayHealthChecks>.Instance)));
        await using (await ConnectAsync(walk))
        {
            stop.Cancel();
        }

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.Contains("fault rpi_volt: the gateway's own supply is under-voltage", Screen, StringComparison.Ordinal);
        Assert.Matches(@"  HARDWARE  rpi_volt at start: the gateway's own supply is under-voltage", Screen);
        Assert.Contains("hardware fault at start: rpi_volt", Screen, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_monitor_whose_lock_a_fire_released_mid_walk_rests_not_holding_and_passes_when_bridged()
    {
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, "--config", WriteConfig(MonitoredBaseline(egress: true)));
        await using var sim = await ConnectAsync(walk);

        await SimAsync(sim, "activate fire-panel", "FIRE fire-panel");
        // The lock let go, and its monitor with it: its new rest, not an alarm left open.
        await Eventually.TrueAsync(() => Screen.Contains("seen bond-chancery", StringComparison.Ordinal), Patience, $"the monitor lets go with the lock:\n{Screen}");
        await SimAsync(sim, "activate bond-chancery", "seen bond-chancery", occurrence: 2); // bridged at the lock
        await SimAsync(sim, "deactivate bond-chancery", "passed (rest, alarm, rest)");
        stop.Cancel();

        await walk.WaitAsync(Patience);
        Assert.Matches(@"seen +bond-chancery .*: activated 1x, restored 2x", Screen);
        Assert.DoesNotContain("NOT SEEN  bond-chancery", Screen, StringComparison.Ordinal); // before: seen in alarm, never at rest again
    }

    /// <summary>The baseline with a bond sensor on the normally locked chancery door (an escape route's, with a hardwired exit, when <paramref name="egress"/>).</summary>
    private static string MonitoredBaseline(bool egress = false)
    {
        var node = JsonNode.Parse(TestConfigs.BaselineJson)!;
        var edgeGuard = node["EdgeGuard"]!;
        if (egress)
        {
            var chanceryLock = edgeGuard["outputs"]!.AsArray().Single(o => (string?)o!["id"] == "lock-chancery")!;
            chanceryLock["egress"] = true;
            chanceryLock["hardwiredExit"] = true;
            chanceryLock["failMode"] = "failSafe";
        }

        edgeGuard["points"]!.AsArray().Add(JsonNode.Parse("""
            { "id": "bond-chancery", "kind": "lockMonitor", "line": 8, "activeLevel": "high", "pull": "down", "zone": "chancery" }
            """));
        edgeGuard["doors"]!.AsArray().Add(JsonNode.Parse("""
            { "id": "chancery", "lock": "lock-chancery", "contact": "door-chancery", "lockMonitor": "bond-chancery", "heldOpenSeconds": 30, "releaseSeconds": 5 }
            """));
        return node.ToJsonString();
    }
}
