using EdgeGuard.Cli;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.WalkTest;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// A point passes the walk test only when seen at rest, in alarm and at rest again: one change proves
/// nothing, since an inverted active level (or a cut fail-safe cable reconnected) reads active at rest and
/// shows its restore when triggered.
/// </summary>
public sealed partial class WalkTestVerbTests
{
    [Fact]
    public async Task An_inverted_point_active_at_start_is_not_passed_by_the_restore_its_trigger_shows()
    {
        // door-hall is wired (or configured) inverted: closed, its line reads the active level. The technician
        // opens the door (the line goes to the rest level: "restored") and closes it again ("ACTIVE").
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, WriteConfig(HallPoints), services => AtRestReadsActive(services, line: 17));
        await using var sim = await ConnectAsync(walk);
        Assert.Matches(@"  active at start  door-hall .*: this run cannot pass it; put it at rest, start a new walk test "
            + @"and walk it again \(rest, alarm, rest\)", Screen);

        await SimAsync(sim, "close door-hall", "seen door-hall");              // the door opened
        await SimAsync(sim, "open door-hall", "seen door-hall", occurrence: 2); // and closed again
        await SimAsync(sim, "press panic-hall", "seen panic-hall");
        await SimAsync(sim, "release panic-hall", "seen panic-hall", occurrence: 2);
        // Never "restore it to pass": a point active at start cannot pass this run.
        Assert.Matches(@"seen door-hall .*: ACTIVE, raw high, .*, active at start: this run cannot pass it  \[0/3 seen\]", Screen);
        Assert.DoesNotMatch(@"door-hall [^\n]*restore it to pass", Screen);
        stop.Cancel();

        // The defect: the restore alone counted door-hall as seen, and the test ended with exit 0.
        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        var report = Screen[Screen.IndexOf("Walk test report (stopped): 1 of 3 points seen.", StringComparison.Ordinal)..];
        Assert.Matches(@"NOT SEEN  door-hall .*: seen in alarm, never at rest again", report);
        Assert.Contains("FAILED: 2 points were never seen: door-hall, key-hall", report);
    }

    [Fact]
    public async Task A_point_active_at_start_that_is_only_restored_is_reported_as_such()
    {
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, WriteConfig(HallPoints), services => AtRestReadsActive(services, line: 17));
        await using var sim = await ConnectAsync(walk);

        await SimAsync(sim, "close door-hall", "seen door-hall");
        stop.Cancel();

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.Matches(@"NOT SEEN  door-hall .*: active at start, then seen at rest but never in alarm", Screen);
        Assert.Contains("Walk test report (stopped): 0 of 3 points seen.", Screen);
    }

    [Fact]
    public async Task A_point_active_at_start_is_walked_and_shown_but_fails_the_run()
    {
        // door-hall is a NO contact where the config expects NC: the closed door reads active. Opening the
        // door reads "restored", closing it "ACTIVE", opening it again "restored": rest, alarm, rest, yet
        // inverted. The gateway would go live reading "closed" for an open door.
        var walk = StartAsync(CancellationToken.None, WriteConfig(HallPoints), services => AtRestReadsActive(services, line: 17));
        await using var sim = await ConnectAsync(walk);
        Assert.Matches(@"  active at start  door-hall .*: this run cannot pass it; ", Screen);

        await SimAsync(sim, "close door-hall", "seen door-hall");
        await SimAsync(sim, "open door-hall", "seen door-hall", occurrence: 2);
        await SimAsync(sim, "close door-hall", "seen door-hall", occurrence: 3);
        await SimAsync(sim, "press panic-hall", "seen panic-hall");
        await SimAsync(sim, "release panic-hall", "seen panic-hall", occurrence: 2);
        await SimAsync(sim, "press key-hall", "seen key-hall");
        await SimAsync(sim, "release key-hall", "seen key-hall", occurrence: 2);

        // The defect: it printed "passed" on that change, PASSED in the report and exited 0.
        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.Matches(@"seen door-hall .*: restored, .*, walked \(rest, alarm, rest\) but active at start: "
            + @"not passed  \[1/3 seen\]", Screen);
        Assert.DoesNotMatch(@"seen door-hall .*passed \(rest, alarm, rest\)", Screen);
        var report = Screen[Screen.IndexOf("Walk test report (every point seen): 3 of 3 points seen.", StringComparison.Ordinal)..];
        Assert.Matches(@"ACTIVE AT START  door-hall .*: activated 1x, restored 2x; check its wiring", report);
        Assert.Contains("FAILED: active at start, cannot pass this run: door-hall; check the wiring (NO/NC contact, "
            + "active-low, activeLevel) or put the point at rest and walk it again", report);
        Assert.DoesNotContain("PASSED", report);
        Assert.DoesNotMatch(@"seen      door-hall", report);
    }

    [Fact]
    public async Task A_point_seen_in_alarm_but_never_at_rest_again_is_not_seen()
    {
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, WriteConfig(HallPoints), _ => { });
        await using var sim = await ConnectAsync(walk);

        await SimAsync(sim, "open door-hall", "seen door-hall");
        await SimAsync(sim, "close door-hall", "seen door-hall", occurrence: 2);
        await SimAsync(sim, "press panic-hall", "seen panic-hall");   // held: never released
        stop.Cancel();

        // The defect: the press alone counted, every point was seen and the test passed.
        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.Matches(@"NOT SEEN  panic-hall .*: seen in alarm, never at rest again", Screen);
        Assert.Contains("FAILED: 2 points were never seen: panic-hall, key-hall", Screen);
    }

    [Fact]
    public async Task Whatever_ends_the_walk_test_its_last_line_says_the_gateway_is_stopped()
    {
        // Ctrl+C (a dropped SSH session's SIGHUP and --duration end it the same way): the technician stopped
        // the service to walk the site, and nothing starts it again.
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, WriteConfig(HallPoints), _ => { });
        await using (await ConnectAsync(walk))
        {
            stop.Cancel();
        }

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.EndsWith("FAILED: 3 points were never seen: door-hall, panic-hall, key-hall\n"
            + "GATEWAY STOPPED: the gateway is not running and this site is NOT PROTECTED; start it: systemctl start edgeguard",
            Screen.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_walk_test_that_cannot_start_after_taking_the_lock_still_says_the_gateway_is_stopped()
    {
        var code = await StartAsync(CancellationToken.None, WriteConfig(HallPoints), services => services.AddSingleton<Core.Ports.IInputLines>(
            _ => throw new Hardware.HardwareException("Line 23 for 'panic-hall' is busy."))).WaitAsync(Patience);

        Assert.Equal(ExitCodes.Failure, code);
        Assert.EndsWith($"cannot walk-test: Line 23 for 'panic-hall' is busy.\n{WalkTestPrinter.GatewayStoppedLine}", Screen.TrimEnd(), StringComparison.Ordinal);
    }

    // The building's line for this native point rests at the level the config calls active.
    private static void AtRestReadsActive(IServiceCollection services, int line)
    {
        var driver = (SimulatedGpioDriver)services.Single(d => d.ServiceType == typeof(SimulatedGpioDriver)).ImplementationInstance!;
        driver.SetInputLevel(line, high: true);
    }
}
