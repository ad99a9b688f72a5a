using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

// An orderly stop that waits for a save still running, which then lands: the state it wrote is
// durable, so the stop saves nothing more. A second save of it was only a chance to fail (the
// journal's writer holding the database at shutdown) and raise a critical fault for a state
// already on disk. A save that failed is still made again at the stop.
public sealed partial class HungSaveTests
{
    [Fact]
    public async Task An_orderly_stop_whose_awaited_late_save_lands_saves_it_no_more_and_raises_nothing()
    {
        await LockdownPastItsSaveDeadlineAsync();
        await StopWhileTheHeldSaveLandsAsync();

        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());
    }

    [Fact]
    public async Task An_orderly_stop_whose_awaited_save_past_its_bound_lands_restores_the_fault_without_saving_again()
    {
        await LockdownPastItsSaveBoundAsync();
        await StopWhileTheHeldSaveLandsAsync();

        // The fault raised at the bound stood for a state now on disk: the office hears its restore.
        Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);
    }

    // Stops while the held save runs, then lets it land (every later save would fail): it is the one save made.
    private async Task StopWhileTheHeldSaveLandsAsync()
    {
        FailEverySaveAfterTheHeldOne();

        var stop = Task.Run(() => _h.Controller.StopAsync(CancellationToken.None));
        await _h.LoopEndedAsync(Patience); // ends canceled
        _store.Hold = false;
        _store.Gate.Set();
        await stop.WaitAsync(Patience);
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_store.Saved).Mode);
        Assert.Equal(1, _store.Started);
    }

    [Fact]
    public async Task An_orderly_stop_whose_awaited_save_fails_saves_the_state_again_and_faults_when_that_fails_too()
    {
        await LockdownPastItsSaveDeadlineAsync();
        _store.Failure = new IOException("database is locked");

        var stop = Task.Run(() => _h.Controller.StopAsync(CancellationToken.None));
        await _h.LoopEndedAsync(Patience); // ends canceled
        _store.Hold = false;
        _store.Gate.Set();
        await stop.WaitAsync(Patience);

        // Not on disk: the stop tried it again, and says so when it could not.
        Assert.Empty(_store.Saved);
        Assert.True(_store.Started > 1, $"the stop did not save again a state whose save failed ({_store.Started} saves)");
        Assert.Contains("database is locked", Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>()).Reason, StringComparison.Ordinal);
    }

    /// <summary>The save held now lands; every later one throws as a busy database.</summary>
    private void FailEverySaveAfterTheHeldOne()
    {
        var saves = 0;
        _store.FailureFor = _ => Interlocked.Increment(ref saves) > 1 ? new IOException("database is locked") : null;
    }
}
