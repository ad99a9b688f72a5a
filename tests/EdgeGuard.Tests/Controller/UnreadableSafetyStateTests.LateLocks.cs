using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

// A late read put back in force changes what the locks should do without a decision: the lock
// monitors are judged then too, or a lockdown put back over a maglock that does not bond was never
// reported on a quiet site (no other input comes to judge it).
public sealed partial class UnreadableSafetyStateTests
{
    private static readonly SiteDefinition MonitoredSite = Site with
    {
        Points = [.. Site.Points,
            new("door", PointKind.DoorContact, 5, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("bond", PointKind.LockMonitor, 6, ActiveHigh: true, LinePull.Down, TimeSpan.Zero, "a")],
        Doors = [new DoorDefinition("front", "lock", "door", [], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5)) { LockMonitor = "bond" }],
    };

    [Fact]
    public async Task A_lockdown_put_back_by_a_late_read_over_a_lock_that_does_not_hold_is_reported_after_the_grace()
    {
        var store = new UnreadableStore { Holds = LockedDown, Hang = true };
        await using var h = new ControllerHarness(MonitoredSite, _ => store);
        await h.BootAsync().WaitAsync(Patience);
        Assert.Equal(SiteMode.Normal, h.Controller.Snapshot!.State.Mode); // the lock open: its monitor agrees

        store.Unhang();
        await Eventually.TrueAsync(() => !store.LoadRunning && h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        await h.SettleAsync();
        Assert.True(h.Driver.GetOutputLevel(LockLine), "the lockdown put back locks the door");
        await h.AdvanceInStepsAsync(LockMonitoring.Grace + TimeSpan.FromMilliseconds(100));

        var fault = Assert.Single(h.Events.Events.OfType<DoorLockFault>());
        Assert.Equal(("front", LockCondition.NotEngaged, Severity.Critical), (fault.DoorId, fault.Condition, fault.Severity));
    }
}
