using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A fire panel that alarms again inside the lock-out of its release (a fire input's debounce,
/// configurable to seconds) is active at once: a fire reset turned then is refused, and egress
/// stays released. Found by a review: the reset was accepted and relocked the exit for up to the
/// lock-out, during a fire.
/// </summary>
public sealed class FireBackInLockoutTests : IAsyncDisposable
{
    private const int ExitLine = 10;
    private static readonly SiteDefinition Site = new(
        "site-p", "gw-p",
        [new("a", "A")],
        [
            // debounceMs 2000 for a fire input: accepted by the config (max 10 000), it is the lock-out after each report.
            new("fire", PointKind.FireAlarm, 2, ActiveHigh: true, LinePull.Down, TimeSpan.FromSeconds(2), "a"),
            new("key-fire", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock-exit", OutputKind.Lock, ExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key-fire"]),
        new LifeSafetyPolicy(["key-fire"]));

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());

    [Fact]
    public async Task A_fire_reset_is_refused_while_the_panel_alarms_again_inside_the_lockout_of_its_release()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.False(_h.Driver.GetOutputLevel(ExitLine));

        _h.Time.Advance(TimeSpan.FromMilliseconds(100));
        _h.Set("fire", false); // the panel is silenced
        await _h.SettleAsync();
        _h.Time.Advance(TimeSpan.FromSeconds(2)); // the lock-out ends: "fire inactive" reported, next lock-out 2 s
        await _h.SettleAsync();
        await _h.SettleAsync();

        _h.Time.Advance(TimeSpan.FromMilliseconds(100));
        _h.Set("fire", true); // the panel alarms again: the input IS active
        await _h.SettleAsync();
        _h.Time.Advance(TimeSpan.FromMilliseconds(100));
        _h.Set("key-fire", true); // a guard turns the fire-reset key
        await _h.SettleAsync();

        Assert.DoesNotContain(_h.Events.Events, e => e is FireReset);
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "egress re-locked by a fire reset while the fire input was active");
    }

    [Fact]
    public async Task A_fire_back_inside_the_lockout_after_a_reset_releases_egress_at_once()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _h.Set("fire", true);
        await _h.SettleAsync();
        _h.Time.Advance(TimeSpan.FromMilliseconds(100));
        _h.Set("fire", false);
        await _h.SettleAsync();
        _h.Time.Advance(TimeSpan.FromSeconds(2)); // "fire inactive" reported, its lock-out 2 s
        await _h.SettleAsync();
        await _h.SettleAsync();

        _h.Time.Advance(TimeSpan.FromMilliseconds(100));
        _h.Set("key-fire", true); // a legitimate reset: no fire input active
        await _h.SettleAsync();
        Assert.Contains(_h.Events.Events, e => e is FireReset);
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "relocked by the reset");

        _h.Time.Advance(TimeSpan.FromMilliseconds(100));
        _h.Set("fire", true); // the panel alarms again, 1.9 s before the release's lock-out ends
        await _h.SettleAsync();

        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "egress still locked during a fire");
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
