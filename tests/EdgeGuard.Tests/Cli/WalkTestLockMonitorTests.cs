using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Tests.Configuration;
using EdgeGuard.WalkTest;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// A lock monitor reads active while its lock holds the door: in a walk test that holds the lock
/// locked it starts active, which is its rest, not an inverted wiring, and it is walked by opening the
/// door (inactive) and closing it (active again).
/// </summary>
public sealed class WalkTestLockMonitorTests
{
    private static readonly SiteDefinition Site = TestConfigs.Read(k =>
    {
        LockMonitorConfigTests.AddBondSensor(k);
        k.Set("doors:0:lockMonitor", "bond-lobby");
    }).Config!.Site;

    [Fact]
    public void A_monitor_of_a_lock_holding_its_door_at_start_is_at_rest_and_walks_inactive_then_active()
    {
        var tally = new WalkTestTally(Site);
        tally.Start("bond-lobby", active: true);
        using var output = new StringWriter();
        new WalkTestPrinter(Site, new FakeTimeProvider(), output).ActiveAtStart([(Site.Point("bond-lobby"), true, null)]);

        Assert.Empty(tally.ActiveAtStart);
        Assert.Empty(output.ToString()); // no "wiring or activeLevel inverted"
        tally.Changed("bond-lobby", active: false); // the door opened: the bond breaks
        Assert.False(tally.Of("bond-lobby").IsSeen);
        tally.Changed("bond-lobby", active: true); // closed again: it holds
        Assert.True(tally.Of("bond-lobby").IsSeen);
    }

