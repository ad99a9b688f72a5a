using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The controller wakes for a lock monitor's grace on its own (no other input comes on a quiet site):
/// a maglock that does not bond after a lockdown is reported 3 s later, on the real GPIO lines.
/// </summary>
public sealed class LockMonitorControllerTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-m", "gw-m",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("rex", PointKind.RequestToExit, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("bond", PointKind.LockMonitor, 5, ActiveHigh: true, LinePull.Down, TimeSpan.Zero, "a"),
        ],
        [new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        Doors: [new DoorDefinition("exit", "lock", "door", ["rex"], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)) { LockMonitor = "bond" }]);

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    [Fact]
    public async Task A_maglock_that_does_not_bond_in_a_lockdown_is_reported_when_its_grace_runs_out()
    {
        await _h.BootAsync();
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(10), "the lockdown did not energise the maglock");

        await _h.AdvanceInStepsAsync(LockMonitoring.Grace - TimeSpan.FromMilliseconds(100));
        Assert.Empty(_h.Events.Events.OfType<DoorLockFault>());
        await _h.AdvanceInStepsAsync(TimeSpan.FromMilliseconds(200));

        var fault = Assert.Single(_h.Events.Events.OfType<DoorLockFault>());
        Assert.Equal(("exit", LockCondition.NotEngaged, Severity.Critical), (fault.DoorId, fault.Condition, fault.Severity));

        _h.Set("bond", true); // the armature seats
        await _h.SettleAsync();
        Assert.Single(_h.Events.Events.OfType<DoorLockFaultRestored>());
    }
}
