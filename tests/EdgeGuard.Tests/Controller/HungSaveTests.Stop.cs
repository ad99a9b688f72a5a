using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

// An orderly stop with a save still running: waited for within the stop's budget (3 s), the
// latest state saved after it; a state still not on disk when the gateway stops is a fault.
public sealed partial class HungSaveTests
{
    [Fact]
    public async Task An_orderly_stop_waits_for_a_hung_save_within_its_budget_then_saves_the_latest_state()
    {
        await LockdownPastItsSaveBoundAsync();
        _h.Set("fire", true);
        await _h.SettleAsync();

        // SIGTERM while the disk still hangs. Once the loop has ended (nothing else saves then),
        // the disk answers; the clock stands, so the stop cannot give up on the hung save
        // meanwhile.
        var stop = Task.Run(() => _h.Controller.StopAsync(CancellationToken.None));
        await _h.LoopEndedAsync(Patience); // ends canceled
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
        await LockdownPastItsSaveBoundAsync();

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

    [Fact]
    public async Task An_orderly_stop_while_a_save_is_only_late_waits_for_it_and_raises_nothing()
    {
        await LockdownPastItsSaveDeadlineAsync();

        // SIGTERM while the save is late, within its bound; it ends once the loop has ended.
        var stop = Task.Run(() => _h.Controller.StopAsync(CancellationToken.None));
        await _h.LoopEndedAsync(Patience); // ends canceled
        _store.Hold = false;
        _store.Gate.Set();
        await stop.WaitAsync(Patience);

        Assert.Equal(SiteMode.Lockdown, _store.Saved[^1].Mode);
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Empty(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>());
        Assert.Equal(1, _store.MostInside);
    }

    [Fact]
    public async Task An_orderly_stop_that_gives_up_on_a_hung_save_says_the_gateway_stopped_without_it()
    {
        await LockdownPastItsSaveDeadlineAsync();
        _h.Set("fire", true);
        await _h.SettleAsync();

        // SIGTERM with the lockdown's save hung past its bound and the fire's state behind it.
        var stop = Task.Run(() => _h.Controller.StopAsync(CancellationToken.None));
        var advanced = TimeSpan.Zero;
        while (!stop.IsCompleted && advanced < 10 * SiteController.StopSaveBudget)
        {
            _h.Time.Advance(TimeSpan.FromMilliseconds(100));
            advanced += TimeSpan.FromMilliseconds(100);
            await Task.Delay(1);
        }

        await stop.WaitAsync(Patience);
        // Not "saved once that one ends": the gateway is gone by then.
        var fault = Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
        Assert.Contains("gateway stopped", fault.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("once that", fault.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_orderly_stop_that_gives_up_on_a_late_save_raises_the_fault()
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

        await stop.WaitAsync(Patience);
        Assert.Empty(_store.Saved);
        // The gateway stops with its state maybe never on disk: the office hears it.
        Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersisted>());
    }
}
