using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A fire input already active when the gateway boots: the egress locks are opened released, from
/// the first level their lines ever drive, even over a restored lockdown or a normally-locked egress
/// door; only the settled read latches the fire release, so a boot transient releases egress for
/// the settle time and no longer (SiteController.FireAtBoot.cs).
/// </summary>
public sealed class FireAtBootTests : IAsyncDisposable
{
    // Fail-safe maglocks driven active-high: high = energised = locked, low = released.
    private const int ExitLine = 10;
    private const int FrontLine = 11;
    private const int OfficeLine = 12;

    private static readonly SiteDefinition Site = new(
        "site-f", "gw-f",
        [new("a", "A"), new("b", "B")],
        [
            new("fire", PointKind.FireAlarm, 2, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a"),
            new("key-fire", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key-clear", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            // Egress, locked only by the lockdown of zone a.
            new("lock-exit", OutputKind.Lock, ExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            // Egress, locked outside any lockdown too.
            new("lock-front", OutputKind.Lock, FrontLine, ActiveHigh: true, "b", LockFailMode.FailSafe, Egress: true, NormallyLocked: true),
            // Not egress: the lockdown keeps it locked, fire or not.
            new("lock-office", OutputKind.Lock, OfficeLine, ActiveHigh: true, "a", LockFailMode.FailSafe),
        ],
        new LockdownPolicy(["a"], TimeSpan.FromSeconds(30), ["key-clear"]),
        new LifeSafetyPolicy(["key-fire"]));

    private static readonly SafetyState LockedDown = new(
        SiteMode.Lockdown, new LockdownInfo("panic button", null, new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero)), false);

    private readonly MemorySafetyStore _store = new();
    private readonly ControllerHarness _h;
    private IReadOnlyDictionary<string, bool>? _opened;
    private bool _fireEndsOnceOutputsOpen;

    public FireAtBootTests() =>
        _h = new(Site, _ => _store, openOutputs: (gpio, initial) =>
        {
            // The native egress locks may be opened before the saved state is loaded, the rest after.
            _opened = new Dictionary<string, bool>((_opened ?? new Dictionary<string, bool>()).Concat(initial), StringComparer.Ordinal);
            if (_fireEndsOnceOutputsOpen && initial.ContainsKey("lock-office"))
            {
                _h!.Set("fire", false); // the transient is over before the inputs settle
            }

            return new GpioOutputLines(gpio, Site.Outputs.Where(o => initial.ContainsKey(o.Id)), initial);
        });

    [Fact]
    public async Task A_fire_active_at_boot_opens_the_egress_locks_of_a_restored_lockdown_released()
    {
        _store.Save(LockedDown);
        _h.Set("fire", true); // the fire panel is in alarm while the gateway boots

        await _h.BootAsync();
        await _h.SettleAsync();

        Assert.False(_opened!["lock-exit"], "the lockdown's egress lock was opened locked during a fire");
        Assert.Equal([false], _h.Driver.DrivenLevels(ExitLine));
        // Everything else as the restored plan: the lockdown still holds the office.
        Assert.True(_opened["lock-office"]);
        Assert.Equal([true], _h.Driver.DrivenLevels(OfficeLine));
        var state = _h.Controller.Current!;
        Assert.Equal(LifeSafety.FireEgressReleased, state.LifeSafety);
        Assert.Equal(SiteMode.Lockdown, state.Mode);
        Assert.Single(_h.Events.Events, e => e is FireAlarmRaised);
        Assert.Equal(LifeSafety.FireEgressReleased, _store.Load().LifeSafety);
    }

    [Fact]
    public async Task A_fire_active_at_boot_opens_a_normally_locked_egress_lock_released()
    {
        _h.Set("fire", true);

        await _h.BootAsync();
        await _h.SettleAsync();

        Assert.False(_opened!["lock-front"], "the normally-locked egress lock was opened locked during a fire");
        Assert.Equal([false], _h.Driver.DrivenLevels(FrontLine));
        Assert.Equal([false], _h.Driver.DrivenLevels(ExitLine));
        Assert.Equal([false], _h.Driver.DrivenLevels(OfficeLine));
        Assert.Equal(LifeSafety.FireEgressReleased, _h.Controller.Current!.LifeSafety);
    }

    [Fact]
    public async Task Without_a_fire_at_boot_the_outputs_open_at_the_restored_plan_and_nothing_more_is_reported()
    {
        _store.Save(LockedDown);

        await _h.BootAsync();
        await _h.SettleAsync();

        // The restored lockdown's plan: every lock locked (energised).
        Assert.Equal(new Dictionary<string, bool> { ["lock-exit"] = true, ["lock-front"] = true, ["lock-office"] = true }, _opened);
        Assert.Equal([true], _h.Driver.DrivenLevels(ExitLine));
        Assert.Equal([true], _h.Driver.DrivenLevels(FrontLine));
        Assert.Equal([true], _h.Driver.DrivenLevels(OfficeLine));
        Assert.Equal(["gateway.started"], _h.Events.Events.Select(e => e.Type));
        Assert.Equal(LifeSafety.Normal, _h.Controller.Current!.LifeSafety);
    }

    [Fact]
    public async Task A_fire_transient_at_boot_the_settled_read_does_not_confirm_releases_egress_for_the_settle_time_only()
    {
        _store.Save(LockedDown);
        _h.Set("fire", true);
        _fireEndsOnceOutputsOpen = true;

        await _h.BootAsync();
        await _h.SettleAsync();

        Assert.False(_opened!["lock-exit"], "the egress lock was opened locked while the fire input read active");
        // Back to the restored plan once the settled read shows no fire: released, then locked.
        Assert.Equal([false, true], _h.Driver.DrivenLevels(ExitLine));
        Assert.Equal([false, true], _h.Driver.DrivenLevels(FrontLine));
        Assert.Equal([true], _h.Driver.DrivenLevels(OfficeLine));
        var state = _h.Controller.Current!;
        Assert.Equal(LifeSafety.Normal, state.LifeSafety);
        Assert.Equal(SiteMode.Lockdown, state.Mode);
        Assert.DoesNotContain(_h.Events.Events, e => e is FireAlarmRaised or PointActiveAtBoot);
        Assert.Equal(LifeSafety.Normal, _store.Load().LifeSafety);
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
