using System.Diagnostics;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Controller;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A silent hold-up press changes only which panic buttons are held (<see cref="SafetyState.HeldPanics"/>):
/// nothing on site moves, so its report and the edges behind it do not wait for the disk. The
/// record is handed to the saver without a wait on the loop's timer, and so still reaches the disk.
/// </summary>
public sealed class SilentHoldUpSaveTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-s", "gw-s",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("holdup", PointKind.PanicButton, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a") { Silent = true },
            new("key", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe),
            new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromMinutes(10), ["key"]));

    private readonly GatedStore _store = new();
    private readonly ControllerHarness _h;

    public SilentHoldUpSaveTests() => _h = new ControllerHarness(Site, _ => _store);

    [Fact]
    public async Task A_silent_holdup_in_normal_mode_reaches_the_office_without_waiting_for_the_disk()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Hold = true; // an SD card that stalls (the loop's clock is not moved: its 500 ms never pass)

        _h.Set("holdup", true);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(5) && !_h.Events.Events.Any(e => e is SilentHoldUp))
        {
            await Task.Delay(20);
        }

        Assert.True(_h.Events.Events.Any(e => e is SilentHoldUp), "holdup.silent not reported after 5 s: it waits behind the save of HeldPanics");
        Assert.False(_store.HeldSaveStarted.IsSet, "a silent hold-up press in normal mode wrote the safety state (it saved nothing before a5e6ec2)");
        Assert.DoesNotContain(_h.Events.Events, e => e is SafetyStateNotPersisted);
    }

    [Fact]
    public async Task The_held_record_of_a_silent_holdup_reaches_the_disk_on_the_loop_s_timer()
    {
        await _h.BootAsync();
        await _h.SettleAsync();

        _h.Set("holdup", true);
        await _h.SettleAsync();
        Assert.Contains(_h.Events.Events, e => e is SilentHoldUp);

        _h.Time.Advance(SiteController.SafetySaveRetryInterval);
        await _h.SettleAsync();
        Assert.True(SpinWait.SpinUntil(() => _store.Saved.Any(s => s.HeldPanics is ["holdup"]), TimeSpan.FromSeconds(10)),
            "the held hold-up's record never reached the disk");
        Assert.DoesNotContain(_h.Events.Events, e => e is SafetyStateNotPersisted);
    }

    [Fact]
    public async Task A_held_record_not_yet_saved_is_saved_at_an_orderly_stop()
    {
        await _h.BootAsync();
        await _h.SettleAsync();

        _h.Set("holdup", true);
        await _h.SettleAsync();
        await _h.Controller.StopAsync(CancellationToken.None);

        Assert.Equal(["holdup"], _store.Saved[^1].HeldPanics!);
    }

    public async ValueTask DisposeAsync()
    {
        _store.Gate.Set();
        _h.Time.Advance(TimeSpan.FromSeconds(3));
        await _h.DisposeAsync();
    }
}
