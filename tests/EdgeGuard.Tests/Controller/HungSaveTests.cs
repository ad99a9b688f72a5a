using System.Diagnostics;
using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A safety-state save that never returns (an fsync a dying SD card does not answer) must not keep
/// the outputs from being driven: the loop waits for a save at most
/// SiteController.SafetySaveDeadline on its clock (the fake one here, moved by the test) and drives
/// the outputs. The save is late then, not failed: the state counts as not saved (the critical
/// fault, retries) only if the save throws or still runs at SiteController.SafetySaveLateBound;
/// never with a second save while the late one runs; once it ends, the latest state is saved.
/// Every wait is bounded, so a bug fails a test instead of hanging it; none is a speed assertion.
/// </summary>
public sealed partial class HungSaveTests : IAsyncDisposable
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
        _h.Time.Advance(SiteController.SafetySaveLateBound - SiteController.SafetySaveDeadline);
        await _h.SettleAsync();
        var fault = Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Contains("did not finish the save within 2000 ms", fault.Reason, StringComparison.Ordinal);

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
        // The store signals Ended from inside Save, before the saver's thread hands the loop that
        // end (the restore comes from it): a settle before then, the thread descheduled on a
        // loaded machine, finds no restore yet. Idle is the hand-off done.
        await WaitUntilSaverIdleAsync();
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
        Assert.Equal(LifeSafety.FireEgressReleased, _h.Controller.Current!.LifeSafety);
        _h.Time.Advance(SiteController.SafetySaveLateBound - SiteController.SafetySaveDeadline);
        await _h.SettleAsync();
        Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
    }

    [Fact]
    public async Task A_save_that_ends_late_but_within_its_bound_raises_no_fault_and_the_outputs_were_driven_at_the_deadline()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Hold = true;
        _h.Set("panic", true);
        Assert.True(_store.HeldSaveStarted.Wait(Patience), "the lockdown was never saved");

        _h.Time.Advance(SiteController.SafetySaveDeadline);
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the doors waited for a slow disk");
        Assert.True(_h.Driver.GetOutputLevel(SirenLine), "the siren waited for a slow disk");

        // The save ends 600 ms after it started, as one that waited behind the journal's commit
        // on a slow card: it failed nothing, so the office hears nothing critical, now or later.
        _h.Time.Advance(TimeSpan.FromMilliseconds(100));
        await _h.SettleAsync();
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        await EndHeldSavesAsync();
        _h.Time.Advance(SiteController.SafetySaveLateBound + SiteController.SafetySaveRetryInterval);
        await _h.SettleAsync();

        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>());
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_store.Saved).Mode);
    }

    [Fact]
    public async Task A_save_that_never_ends_raises_the_fault_at_its_bound_and_its_restore_when_it_ends()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Hold = true;
        _h.Set("panic", true);
        Assert.True(_store.HeldSaveStarted.Wait(Patience), "the lockdown was never saved");

        _h.Time.Advance(SiteController.SafetySaveLateBound - TimeSpan.FromMilliseconds(1));
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the doors waited for a hung disk");
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());

        _h.Time.Advance(TimeSpan.FromMilliseconds(1));
        await _h.SettleAsync();
        var fault = Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Contains("did not finish the save within 2000 ms", fault.Reason, StringComparison.Ordinal);
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>());

        await EndHeldSavesAsync();
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
        Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
    }

    [Fact]
    public async Task A_save_that_throws_raises_the_fault_at_once_and_its_restore_when_a_retry_takes()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Failure = new IOException("disk I/O error");

        // The clock stands: the fault cannot wait for any deadline or bound.
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the doors waited for a failing disk");
        Assert.Equal("disk I/O error", Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>()).Reason);
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>());

        _store.Failure = null;
        _h.Time.Advance(SiteController.SafetySaveRetryInterval);
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_store.Saved).Mode);
    }

    [Fact]
    public async Task A_retry_that_runs_late_is_not_due_again_at_every_tick_and_raises_nothing_new()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Failure = new IOException("disk I/O error");
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());

        // The disk mends but is slow: the retry runs past its deadline.
        _store.Failure = null;
        _store.Hold = true;
        _h.Time.Advance(SiteController.SafetySaveRetryInterval);
        Assert.True(_store.HeldSaveStarted.Wait(Patience), "the retry never started");
        _h.Time.Advance(SiteController.SafetySaveDeadline);
        await _h.SettleAsync();

        // Not due again back to back while it runs (a real timer would tick for it every ms).
        Assert.True(_h.Time.DueTimes.Last() >= SiteController.SafetySaveDeadline, $"the timer was armed {_h.Time.DueTimes.Last()} ahead");
        Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Equal(2, _store.Started);

        await EndHeldSavesAsync();
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
    }

    [Fact]
    public async Task A_save_that_throws_after_its_deadline_raises_the_fault_when_it_throws_not_at_the_deadline()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Hold = true;
        _h.Set("panic", true);
        Assert.True(_store.HeldSaveStarted.Wait(Patience), "the lockdown was never saved");
        _h.Time.Advance(SiteController.SafetySaveDeadline);
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the doors waited for a slow disk");
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());

        // Within the bound, the save fails: that is a real failure, reported as it is known.
        _store.Failure = new IOException("disk I/O error");
        await EndHeldSavesAsync();
        Assert.Equal("disk I/O error", Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>()).Reason);

        // The disk mends: the retry takes, and its restore follows the fault.
        _store.Failure = null;
        _h.Time.Advance(SiteController.SafetySaveRetryInterval);
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
        Assert.Equal(SiteMode.Lockdown, _store.Saved[^1].Mode);
        Assert.Equal(1, _store.MostInside);
    }

    [Fact]
    public async Task A_state_decided_behind_a_late_save_raises_no_fault_and_is_saved_once_that_save_ends()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Hold = true;
        _h.Set("panic", true);
        Assert.True(_store.HeldSaveStarted.Wait(Patience), "the lockdown was never saved");
        _h.Time.Advance(SiteController.SafetySaveDeadline);
        await _h.SettleAsync();

        // A fire while the lockdown's save still runs, within its bound: released at once, and its
        // state waits for that save, which is only slow.
        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "the fire's egress release waited for a slow disk");
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());

        await EndHeldSavesAsync();
        Assert.True(await _store.Ended.WaitAsync(Patience), "the latest state was not saved once the late save ended");
        // Its end handed to the loop first (Ended comes before that): else the "nothing raised"
        // below would look before the loop heard of the end, and pass whatever it then does.
        await WaitUntilSaverIdleAsync();
        await _h.SettleAsync();
        Assert.Equal(LifeSafety.FireEgressReleased, _store.Saved[^1].LifeSafety);
        Assert.Equal(SiteMode.Lockdown, _store.Saved[^1].Mode);
        Assert.Equal(2, _store.Started);
        Assert.Equal(1, _store.MostInside);
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>());
    }

    [Fact]
    public async Task A_save_that_ends_after_its_deadline_with_the_latest_state_is_not_made_again()
    {
        await LockdownPastItsSaveBoundAsync();

        // Not Ended and a settle alone: the store signals Ended from inside Save, before the
        // saver's thread hands the loop that end (whose restore is asserted below), so on a loaded
        // machine the settle could pass before the loop heard of it (a CI failure). This waits for
        // the hand-off too.
        await EndHeldSavesAsync();

        // The save the loop gave up on wrote the state the site is in: that is on disk now.
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
        _h.Time.Advance(TimeSpan.FromSeconds(10));
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_store.Saved).Mode);
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
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());
    }

    /// <summary>
    /// Boots, then a panic press whose save hangs, until the loop gave up waiting for it and the
    /// save passed its bound (the fault raised).
    /// </summary>
    private async Task LockdownPastItsSaveBoundAsync()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Hold = true;
        _h.Set("panic", true);
        Assert.True(_store.HeldSaveStarted.Wait(Patience), "the lockdown was never saved");
        _h.Time.Advance(SiteController.SafetySaveDeadline);
        await _h.SettleAsync();
        _h.Time.Advance(SiteController.SafetySaveLateBound - SiteController.SafetySaveDeadline);
        await _h.SettleAsync();
        Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
    }

    /// <summary>
    /// Opens the gate for held saves and waits (bounded) until the saver's thread is idle, every
    /// end it had to report handed to the loop, and the loop has taken them: what follows is
    /// decided. A barrier, not a quiet period.
    /// </summary>
    private async Task EndHeldSavesAsync()
    {
        _store.Hold = false;
        _store.Gate.Set();
        Assert.True(await _store.Ended.WaitAsync(Patience), "the held save never ended");
        var waiting = Stopwatch.StartNew();
        while (!_h.Controller.SafetySaverIdle)
        {
            Assert.True(waiting.Elapsed < Patience, "the saver never went idle");
            await Task.Delay(5);
        }

        await _h.SettleAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _store.Gate.Set();
        await _h.DisposeAsync();
    }
}
