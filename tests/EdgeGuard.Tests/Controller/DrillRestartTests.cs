using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A gateway restarted in the middle of a drill restores the drill, and tells the office so:
/// gateway.started carries the saved drill flag and scenario, as every other drill event does.
/// </summary>
public sealed class DrillRestartTests
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(25);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a"),
            new("key-drill", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, Debounce, "a"),
            new("key-clear", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, Debounce, "a"),
        ],
        [new("lock-a", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key-clear"]))
    {
        LockdownDrillTriggers = ["key-drill"],
    };

    /// <summary>A store whose saved state is a drill of the built-in lockdown, started by its key.</summary>
    private sealed class DrillStore : ISafetyStateStore
    {
        private SafetyState _state = new(SiteMode.Lockdown,
            new LockdownInfo("keyswitch", "key-drill", new DateTimeOffset(2026, 11, 23, 7, 55, 0, TimeSpan.Zero), Drill: true), SirenSounding: true);

        public SafetyState Load() => _state;

        public void Save(SafetyState state) => _state = state;
    }

    // It reported gateway.started with restoredMode "lockdown", lockdownCause "keyswitch" and
    // drill false, no scenario: on the office's event stream a drill restored after a power blip
    // looked like a real lockdown.
    [Fact]
    public async Task A_restart_during_a_drill_reports_the_restored_drill_as_a_drill()
    {
        await using var gateway = new ControllerHarness(Site, _ => new DrillStore());
        await gateway.BootAsync();

        var started = Assert.Single(gateway.Events.Events.OfType<GatewayStarted>());
        Assert.Equal(SiteMode.Lockdown, started.RestoredMode);
        Assert.True(started.Drill, "gateway.started of a restored drill carries drill:false");
        Assert.Equal((ScenarioDefinition.LockdownId, "keyswitch"), (started.Scenario, started.LockdownCause));
        Assert.True(gateway.Controller.Snapshot!.State.Lockdown!.Drill, "the drill itself is restored");
    }
}
