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
