using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A panic button stuck (or its loop cut, which reads active) through a restart of the lockdown it
/// started is not a new press at the next boot: the controller saves which buttons are held since
/// their press was decided (<see cref="SafetyState.HeldPanics"/>). A button released before the
/// restart and found held at boot was pressed again, and is.
/// </summary>
public sealed class StuckPanicRestartTests
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(25);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a"),
            new("key-clear", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, Debounce, "a"),
        ],
        [
            new("lock-a", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe),
            new("siren-a", OutputKind.Siren, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy(["a"], TimeSpan.FromSeconds(30), ["key-clear"]));

    private readonly MemorySafetyStore _store = new();

    [Fact]
    public async Task A_panic_stuck_through_a_restart_of_its_lockdown_does_not_retrigger_it_at_boot()
    {
        await RunBeforeRestartAsync(releaseBeforeRestart: false);
        Assert.Equal(["panic"], _store.Load().HeldPanics!);

        await using var after = new ControllerHarness(Site, _ => _store);
        after.Set("panic", true);
        await after.BootAsync();
        await after.SettleAsync();

        Assert.DoesNotContain(after.Events.Events, e => e is LockdownRetriggered or LockdownStarted);
        Assert.Equal(SiteMode.Lockdown, _store.Load().Mode);
        Assert.Equal(["panic"], _store.Load().HeldPanics!);
    }

    [Fact]
    public async Task A_panic_released_before_a_restart_and_held_at_boot_retriggers_its_lockdown()
    {
        await RunBeforeRestartAsync(releaseBeforeRestart: true);
        Assert.Empty(_store.Load().HeldPanics!);

        await using var after = new ControllerHarness(Site, _ => _store);
        after.Set("panic", true);
        await after.BootAsync();
        await after.SettleAsync();

        Assert.Equal("panic", Assert.Single(after.Events.Events.OfType<LockdownRetriggered>()).PointId);
    }

    private async Task RunBeforeRestartAsync(bool releaseBeforeRestart)
    {
        await using var before = new ControllerHarness(Site, _ => _store);
        await before.BootAsync();
        before.Set("panic", true);
        await before.SettleAsync();
        Assert.Single(before.Events.Events.OfType<LockdownStarted>());
        if (releaseBeforeRestart)
        {
            before.Time.Advance(TimeSpan.FromSeconds(1));
            before.Set("panic", false);
            await before.SettleAsync();
        }
    }
}
