using System.Diagnostics;
using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

// A late save that ends while the disk stays stalled: the loop does not wait for the next save.
// The clock stands throughout, so a loop waiting on it for SafetySaveDeadline never returns and
// the harness's bounded settle fails the test instead.
public sealed partial class HungSaveTests
{
    [Fact]
    public async Task A_late_save_that_fails_leaves_the_retry_to_the_timer_and_the_next_edge_is_decided_without_a_save()
    {
        await LockdownPastItsSaveDeadlineAsync();

        // The late save throws; the disk stays stalled for any save after it.
        _store.Failure = new IOException("disk I/O error");
        _store.PassOne();
        Assert.True(await _store.Ended.WaitAsync(Patience), "the late save never ended");
        await WaitUntilSaverIdleAsync();
        await _h.SettleAsync();
        Assert.Equal("disk I/O error", Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>()).Reason);
        Assert.Equal(1, _store.Started);

        // An edge now that changes no saved state is decided at once: no save was started for the
        // loop to wait on. The clear key, refused while the panic button is held (releasing the
        // button would change the saved record of held panic buttons, so it is saved).
        _h.Set("key", true);
        await _h.SettleAsync();
        Assert.Contains(_h.Events.Events.OfType<LockdownClearRefused>(), e => e.AttemptedBy == "key");
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the lockdown's lock was not kept");

        // The timer's retry, a second on, saves it again.
        _store.Failure = null;
        _store.Hold = false;
        _h.Time.Advance(SiteController.SafetySaveRetryInterval);
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
        Assert.Equal(2, _store.Started);
    }

    [Fact]
    public async Task A_late_save_that_ends_behind_a_newer_state_hands_that_save_on_and_the_next_edge_drives_at_once()
    {
        await LockdownPastItsSaveDeadlineAsync();
        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "the fire's egress release waited for a slow disk");

        // The lockdown's save ends; the fire's, started then, stalls in the disk as well.
        _store.PassOne();
        Assert.True(_store.HeldStarts.Wait(Patience) && _store.HeldStarts.Wait(Patience), "the fire's state was never saved");

        // The fire is out and reset with the key: decided and driven while that save still runs.
        _h.Set("fire", false);
        _h.Set("key", true);
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "the reset's lock waited for a stalled disk");
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Equal(2, _store.Started);

        // Once the disk answers, the latest state is saved.
        await EndHeldSavesAsync();
        Assert.True(await _store.Ended.WaitAsync(Patience), "the latest state was not saved");
        await WaitUntilSaverIdleAsync();
        await _h.SettleAsync();
        Assert.Equal(LifeSafety.Normal, _store.Saved[^1].LifeSafety);
        Assert.Equal(1, _store.MostInside);
    }

    [Fact]
    public async Task An_older_late_save_that_fails_raises_nothing_for_the_newer_state_whose_own_save_takes()
    {
        await LockdownPastItsSaveDeadlineAsync();
        _h.Set("fire", true);
        await _h.SettleAsync();

        // The lockdown's save fails; the fire's state, saved after it, takes.
        _store.FailureFor = s => s.LifeSafety == LifeSafety.Normal ? new IOException("lockdown's save failed") : null;
        await EndHeldSavesAsync();
        Assert.True(await _store.Ended.WaitAsync(Patience), "the fire's state was never saved");
        await WaitUntilSaverIdleAsync();
        await _h.SettleAsync();

        // No fault for the fire's state with the lockdown's reason, and no restore right after it.
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>());
        Assert.Equal(LifeSafety.FireEgressReleased, Assert.Single(_store.Saved).LifeSafety);
        Assert.Equal(1, _store.MostInside);
    }

    [Fact]
    public async Task An_older_late_save_that_fails_then_the_newer_states_own_failure_raises_the_fault_with_its_reason()
    {
        await LockdownPastItsSaveDeadlineAsync();
        _h.Set("fire", true);
        await _h.SettleAsync();

        _store.FailureFor = s => new IOException(
            s.LifeSafety == LifeSafety.Normal ? "lockdown's save failed" : "fire's save failed");
        await EndHeldSavesAsync();
        Assert.True(await _store.Ended.WaitAsync(Patience), "the fire's state was never saved");
        await WaitUntilSaverIdleAsync();
        await _h.SettleAsync();

        Assert.Equal("fire's save failed", Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>()).Reason);
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>());
    }

    /// <summary>Waits (bounded) until the saver runs nothing and the loop was handed every end.</summary>
    private async Task WaitUntilSaverIdleAsync()
    {
        var waiting = Stopwatch.StartNew();
        while (!_h.Controller.SafetySaverIdle)
        {
            Assert.True(waiting.Elapsed < Patience, "the saver never went idle");
            await Task.Delay(5);
        }
    }
}
