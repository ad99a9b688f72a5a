using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The controller loop on the real GpioController over the simulated driver, with a
/// FakeTimeProvider so debounce and siren timing are exact and independent of machine speed.
/// </summary>
public sealed class SiteControllerTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(50), "a"),
        ],
        [
            new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]));

    private RecordingStore _store = null!;

    private readonly ControllerHarness _h;

    public SiteControllerTests() => _h = new ControllerHarness(Site, driver => _store = new RecordingStore(driver));

    [Fact]
    public async Task Door_change_is_reported_exactly_when_its_debounce_has_passed()
    {
        await _h.BootAsync();

        _h.Set("door", true);
        _h.Time.Advance(TimeSpan.FromMilliseconds(24));
        await _h.SettleAsync();
        Assert.DoesNotContain(_h.Events.Events, e => e is PointActivated);

        _h.Time.Advance(TimeSpan.FromMilliseconds(1));
        await _h.SettleAsync();
        Assert.Contains(_h.Events.Events, e => e is PointActivated { PointId: "door" });
    }

    [Fact]
    public async Task A_deadline_under_a_millisecond_away_is_waited_for_in_whole_milliseconds()
    {
        await _h.BootAsync();
        _h.Set("door", true);
        _h.Time.Advance(TimeSpan.FromMilliseconds(24.6));
        await _h.SettleAsync();

        // Another edge re-arms the timer with 0.4 ms left of the door's debounce: a real timer
        // would fire that at once, tick with nothing due and re-arm, until the deadline passed.
        var asked = _h.Time.DueTimes.Count;
        _h.Set("key", true);
        await _h.SettleAsync();
        Assert.All(_h.Time.DueTimes.Skip(asked), due => Assert.True(
            due == Timeout.InfiniteTimeSpan || due.Ticks % TimeSpan.TicksPerMillisecond == 0,
            $"the controller asked for a {due.TotalMilliseconds} ms timer"));
        Assert.DoesNotContain(_h.Events.Events, e => e is PointActivated { PointId: "door" });

        _h.Time.Advance(TimeSpan.FromMilliseconds(1));
        await _h.SettleAsync();
        Assert.Contains(_h.Events.Events, e => e is PointActivated { PointId: "door" });
    }

    [Fact]
    public async Task Lockdown_is_persisted_before_the_lock_is_driven()
    {
        await _h.BootAsync();

        _h.Set("panic", true);
        await _h.SettleAsync();

        var saved = Assert.Single(_store.Saves);
        Assert.Equal(SiteMode.Lockdown, saved.State.Mode);
        Assert.False(saved.LockLineWhenSaved, "the lock was driven before the lockdown was on disk");
        Assert.True(_h.Driver.GetOutputLevel(10));
        Assert.True(_h.Driver.GetOutputLevel(11));
    }

    [Fact]
    public async Task Siren_stops_after_its_time_on_the_fake_clock_while_the_lock_stays()
    {
        await _h.BootAsync();
        _h.Set("panic", true);
        await _h.SettleAsync();

        _h.Time.Advance(TimeSpan.FromSeconds(29));
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(11));

        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await _h.SettleAsync();
        Assert.False(_h.Driver.GetOutputLevel(11));
        Assert.True(_h.Driver.GetOutputLevel(10));
        Assert.Contains(_h.Events.Events, e => e is SirenTimedOut);
    }

    [Fact]
    public async Task A_failing_disk_does_not_stop_the_doors_locking()
    {
        _store.FailSaves = true;
        await _h.BootAsync();

        _h.Set("panic", true);
        await _h.SettleAsync();

        Assert.True(_h.Driver.GetOutputLevel(10));
        Assert.Contains(_h.Events.Events, e => e is SafetyStateNotPersisted);
    }

    [Fact]
    public async Task A_safety_state_whose_save_failed_is_saved_by_the_retry_timer_and_the_recovery_reported()
    {
        _store.FailSaves = true;
        await _h.BootAsync();
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(10), "the doors waited for the disk");

        // The disk stays broken for a while: retries, but one fault for the one state. (The timer
        // waits whole milliseconds, rounded up: a retry is due up to 1 ms after the interval.)
        var retry = SiteController.SafetySaveRetryInterval + TimeSpan.FromMilliseconds(1);
        for (var i = 0; i < 3; i++)
        {
            _h.Time.Advance(retry);
            await _h.SettleAsync();
        }

        Assert.Single(_h.Events.Events, e => e is SafetyStateNotPersisted);
        Assert.Empty(_store.Saves);

        // It recovers; nothing else happens on the site. The lockdown must reach the disk, or a power
        // cut would restore Normal and unlock the doors.
        _store.FailSaves = false;
        _h.Time.Advance(retry);
        await _h.SettleAsync();
        var saved = Assert.Single(_store.Saves);
        Assert.Equal(SiteMode.Lockdown, saved.State.Mode);
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_h.Events.Events.OfType<SafetyStateNotPersistedRestored>()).Mode);

        // Saved: no more retries.
        _h.Time.Advance(TimeSpan.FromSeconds(10));
        await _h.SettleAsync();
        Assert.Single(_store.Saves);
    }

    [Fact]
    public async Task A_safety_state_whose_save_failed_is_not_saved_again_by_decisions_before_its_retry_is_due()
    {
        _store.FailSaves = true;
        await _h.BootAsync();
        _h.Set("panic", true);
        await _h.SettleAsync();
        _store.FailSaves = false;

        // A door decided 25 ms later (its debounce), on the loop: a dying disk can take seconds per
        // failed write, so decisions do not each try it; the retry is once per interval.
        _h.Set("door", true);
        _h.Time.Advance(TimeSpan.FromMilliseconds(25));
        await _h.SettleAsync();
        Assert.Contains(_h.Events.Events, e => e is PointActivated { PointId: "door" });
        Assert.Empty(_store.Saves);

        _h.Time.Advance(SiteController.SafetySaveRetryInterval);
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_store.Saves).State.Mode);
        Assert.Single(_h.Events.Events, e => e is SafetyStateNotPersistedRestored);
    }

    [Fact]
    public async Task A_panic_button_held_through_a_restart_locks_down_once_inputs_settle()
    {
        _h.Set("panic", true); // latched before the gateway came up

        await _h.BootAsync();
        await _h.SettleAsync();

        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
        Assert.True(_h.Driver.GetOutputLevel(10), "the lock was not driven for a held panic button");
        Assert.True(_h.Driver.GetOutputLevel(11));
        Assert.Equal(SiteMode.Lockdown, Assert.Single(_store.Saves).State.Mode);
        var types = _h.Events.Events.Select(e => e.Type).ToList();
        Assert.True(types.IndexOf("point.active-at-boot") < types.IndexOf("lockdown.started"), string.Join(", ", types));
    }

    [Fact]
    public async Task Edges_during_boot_settling_raise_nothing()
    {
        var start = _h.Controller.StartAsync(CancellationToken.None);
        _h.Set("panic", true);   // transient while the inputs settle
        _h.Set("panic", false);
        while (!start.IsCompleted)
        {
            _h.Time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1);
        }

        await start;
        await _h.SettleAsync();

        Assert.Equal(SiteMode.Normal, _h.Controller.Current!.Mode);
        Assert.DoesNotContain(_h.Events.Events, e => e is LockdownStarted or PointActivated);
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    /// <summary>Records every save together with the lock line's level at that moment.</summary>
    private sealed class RecordingStore(SimulatedGpioDriver driver) : ISafetyStateStore
    {
        public List<(SafetyState State, bool LockLineWhenSaved)> Saves { get; } = [];

        public bool FailSaves { get; set; }

        public SafetyState Load() => SafetyState.Initial;

        public void Save(SafetyState state)
        {
            if (FailSaves)
            {
                throw new IOException("disk full");
            }

            Saves.Add((state, driver.GetOutputLevel(10)));
        }
    }
}