    [Fact]
    public void A_monitor_reading_not_holding_while_its_lock_holds_the_closed_door_cannot_pass_though_it_walks_with_the_door()
    {
        // Wired inverted (NO where NC is configured): it reads not holding on the locked, closed door, and still
        // changes with the door, rest (closed), alarm (open), rest (closed) to a tally that took its reading as rest.
        var tally = new WalkTestTally(Site);
        foreach (var point in Site.Points)
        {
            tally.Start(point.Id, active: false, restActive: point.Id == "bond-lobby" ? true : null);
        }

        Assert.Equal(["bond-lobby"], tally.LockDisagreedAtStart.Select(p => p.Id));
        Assert.Equal(Core.Lockdown.LockCondition.NotEngaged, tally.Of("bond-lobby").LockDisagreement);
        Assert.Empty(tally.ActiveAtStart);
        Assert.Equal(WalkChange.StepActiveAtStart, tally.Changed("bond-lobby", active: true)); // the door opened: inverted, it reads holding
        tally.Changed("bond-lobby", active: false); // closed again
        WalkEveryOtherPoint(tally);
        Assert.False(tally.Of("bond-lobby").IsSeen);
        Assert.False(tally.Passed);

        using var output = new StringWriter();
        new WalkTestPrinter(Site, new FakeTimeProvider(), output).Report(tally, WalkTestEnd.Stopped);
        Assert.Contains("NOT SEEN  bond-lobby", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("lock monitor disagreed with its lock at start, cannot pass this run: bond-lobby;", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_monitor_reading_holding_while_its_lock_is_released_cannot_pass_even_once_walked()
    {
        var tally = new WalkTestTally(Site);
        tally.Start("bond-lobby", active: true, restActive: false); // stuck engaged, or inverted

        Assert.Equal(Core.Lockdown.LockCondition.NotReleased, tally.Of("bond-lobby").LockDisagreement);
        tally.Changed("bond-lobby", active: false); // let go: its rest
        tally.Changed("bond-lobby", active: true);
        Assert.Equal(WalkChange.CompletedActiveAtStart, tally.Changed("bond-lobby", active: false));
        Assert.True(tally.Of("bond-lobby").IsSeen);
        Assert.Equal(["bond-lobby"], tally.LockDisagreedAtStart.Select(p => p.Id));

        using var output = new StringWriter();
        new WalkTestPrinter(Site, new FakeTimeProvider(), output).Report(tally, WalkTestEnd.Stopped);
        Assert.Matches(@"NOT AT REST AT START  bond-lobby .*: activated 1x, restored 2x; it disagreed with its lock: reads holding while the walk test holds lock-lobby released", output.ToString());
    }

    [Fact]
    public void A_monitor_of_a_released_lock_rests_not_holding_and_is_walked_by_bridging_it()
    {
        var tally = new WalkTestTally(Site);
        tally.Start("bond-lobby", active: false, restActive: false);

        Assert.Empty(tally.LockDisagreedAtStart);
        Assert.False(tally.Of("bond-lobby").RestIsActive);
        tally.Changed("bond-lobby", active: true); // the technician bridges it at the lock
        Assert.Equal(WalkChange.Completed, tally.Changed("bond-lobby", active: false));
    }

    [Fact]
    public void The_screen_says_at_start_what_a_monitor_that_disagrees_with_its_lock_may_mean()
    {
        using var output = new StringWriter();
        var printer = new WalkTestPrinter(Site, new FakeTimeProvider(), output);

        printer.LockDisagreesAtStart(Site.Point("bond-lobby"), Site.DoorList[0], Core.Lockdown.LockCondition.NotEngaged, loop: null);

        Assert.Matches(@"^  not at rest +bond-lobby +LockMonitor, zone lobby.*, line 8: reads not holding while the walk test holds lock-lobby locked "
            + @"and door \S+ is closed: the lock does not hold the door .* the monitor's cable is cut, or it is wired inverted \(NO instead of NC, activeLevel\); this run cannot pass it", output.ToString());
    }

    [Theory]
    [InlineData(false)] // the door closed: the monitor lets go with the lock
    [InlineData(true)] // the door open at the fire: the monitor reads not holding already, and stays so
    public void A_monitor_whose_lock_a_fire_releases_mid_walk_rests_not_holding_and_is_walked_by_bridging_it(bool doorOpen)
    {
        var tally = new WalkTestTally(Site);
        tally.Start("bond-lobby", active: true, restActive: true);
        if (doorOpen)
        {
            tally.Changed("bond-lobby", active: false);
        }

        tally.LockReleased("bond-lobby");
        if (!doorOpen)
        {
            tally.Changed("bond-lobby", active: false); // the lock let go
        }

        Assert.False(tally.Of("bond-lobby").IsSeen);
        tally.Changed("bond-lobby", active: true); // bridged at the lock
        Assert.Equal(WalkChange.Completed, tally.Changed("bond-lobby", active: false));
        Assert.Empty(tally.LockDisagreedAtStart);
    }

    private static void WalkEveryOtherPoint(WalkTestTally tally)
    {
        foreach (var point in Site.Points.Where(p => p.Id != "bond-lobby"))
        {
            tally.Changed(point.Id, active: true);
            tally.Changed(point.Id, active: false);
        }
    }

    [Fact]
    public void A_lock_monitor_without_its_doors_contact_is_refused()
    {
        var result = TestConfigs.Read(k =>
        {
            LockMonitorConfigTests.AddBondSensor(k);
            k.Set("doors:0:lockMonitor", "bond-lobby");
            k.Drop("doors:0:contact");
        });

        TestConfigs.AssertError(result, "EdgeGuard:doors:0:lockMonitor", ["a lock monitor needs the door's contact"]);
    }

    [Theory]
    [InlineData(LoopState.OpenCircuitTamper, false)] // unplugged and plugged back: the lock never let go
    [InlineData(LoopState.Normal, true)] // the door opened, the bond broke: its normal band
    public void A_monitor_on_a_loop_is_walked_only_through_its_normal_band_never_a_cut(LoopState away, bool seen)
    {
        var site = Site with
        {
            Points = [.. Site.Points.Where(p => p.Id != "bond-lobby"),
                new("bond-lobby", PointKind.LockMonitor, -1, ActiveHigh: true, LinePull.None, TimeSpan.Zero, "lobby") { LineAddress = "mcp3008@0.0:CH0" }],
        };
        var tally = new WalkTestTally(site);
        tally.Start("bond-lobby", active: true, LoopState.Alarm); // the lock holds: its loop in the alarm band

        tally.Changed("bond-lobby", active: false, away);
        tally.Changed("bond-lobby", active: true, LoopState.Alarm);

        Assert.Equal(seen, tally.Of("bond-lobby").IsSeen);
    }
}
