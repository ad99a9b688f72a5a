using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A decision that throws (a bug in the decider, injected here once through
/// SiteController.Decider) is logged and the loop goes on. By then the point's filter has taken
/// the change: no later edge or tick brings it again, so unless the controller applies it again
/// after the failed message, the decider would keep the old level for good (a door never seen
/// open, a panic never seen pressed). And in a timer pass, one point's failure must not leave the
/// other points' due changes for another turn of the loop.
/// </summary>
public sealed class ThrowingDecisionTests : IAsyncDisposable
{
    private const int LockLine = 10;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly SiteDefinition Site = new(
        "site-d", "gw-d",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("gate", PointKind.DoorContact, 3, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a"),
            new("window", PointKind.DoorContact, 4, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []))
    {
        // A door contact's fourth change within 10 s is chatter: withheld until it settles.
        Supervision = new SupervisionPolicy(4, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)),
    };

    private readonly GatedStore _store = new();
    private readonly ControllerHarness _h;
    private int _thrown;

    public ThrowingDecisionTests() => _h = new ControllerHarness(Site, _ => _store);

    [Fact]
    public async Task A_change_whose_decision_threw_is_decided_again_after_the_failed_message()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        ThrowOnceFor("door");

        _h.Set("door", true);
        await _h.SettleAsync();

        Assert.Equal(1, Volatile.Read(ref _thrown));
        Assert.Single(_h.Events.Events, e => e is PointActivated { PointId: "door" });
        Assert.True(_h.Controller.Snapshot!.State.IsActive("door"), "the decider never took the door's change");
    }

    [Fact]
    public async Task A_timer_pass_whose_first_change_threw_still_decides_the_other_due_changes()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        ThrowOnceFor("gate");

        // Both debounces end in the same timer pass, the gate's first (the filters' order).
        _h.Set("gate", true);
        _h.Set("window", true);
        // A lockdown whose save is held keeps the loop busy (the clock stands, its deadline with
        // it), so the timer and a heartbeat queue behind it, in this order.
        _store.Hold = true;
        _h.Set("panic", true);
        Assert.True(_store.HeldSaveStarted.Wait(Patience), "the lockdown was never saved");
        _h.Time.Advance(TimeSpan.FromMilliseconds(25));
        var heartbeat = _h.Controller.HeartbeatAsync();
        _store.Gate.Set();
        await heartbeat.WaitAsync(Patience);

        // Answered after the timer's pass: both changes were decided in it.
        Assert.Equal(1, Volatile.Read(ref _thrown));
        var activated = _h.Events.Events.OfType<PointActivated>().Select(e => e.PointId).ToList();
        Assert.Contains("window", activated);
        Assert.Contains("gate", activated);
        Assert.True(_h.Controller.Snapshot!.State.IsActive("gate"), "the decider never took the gate's change");
        Assert.True(_h.Controller.Snapshot!.State.IsActive("window"), "the window's change waited for another pass");
    }

    [Fact]
    public async Task A_chattering_point_whose_changes_are_withheld_is_not_applied_again_after_a_failed_message()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        foreach (var active in new[] { true, false, true, false, true, false })
        {
            _h.Set("door", active);
            _h.Time.Advance(TimeSpan.FromMilliseconds(100));
            await _h.SettleAsync();
        }

        Assert.Equal(["door"], _h.Controller.Snapshot!.SuppressedPoints);
        Assert.True(_h.Controller.Current!.IsActive("door"), "the decider keeps the last change it saw, the 3rd");

        // Another point's decision throws: the door's filter differs from the decider on purpose.
        var reported = _h.Events.Events.Count;
        ThrowOnceFor("gate");
        _h.Set("gate", true);
        _h.Time.Advance(TimeSpan.FromMilliseconds(30)); // past its debounce
        await _h.SettleAsync();

        Assert.Equal(1, Volatile.Read(ref _thrown));
        Assert.True(_h.Controller.Current!.IsActive("gate"), "the decider never took the gate's change");
        Assert.True(_h.Controller.Current!.IsActive("door"), "a withheld change of a chattering door was applied");
        Assert.DoesNotContain(_h.Events.Events.Skip(reported), e => e.Point == "door");
    }

    // The decider throws on its first decision of a change of point, and decides as ever after.
    private void ThrowOnceFor(string point) =>
        _h.Controller.Decider = (site, state, input, now) =>
            input is PointChanged change && change.PointId == point && Interlocked.Exchange(ref _thrown, 1) == 0
                ? throw new InvalidOperationException("a decider bug, injected")
                : SiteDecider.Decide(site, state, input, now);

    public async ValueTask DisposeAsync()
    {
        _store.Gate.Set();
        await _h.DisposeAsync();
    }
}
