using System.Collections.Immutable;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The fire inputs that raised <c>fire.alarm</c> under a latched release are saved with it in the
/// journal (<see cref="SafetyState.FireRaised"/>, schema 20): after a power cut a second zone's
/// input that went active while the gateway was off raises its own <c>fire.alarm</c> at boot,
/// once, and an input that raised before the cut raises nothing again at any reboot.
/// </summary>
public sealed class FireRaisedRestartTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-f", "gw-f",
        [new("a", "A"), new("b", "B")],
        [
            new("fire", PointKind.FireAlarm, 2, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a"),
            new("fire-2", PointKind.FireAlarm, 5, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "b"),
            new("key-fire", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key-clear", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock-exit", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy(["a"], TimeSpan.FromSeconds(30), ["key-clear"]),
        new LifeSafetyPolicy(["key-fire"]));

    private readonly SqliteRestartRig _rig = new(Site, TimeSpan.FromMilliseconds(25));

    public ValueTask DisposeAsync() => _rig.DisposeAsync();

    private IEnumerable<string> Raised => _rig.Harness.Events.Events.OfType<FireAlarmRaised>().Select(e => e.PointId);

    [Fact]
    public async Task A_second_fire_input_gone_active_during_a_power_cut_raises_fire_alarm_once_at_boot()
    {
        await _rig.Harness.BootAsync();
        _rig.Harness.Set("fire", true);
        await _rig.Harness.SettleAsync();
        Assert.Equal(["fire"], Raised);
        Assert.Equal(["fire"], _rig.Saved.FireRaised!);

        // The power cut; the second zone's detector goes off while the gateway is dark.
        await _rig.RestartAsync();
        _rig.Harness.Set("fire", true);
        _rig.Harness.Set("fire-2", true);
        await _rig.Harness.BootAsync();
        await _rig.Harness.SettleAsync();

        Assert.Equal(["fire-2"], Raised);
        Assert.Equal("b", _rig.Harness.Events.Events.OfType<FireAlarmRaised>().Single().Zone);
        Assert.False(_rig.Harness.Driver.GetOutputLevel(10), "egress stays released");
        // Saved a moment later (only the record changed: nothing on site waits for it).
        // The saver takes it on its own thread, with no wait (SiteController.DecisionSave.cs), so
        // the settled loop is not yet the saved row.
        _rig.Harness.Time.Advance(TimeSpan.FromSeconds(2));
        await _rig.Harness.SettleAsync();
        Assert.True(
            SpinWait.SpinUntil(() => _rig.Saved.FireRaised is ["fire", "fire-2"], TimeSpan.FromSeconds(10)),
            $"saved: {string.Join(", ", _rig.Saved.FireRaised ?? [])}");

        // And every reboot after it, both still in alarm, raises neither again.
        await _rig.RestartAsync();
        _rig.Harness.Set("fire", true);
        _rig.Harness.Set("fire-2", true);
        await _rig.Harness.BootAsync();
        await _rig.Harness.SettleAsync();

        Assert.Empty(Raised);
        Assert.Equal(LifeSafety.FireEgressReleased, _rig.Saved.LifeSafety);
    }

    [Fact]
    public async Task A_second_fire_raised_at_runtime_is_saved_by_the_stop_and_not_raised_again_after_it()
    {
        await _rig.Harness.BootAsync();
        _rig.Harness.Set("fire", true);
        await _rig.Harness.SettleAsync();
        _rig.Harness.Set("fire", false);
        _rig.Harness.Set("fire-2", true);
        await _rig.Harness.SettleAsync();
        Assert.Equal(["fire", "fire-2"], Raised.Order(StringComparer.Ordinal));

        // Stopped before the record's save was due: the orderly stop saves it.
        await _rig.RestartAsync();
        Assert.Equal(["fire", "fire-2"], _rig.Saved.FireRaised!);
        _rig.Harness.Set("fire-2", true);
        await _rig.Harness.BootAsync();
        await _rig.Harness.SettleAsync();

        Assert.Empty(Raised);
    }

    [Fact]
    public async Task The_fire_reset_clears_the_saved_record_with_the_release()
    {
        await _rig.Harness.BootAsync();
        _rig.Harness.Set("fire", true);
        await _rig.Harness.SettleAsync();
        _rig.Harness.Time.Advance(TimeSpan.FromSeconds(1));
        _rig.Harness.Set("fire", false);
        await _rig.Harness.SettleAsync();

        await _rig.TurnAsync("key-fire");

        Assert.Equal(LifeSafety.Normal, _rig.Saved.LifeSafety);
        Assert.Null(_rig.Saved.FireRaised);
        // A new fire after the reset, across a power cut, raises again.
        await _rig.RestartAsync();
        _rig.Harness.Set("fire", true);
        await _rig.Harness.BootAsync();
        await _rig.Harness.SettleAsync();
        Assert.Equal(["fire"], Raised);
    }

    [Fact]
    public async Task A_boot_names_the_record_of_a_point_no_longer_a_fire_input()
    {
        var store = new MemorySafetyStore();
        store.Save(SafetyState.Initial with
        {
            LifeSafety = LifeSafety.FireEgressReleased,
            FireRaised = ImmutableSortedSet.Create(StringComparer.Ordinal, "fire", "fire-old"),
        });
        await using var h = new ControllerHarness(Site, _ => store);

        await h.BootAsync();
        await h.SettleAsync();

        var started = Assert.Single(h.Events.Events.OfType<GatewayStarted>());
        Assert.Equal(Severity.Warning, started.Severity);
        Assert.StartsWith("fire.alarm record of point fire-old (no longer a fire input: dropped", Assert.Single(started.NotRestored), StringComparison.Ordinal);
        Assert.Equal(["fire"], h.Controller.Current!.FireRaised);
    }
}
