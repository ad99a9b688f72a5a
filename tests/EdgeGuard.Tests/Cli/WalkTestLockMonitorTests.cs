using EdgeGuard.Core.Site;
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
}
