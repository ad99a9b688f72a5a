using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A safety-state save that never returns (an fsync a dying SD card does not answer) must not keep
/// the outputs from being driven: the loop waits for a save at most
/// SiteController.SafetySaveDeadline on its clock (the fake one here, moved by the test), reports
/// the state as not saved, drives the outputs and retries, never with a second save while the hung
/// one runs; once it ends, the latest state is saved. Every wait is bounded, so a bug fails a test
/// instead of hanging it; none is a speed assertion.
/// </summary>
public sealed class HungSaveTests : IAsyncDisposable
{
    private const int LockLine = 10, SirenLine = 11, ExitLine = 12;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static readonly SiteDefinition Site = new(
        "site-h", "gw-h",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("fire", PointKind.FireAlarm, 3, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("key", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            // Unlocked until a lockdown locks it; an egress door, so a fire releases it again.
            new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("siren", OutputKind.Siren, SirenLine, ActiveHigh: true, "a"),
            // Locked at all times but in a fire.
            new("exit", OutputKind.Lock, ExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true),
        ],
        new LockdownPolicy([], TimeSpan.FromMinutes(10), ["key"]),
        new LifeSafetyPolicy(["key"]));

    private readonly GatedStore _store = new();
    private readonly ControllerHarness _h;

    public HungSaveTests() => _h = new ControllerHarness(Site, _ => _store);

    [Fact]
    public async Task A_lockdown_whose_save_hangs_locks_at_the_deadline_and_the_latest_state_is_saved_once_the_disk_answers()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Hold = true;

        _h.Set("panic", true);
        Assert.True(_store.HeldSaveStarted.Wait(Patience), "the lockdown was never saved");
        // Save before drive: the loop waits for the save, up to the deadline on its clock.
        Assert.False(_h.Driver.GetOutputLevel(LockLine), "the lock was driven before its save was waited for");

        // Before the deadline the loop waited here until the disk answered: for ever.
        _h.Time.Advance(SiteController.SafetySaveDeadline);
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the doors waited for a hung disk");
        Assert.True(_h.Driver.GetOutputLevel(SirenLine), "the siren waited for a hung disk");
        var fault = Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Contains("did not finish the save within 500 ms", fault.Reason, StringComparison.Ordinal);

        // A fire now: its state cannot be saved while the hung save runs, and it does not wait.
        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.False(_h.Driver.GetOutputLevel(LockLine), "the fire's egress release waited for a hung disk");
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "the fire's egress release waited for a hung disk");
        Assert.Equal(2, _h.Events.Events.OfType<SafetyStateNotPersisted>().Count());
        Assert.Contains("earlier save", _h.Events.Events.OfType<SafetyStateNotPersisted>().Last().Reason, StringComparison.Ordinal);

        // The retry comes while the save still hangs: it waits its turn, no second save starts.
        _h.Time.Advance(SiteController.SafetySaveRetryInterval + TimeSpan.FromMilliseconds(1));
        await _h.SettleAsync();
        Assert.Equal(1, _store.Started);
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>());

        // The disk answers: the hung save wrote the lockdown without the fire; the latest is saved.
        _store.Hold = false;
        _store.Gate.Set();
        Assert.True(await _store.Ended.WaitAsync(Patience), "the hung save never ended");
        Assert.True(await _store.Ended.WaitAsync(Patience), "the latest state was not saved once the hung save ended");
        await _h.SettleAsync();
        var latest = _store.Saved[^1];
        Assert.Equal(SiteMode.Lockdown, latest.Mode);
        Assert.Equal(LifeSafety.FireEgressReleased, latest.LifeSafety);
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
        Assert.Equal(2, _store.Started);
        Assert.Equal(1, _store.MostInside);
    }

    [Fact]
    public async Task A_fire_whose_save_hangs_releases_egress_at_the_deadline()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "the exit was not locked before the fire");
        _store.Hold = true;

        _h.Set("fire", true);
        Assert.True(_store.HeldSaveStarted.Wait(Patience), "the fire was never saved");
        _h.Time.Advance(SiteController.SafetySaveDeadline);
        await _h.SettleAsync();

        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "the fire's egress release waited for a hung disk");
        Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Equal(LifeSafety.FireEgressReleased, _h.Controller.Current!.LifeSafety);
    }

    [Fact]
    public async Task A_save_that_ends_after_its_deadline_with_the_latest_state_is_not_made_again()
    {
        await LockdownPastItsSaveDeadlineAsync();

        _store.Hold = false;
        _store.Gate.Set();
        Assert.True(await _store.Ended.WaitAsync(Patience), "the hung save never ended");
        await _h.SettleAsync();

        // The save the loop gave up on wrote the state the site is in: that is on disk now.
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
        _h.Time.Advance(TimeSpan.FromSeconds(10));
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_store.Saved).Mode);
    }

    [Fact]
    public async Task An_orderly_stop_waits_for_a_hung_save_within_its_budget_then_saves_the_latest_state()
    {
        await LockdownPastItsSaveDeadlineAsync();
        _h.Set("fire", true);
        await _h.SettleAsync();

        // SIGTERM while the disk still hangs. Once the loop has ended (nothing else saves then),
        // the disk answers; the clock stands, so the stop cannot give up on the hung save
        // meanwhile.
        var stop = Task.Run(() => _h.Controller.StopAsync(CancellationToken.None));
        await Task.WhenAny(_h.Controller.ExecuteTask!).WaitAsync(Patience); // ends canceled
        _store.Hold = false;
        _store.Gate.Set();
        await stop.WaitAsync(Patience);

        var latest = _store.Saved[^1];
        Assert.Equal(LifeSafety.FireEgressReleased, latest.LifeSafety);
        Assert.Equal(SiteMode.Lockdown, latest.Mode);
        Assert.Equal(1, _store.MostInside);
    }

    [Fact]
    public async Task An_orderly_stop_gives_up_on_a_save_that_never_ends_once_its_budget_has_passed()
    {
        await LockdownPastItsSaveDeadlineAsync();

        var stop = Task.Run(() => _h.Controller.StopAsync(CancellationToken.None));
        var advanced = TimeSpan.Zero;
        while (!stop.IsCompleted && advanced < 10 * SiteController.StopSaveBudget)
        {
            _h.Time.Advance(TimeSpan.FromMilliseconds(100));
            advanced += TimeSpan.FromMilliseconds(100);
            await Task.Delay(1);
        }

        Assert.True(stop.IsCompleted, "the stop waited for a hung disk beyond its budget");
        await stop;
        Assert.True(advanced >= SiteController.StopSaveBudget, $"the stop gave up after {advanced}, before its budget");
        Assert.Empty(_store.Saved);
        Assert.Equal(1, _store.Started);
    }

    /// <summary>Boots, then a panic press whose save hangs, until the loop gave up waiting for it.</summary>
    private async Task LockdownPastItsSaveDeadlineAsync()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Hold = true;
        _h.Set("panic", true);
        Assert.True(_store.HeldSaveStarted.Wait(Patience), "the lockdown was never saved");
        _h.Time.Advance(SiteController.SafetySaveDeadline);
        await _h.SettleAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _store.Gate.Set();
        await _h.DisposeAsync();
    }
}
