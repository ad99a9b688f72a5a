using EdgeGuard.Core;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The office's open-door through the running controller: the lock's line is released, and locked
/// again by the controller's own timer when the grant runs out, or at once when the door has
/// opened and closed (OfficeDoorAccess).
/// </summary>
public sealed class OpenDoorControllerTests : IAsyncDisposable
{
    private const int LockLine = 10;

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: true, LinePull.Down, TimeSpan.Zero, "a"),
            new("contact", PointKind.DoorContact, 3, ActiveHigh: true, LinePull.Down, TimeSpan.Zero, "a"),
        ],
        // A fail-secure strike, locked at all times (energised, so its line high, to release it).
        [new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSecure, NormallyLocked: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []),
        Doors: [new DoorDefinition("front", "lock", "contact", [], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5))]);

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());

    private bool Locked() => _h.Driver.GetOutputLevel(LockLine) == Site.Outputs[0].LevelFor(true);

    private VerifiedCommand OpenDoor(OperatorRole role, int seconds) =>
        _h.Signed(CommandType.OpenDoor, "op-1", role, ("door", new JsonStringItem("front")), ("seconds", new JsonIntegerItem(seconds)));

    [Fact]
    public async Task The_lock_is_released_for_the_seconds_asked_and_locked_again_by_the_controllers_timer()
    {
        await _h.BootAsync();
        await _h.SettleAsync(saved: true);
        Assert.True(Locked(), "locked at rest");

        var outcome = await _h.ExecuteAsync(OpenDoor(OperatorRole.Guard, 8));

        Assert.True(outcome.Done, outcome.Detail);
        Assert.False(Locked(), "released by the open-door");
        await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(7.9));
        Assert.False(Locked(), "locked before its time");
        await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(0.2));
        Assert.True(Locked(), "not locked again when the grant ran out");
        Assert.Equal(DoorAccessEnd.Expired, Assert.Single(_h.Events.Events.OfType<DoorAccessEnded>()).Reason);
    }

    [Fact]
    public async Task In_a_lockdown_a_responders_open_door_lets_one_passage_through_and_locks_when_the_door_closes()
    {
        await _h.BootAsync();
        await _h.SettleAsync(saved: true);
        _h.Set("panic", true);
        await _h.SettleAsync(saved: true);
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);

        var refused = await _h.ExecuteAsync(OpenDoor(OperatorRole.Guard, 60));
        Assert.False(refused.Done);
        Assert.True(Locked(), "a guard's open-door released a lock in a lockdown");

        var granted = await _h.ExecuteAsync(OpenDoor(OperatorRole.Responder, 60));
        Assert.True(granted.Done, granted.Detail);
        Assert.False(Locked(), "the responder's open-door did not release the lock");
        _h.Set("contact", true);
        await _h.SettleAsync(saved: true);
        _h.Set("contact", false);
        await _h.SettleAsync(saved: true);

        Assert.True(Locked(), "not locked again once the door closed");
        Assert.DoesNotContain(_h.Events.Events, e => e is DoorForced);
        Assert.Equal(DoorAccessEnd.Closed, Assert.Single(_h.Events.Events.OfType<DoorAccessEnded>()).Reason);
        Assert.True(Assert.Single(_h.Events.Events.OfType<DoorAccessGranted>()).Override);
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
