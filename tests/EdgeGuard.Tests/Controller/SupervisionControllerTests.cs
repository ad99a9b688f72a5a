using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// Chatter and stuck supervision in the controller loop, on the real GpioController over the
/// simulated driver with a FakeTimeProvider: settle and stuck deadlines must wake the loop by
/// themselves, with no edge to carry them.
/// </summary>
public sealed class SupervisionControllerTests : IAsyncDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(25);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("fence", PointKind.Perimeter, 1, ActiveHigh: true, LinePull.Up, Debounce, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: true, LinePull.Down, Debounce, "a"),
            new("vault", PointKind.DoorContact, 4, ActiveHigh: true, LinePull.Up, Debounce, "a") { StuckAfter = TimeSpan.FromDays(30) },
        ],
        [
            new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]))
    {
        Supervision = new SupervisionPolicy(4, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)),
    };


    private readonly ControllerHarness _h;

    public SupervisionControllerTests() => _h = new ControllerHarness(Site, _ => new MemorySafetyStore());

    /// <summary>Sets the point and lets its debounce (or lock-out) pass on the fake clock.</summary>
    private async Task SetAsync(string point, bool active, TimeSpan? hold = null)
    {
        _h.Set(point, active);
        await _h.SettleAsync();
        _h.Time.Advance(hold ?? TimeSpan.FromMilliseconds(200));
        await _h.SettleAsync();
    }

    private async Task FlapAsync(string point, int transitions)
    {
        for (var i = 0; i < transitions; i++)
        {
            await SetAsync(point, i % 2 == 0);
        }
    }

    [Fact]
    public async Task A_chattering_fence_is_suppressed_until_the_settle_deadline_wakes_the_loop()
    {
        await _h.BootAsync();

        await FlapAsync("fence", 6); // the 4th change is chatter; the line ends inactive
        Assert.Single(_h.Events.Events.OfType<ChatterDetected>());
        Assert.Equal(["fence"], _h.Controller.Snapshot!.SuppressedPoints);
        Assert.Equal(2, _h.Events.Events.Count(e => e is PointActivated { PointId: "fence" }));
        Assert.True(_h.Controller.Current!.IsActive("fence"), "the state machine keeps the state of the 3rd change, the last one it saw");

        // The settle time counts from the last change (the 6th, seen when its debounce timer woke the
        // loop at the end of SetAsync's advance). The line has held at rest since its debounce
        // ended, 175 ms before that: 3 s (the hold time) after it the state machine has it, while
        // the point stays suppressed (SupervisionPolicy.HoldTime); nothing more at 29.9 s after
        // the change, the restore at 30 s.
        _h.Time.Advance(TimeSpan.FromSeconds(2.8));
        await _h.SettleAsync();
        Assert.True(_h.Controller.Current!.IsActive("fence"));
        _h.Time.Advance(TimeSpan.FromSeconds(0.1));
        await _h.SettleAsync();
        Assert.False(_h.Controller.Current!.IsActive("fence"), "a level held for the hold time goes on");
        Assert.IsType<PointRestored>(_h.Events.Events[^1]);
        Assert.Equal(["fence"], _h.Controller.Snapshot!.SuppressedPoints);
        _h.Time.Advance(TimeSpan.FromSeconds(27));
        await _h.SettleAsync();
        Assert.DoesNotContain(_h.Events.Events, e => e is ChatterRestored);
        var heldEvents = _h.Events.Events.Count;

        _h.Time.Advance(TimeSpan.FromSeconds(0.1));
        await _h.SettleAsync();
        var restored = Assert.Single(_h.Events.Events.OfType<ChatterRestored>());
        Assert.False(restored.Active);
        Assert.Empty(_h.Controller.Snapshot!.SuppressedPoints);
        Assert.False(_h.Controller.Current!.IsActive("fence"), "the settled state is applied");
        // The state machine had the settled state already: the settle adds only the restore.
        Assert.Equal(heldEvents + 1, _h.Events.Events.Count);
    }

    [Fact]
    public async Task A_chattering_panic_button_keeps_starting_the_lockdown()
    {
        await _h.BootAsync();

        await FlapAsync("panic", 4);

        var chatter = Assert.Single(_h.Events.Events.OfType<ChatterDetected>());
        Assert.False(chatter.Suppressed);
        Assert.Empty(_h.Controller.Snapshot!.SuppressedPoints);
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
        Assert.Contains(_h.Events.Events, e => e is LockdownRetriggered);
        Assert.True(_h.Driver.GetOutputLevel(10));
    }

    [Fact]
    public async Task A_stuck_door_is_reported_once_by_the_timer_and_restored_when_it_opens()
    {
        await _h.BootAsync();

        _h.Time.Advance(TimeSpan.FromDays(29));
        await _h.SettleAsync();
        Assert.DoesNotContain(_h.Events.Events, e => e is PointStuck);

        _h.Time.Advance(TimeSpan.FromDays(1));
        await _h.SettleAsync();
        _h.Time.Advance(TimeSpan.FromDays(3));
        await _h.SettleAsync();
        var stuck = Assert.Single(_h.Events.Events.OfType<PointStuck>());
        Assert.Equal(("vault", false), (stuck.PointId, stuck.Active));

        await SetAsync("vault", true);
        Assert.IsType<PointStuckRestored>(Assert.Single(_h.Events.Events.OfType<PointStuckRestored>()));
        Assert.Contains(_h.Events.Events, e => e is PointActivated { PointId: "vault" });
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
