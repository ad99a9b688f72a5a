using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

// A saved state the disk hands over only after the boot gave up on it (BootLoadDeadline). A
// lockdown in force before a power cut must survive it: if the site is still as it booted, the
// late read is put back in force as a boot restores it; if anything was decided since, it is not
// overridden, only reported.
public sealed partial class UnreadableSafetyStateTests
{
    private static readonly DateTimeOffset BeforeTheRestart = new(2026, 11, 23, 7, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_late_read_of_a_lockdown_on_a_site_still_as_it_booted_is_put_back_in_force()
    {
        var shelter = new SuspendedScenario(SiteMode.ShelterInPlace, new LockdownInfo("keyswitch", "key", BeforeTheRestart.AddMinutes(-5), "shelter-a"));
        _store.Holds = LockedDown with { SirenSounding = true, Suspensions = [shelter] };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);
        Assert.Equal(SiteMode.Normal, _h.Controller.Snapshot!.State.Mode);
        Assert.False(_h.Driver.GetOutputLevel(LockLine), "booted without the saved state: the lock unlocked");

        // The card answers a second past the bound.
        _store.Unhang();
        await Eventually.TrueAsync(() => !_store.LoadRunning && _h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        await _h.SettleAsync();

        // Before: only reported ("not applied: re-issue it"); the doors stayed unlocked until the
        // office re-issued the lockdown.
        var state = _h.Controller.Snapshot!.State;
        Assert.Equal(SiteMode.Lockdown, state.Mode);
        Assert.Equal(LockedDown.Lockdown, state.Lockdown);
        Assert.Equal([shelter], state.Suspended);
        Assert.True(state.SirenSounding, "a siren sounding at the power cut sounds again, as a boot restores it");
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the re-applied lockdown locks the door");
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);

        // What the office sees on a normal boot restore: gateway.started with the restored mode
        // (state/lockdown is republished after it), then the fault saying the state was re-applied.
        var started = _h.Events.Events.OfType<GatewayStarted>().ToList();
        Assert.Equal(2, started.Count);
        Assert.Equal(SiteMode.Normal, started[0].RestoredMode);
        Assert.Equal(SiteMode.Lockdown, started[1].RestoredMode);
        Assert.Equal("panic button", started[1].LockdownCause);
        Assert.Equal([shelter], started[1].Suspended);
        // The same run, not a restart: the office keeps the gateway's open faults open.
        Assert.Equal((false, true), (started[0].Reapplied, started[1].Reapplied));
        var faults = _h.Events.Events.OfType<SafetyStateUnreadable>().ToList();
        Assert.Equal(2, faults.Count);
        Assert.True(faults[1].ReadLate);
        var events = _h.Events.Events.ToList();
        Assert.True(events.IndexOf(started[1]) < events.IndexOf(faults[1]), "gateway.started first, as at boot");
        var late = EventReason(faults[1]);
        Assert.Contains("read late", late, StringComparison.Ordinal);
        Assert.Contains("re-applied", late, StringComparison.Ordinal);
        Assert.Contains("mode lockdown", late, StringComparison.Ordinal);
        Assert.Contains("shelter-a", late, StringComparison.Ordinal);
        Assert.DoesNotContain("re-issue", late, StringComparison.Ordinal);
        Assert.DoesNotContain("not applied", late, StringComparison.Ordinal);
        Assert.InRange(late.Length, 1, 1024);
        // The row holds what is in force: nothing to save.
        Assert.Null(_store.LastSaved);
    }

    [Fact]
    public async Task A_late_read_of_a_drill_put_back_in_force_is_reported_as_a_drill_of_its_scenario()
    {
        _store.Holds = LockedDown with { Lockdown = new LockdownInfo("keyswitch", "key", BeforeTheRestart, Drill: true) };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);

        _store.Unhang();
        await Eventually.TrueAsync(() => !_store.LoadRunning && _h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        await _h.SettleAsync();

        Assert.True(_h.Controller.Snapshot!.State.Lockdown!.Drill, "the drill is put back in force");
        var started = _h.Events.Events.OfType<GatewayStarted>().ToList();
        Assert.Equal(2, started.Count);
        Assert.False(started[0].Drill);
        Assert.Null(started[0].Scenario);
        Assert.True(started[1].Drill, "the re-applied drill is reported as a drill");
        Assert.Equal((SiteMode.Lockdown, ScenarioDefinition.LockdownId), (started[1].RestoredMode, started[1].Scenario));
    }

    [Fact]
    public async Task A_late_read_does_not_override_a_panic_lockdown_started_since_the_boot_nor_save_before_it()
    {
        _store.Holds = LockedDown with { Lockdown = new LockdownInfo("office-command", null, BeforeTheRestart) };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);
        var bootedAt = _h.Time.GetUtcNow();
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.Equal("panic-button", _h.Controller.Snapshot!.State.Lockdown?.Cause);

        _store.Unhang();
        await Eventually.TrueAsync(() => _store.LastSaved is { Mode: SiteMode.Lockdown }, Patience, "the panic's state saved once the load ended");
        await _h.SettleAsync();

        // The panic's lockdown stands: its cause, its start, its releaser.
        var state = _h.Controller.Snapshot!.State;
        Assert.Equal(SiteMode.Lockdown, state.Mode);
        Assert.Equal("panic-button", state.Lockdown?.Cause);
        Assert.True(state.Lockdown!.Since >= bootedAt, "the lockdown is the one started since the boot");
        Assert.Single(_h.Events.Events.OfType<GatewayStarted>());
        var late = EventReason(_h.Events.Events.OfType<SafetyStateUnreadable>().Last());
        Assert.Contains("not applied", late, StringComparison.Ordinal);
        Assert.Contains("'office-command'", late, StringComparison.Ordinal);
        Assert.Contains("re-issue", late, StringComparison.Ordinal);
        // The saver's order: the panic's save waited for the hung load, and wrote the row after it.
        Assert.Equal(["load ended", "saved Lockdown"], _store.Log);
        Assert.Equal(0, _store.SavesDuringLoad);
    }

    [Fact]
    public async Task A_late_read_does_not_bring_back_a_lockdown_after_one_started_and_cleared_since_the_boot()
    {
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);
        _h.Set("panic", true);
        await _h.SettleAsync();
        _h.Set("panic", false);
        _h.Set("key", true);
        await _h.SettleAsync();
        // Back in normal mode, as at boot; but a guard cleared a lockdown since.
        Assert.Equal(SafetyState.Initial, _h.Controller.Snapshot!.State.Safety);

        _store.Unhang();
        await Eventually.TrueAsync(() => _store.LastSaved is not null && _h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        await _h.SettleAsync();

        Assert.Equal(SiteMode.Normal, _h.Controller.Snapshot!.State.Mode);
        Assert.False(_h.Driver.GetOutputLevel(LockLine), "the guard's all-clear stands");
        Assert.Single(_h.Events.Events.OfType<GatewayStarted>());
        Assert.Contains("not applied", EventReason(_h.Events.Events.OfType<SafetyStateUnreadable>().Last()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_late_read_of_the_initial_state_changes_and_reports_nothing()
    {
        _store.Holds = SafetyState.Initial;
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);
        var before = _h.Events.Events.Count;

        _store.Unhang();
        await Eventually.TrueAsync(() => !_store.LoadRunning && _h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        await _h.SettleAsync();

        Assert.Equal(before, _h.Events.Events.Count);
        Assert.Equal(SiteMode.Normal, _h.Controller.Snapshot!.State.Mode);
        Assert.Single(_h.Events.Events.OfType<SafetyStateUnreadable>());
        Assert.Null(_store.LastSaved);
    }
}
