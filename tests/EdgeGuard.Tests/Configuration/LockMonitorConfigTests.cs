using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Configuration;

/// <summary>
/// A door's lock status contact (<c>doors[].lockMonitor</c>, a point of kind <c>lockMonitor</c>): read,
/// carried to the door, and every way it can be wrong reported with the others.
/// </summary>
public sealed class LockMonitorConfigTests
{
    // A maglock bond sensor on line 8, closed (high) while the lock holds; pulled down, so a cut reads not engaged.
    internal static void AddBondSensor(Dictionary<string, string?> k, string activeLevel = "high", string pull = "down")
    {
        k.Set("points:11:id", "bond-lobby");
        k.Set("points:11:kind", "lockMonitor");
        k.Set("points:11:line", "8");
        k.Set("points:11:activeLevel", activeLevel);
        k.Set("points:11:pull", pull);
        k.Set("points:11:zone", "lobby");
    }

    [Fact]
    public void A_door_names_its_locks_monitor_and_the_site_carries_it()
    {
        var result = TestConfigs.Read(k =>
        {
            AddBondSensor(k);
            k.Set("doors:0:lockMonitor", "bond-lobby");
        });

        Assert.True(result.IsValid, result.ToReport());
        var site = result.Config!.Site;
        Assert.Equal("bond-lobby", Assert.Single(site.DoorList).LockMonitor);
        var bond = site.Point("bond-lobby");
        Assert.Equal((PointKind.LockMonitor, TimeSpan.FromMilliseconds(100)), (bond.Kind, bond.Debounce));
        Assert.True(bond.CanBeBypassed);
    }

    [Fact]
    public void Every_lock_monitor_problem_is_listed_at_once()
    {
        var result = TestConfigs.Read(k =>
        {
            AddBondSensor(k, activeLevel: "high", pull: "up"); // a cut reads high: engaged
            k.Set("doors:0:lockMonitor", "door-lobby");       // a door contact, not a monitor
        });

        Assert.Equal(["EdgeGuard:doors:0:lockMonitor", "EdgeGuard:points:11:activeLevel", "EdgeGuard:points:11:id"],
            result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        TestConfigs.AssertError(result, "EdgeGuard:points:11:activeLevel", ["lockMonitor must read not engaged when its cable is cut"]);
        TestConfigs.AssertError(result, "EdgeGuard:points:11:id", ["no door names it", "doors[].lockMonitor"]);
        TestConfigs.AssertError(result, "EdgeGuard:doors:0:lockMonitor", ["point 'door-lobby' is a doorContact, not a lockMonitor point"]);
    }

    [Fact]
    public void A_monitor_serves_one_door()
    {
        var result = TestConfigs.Read(k =>
        {
            AddBondSensor(k);
            k.Set("doors:0:lockMonitor", "bond-lobby");
            k.Set("doors:1:id", "chancery");
            k.Set("doors:1:lock", "lock-chancery");
            k.Set("doors:1:lockMonitor", "bond-lobby");
        });

        TestConfigs.AssertError(result, "EdgeGuard:doors:1:lockMonitor", ["'bond-lobby' already belongs to door 'lobby'"]);
    }
}
