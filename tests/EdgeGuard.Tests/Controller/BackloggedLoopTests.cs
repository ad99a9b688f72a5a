using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A loop that falls behind (held here inside a lockdown's save, as a slow SD card would hold it)
/// must judge each debounce by when the edges came and when its timer fired, not by when it got
/// round to them: otherwise a bounce queued behind the timer reads as a door that closed and
/// reopened. The fake clock makes the times exact.
/// </summary>
public sealed class BackloggedLoopTests : IAsyncDisposable
{
    private const int LockLine = 10;
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, 25 * Ms, "a"),
            new("gate", PointKind.DoorContact, 3, ActiveHigh: true, LinePull.Up, 50 * Ms, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, 100 * Ms, "a"),
            new("window", PointKind.DoorContact, 4, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("duress", PointKind.PanicButton, 5, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    private readonly ControllerHarness _h;
    private BlockingStore _store = null!;

    public BackloggedLoopTests() => _h = new ControllerHarness(Site, driver => _store = new BlockingStore(driver, LockLine));

    [Fact]
    public async Task A_bounce_queued_behind_a_timer_while_the_loop_is_held_is_no_change()
    {
        await _h.BootAsync();
        _h.Set("door", true);
        _h.Time.Advance(25 * Ms);
        await _h.SettleAsync();
        Assert.Contains(_h.Events.Events, e => e is PointActivated { PointId: "door" });

        // The gate's debounce arms the timer for 50 ms from now; then a panic press holds the loop
        // in its save.
        _h.Set("gate", true);
        _store.Hold = true;
        _h.Set("panic", true);
        Assert.True(_store.Entered.Wait(TimeSpan.FromSeconds(30)), "the loop never started saving the lockdown");

        // Queued in this order: the door closes at 40 ms, the timer fires at 50 ms, the door opens
        // again at 55 ms. A 15 ms bounce, under the door's 25 ms debounce.
        _h.Time.Advance(40 * Ms);
        _h.Set("door", false);
        _h.Time.Advance(10 * Ms);
        _h.Time.Advance(5 * Ms);
        _h.Set("door", true);
        _h.Time.Advance(TimeSpan.FromSeconds(5)); // the loop gets to all of it 5 s late
        _store.Release.Set();
        await _h.SettleAsync();

        Assert.Contains(_h.Events.Events, e => e is PointActivated { PointId: "gate" }); // the timer was handled
        Assert.Single(_h.Events.Events, e => e is PointActivated { PointId: "door" });
        Assert.DoesNotContain(_h.Events.Events, e => e is PointRestored { PointId: "door" });
        Assert.True(_h.Controller.Snapshot!.State.IsActive("door"));
    }

    [Fact]
    public async Task A_panic_released_and_pressed_again_while_the_loop_is_held_is_reported_in_order_before_what_came_after()
    {
        await _h.BootAsync();
        await _h.SettleAsync();

        // Another guard's duress button locks down: the loop saves it and is held there. Queued
        // behind it: the panic pressed at 0 ms, let go at 30 ms and pressed again at 250 ms, after
        // the press's lock-out (100 ms) and the release's (200 ms) had both ended; a window opens
        // at 300 ms. No timer stands between them: the panic's first lock-out is armed only when
        // the loop gets to its press.
        _store.Hold = true;
        _h.Set("duress", true);
        Assert.True(_store.Entered.Wait(TimeSpan.FromSeconds(30)), "the loop never started saving the lockdown");
        _h.Set("panic", true);
        _h.Time.Advance(30 * Ms);
        _h.Set("panic", false);
        _h.Time.Advance(220 * Ms);
        _h.Set("panic", true);
        _h.Time.Advance(50 * Ms);
        _h.Set("window", true);
        _h.Time.Advance(TimeSpan.FromSeconds(5));
        _store.Release.Set();
        await _h.SettleAsync();

        // The re-press is decided with its own edge, not after the window by the next timer.
        var changes = _h.Events.Events
            .Where(e => e is PointActivated or PointRestored && e.Point is "panic" or "window")
            .Select(e => (e.Type, e.Point))
            .ToList();
        Assert.Equal(
            [("point.activated", "panic"), ("point.restored", "panic"), ("point.activated", "panic"), ("point.activated", "window")],
            changes);
        Assert.True(_h.Controller.Snapshot!.State.IsActive("panic"));
    }

    public async ValueTask DisposeAsync()
    {
        _store.Release.Set();
        await _h.DisposeAsync();
    }
}
