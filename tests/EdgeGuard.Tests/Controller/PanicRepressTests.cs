using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A guard's second press right after a release counts: it used to wait for the lock-out that
/// follows the release (the panic button's debounce, up to 10 s by config), and was lost if shorter,
/// while a keyswitch turned meanwhile cleared the lockdown with the button held down (found by a
/// review). Now it counts once it has held <c>PointFilter.LockoutPressConfirm</c>.
/// </summary>
public sealed class PanicRepressTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(50), "a"),
        ],
        [
            new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: false),
            new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]));

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());

    private async Task Step(int ms)
    {
        for (var i = 0; i < ms; i += 10)
        {
            _h.Time.Advance(TimeSpan.FromMilliseconds(10));
            await _h.SettleAsync();
        }
    }

    [Fact]
    public async Task A_short_second_press_inside_the_release_lockout_after_a_key_clear_locks_down_again()
    {
        await _h.BootAsync();
        _h.Set("panic", true);            // t=0: press -> lockdown
        await _h.SettleAsync();
        await Step(100);
        _h.Set("panic", false);           // t=100: release (held in lock-out)
        await Step(420);                  // t=520: release reported at 500, new lock-out to 1000
        _h.Set("key", true);              // t=520: key turned; reported at 570 -> lockdown cleared
        await Step(80);
        _h.Set("key", false);
        Assert.Equal(SiteMode.Normal, _h.Controller.Current!.Mode);
        Assert.False(_h.Driver.GetOutputLevel(10));
        _h.Set("panic", true);            // t=600: second real press, 300 ms long
        await Step(300);
        Assert.True(_h.Driver.GetOutputLevel(10), "locked again while the button is held");
        _h.Set("panic", false);           // t=900
        await Step(1500);
        Assert.Equal(2, _h.Events.Events.Count(e => e is LockdownStarted));
    }

    [Fact]
    public async Task A_key_does_not_clear_the_lockdown_while_a_second_press_is_held()
    {
        await _h.BootAsync();
        _h.Set("panic", true);            // t=0: press -> lockdown
        await _h.SettleAsync();
        await Step(100);
        _h.Set("panic", false);           // t=100: release
        await Step(410);                  // t=510: release reported at 500, lock-out to 1000
        _h.Set("panic", true);            // t=510: pressed again and HELD
        await Step(10);
        _h.Set("key", true);              // t=520: key turned, reported at 570
        await Step(80);
        _h.Set("key", false);
        // The guard is holding the panic button, yet the key was accepted:
        Assert.DoesNotContain(_h.Events.Events, e => e is LockdownCleared);
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
