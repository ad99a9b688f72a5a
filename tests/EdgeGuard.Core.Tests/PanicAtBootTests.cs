using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A panic button still held when the inputs settle at boot (a latching hold-up button pressed during a
/// restart) is decided like a press: the guard must not have to release and press it again. One whose
/// press was decided before the restart and never restored (stuck, or its loop cut) is not pressed
/// again: saved with the safety state (<see cref="SafetyState.HeldPanics"/>).
/// </summary>
public sealed class PanicAtBootTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create();

    private static SiteState Settled(SafetyState safety, params string[] active) =>
        SiteState.Restore(Site, safety, active.ToDictionary(id => id, _ => true), TestSite.At(0));

    private static Decision Settle(SiteState state) => SiteDecider.Decide(Site, state, InputsSettled.Instance, TestSite.At(0.1));

    [Fact]
    public void A_panic_button_held_at_boot_starts_the_lockdown_once_inputs_settle()
    {
        var decision = Settle(Settled(SafetyState.Initial, "panic-a"));

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        var started = Assert.Single(decision.Events.OfType<LockdownStarted>());
        Assert.Equal(("panic-button", "panic-a"), (started.Cause, started.PointId));
        Assert.False(started.Drill);
        var plan = OutputPlan.For(Site, decision.State);
        Assert.True(plan.IsActive("lock-entry"), "the doors did not lock for a held panic button");
        Assert.True(plan.IsActive("siren"));
        Assert.NotEqual(SafetyState.Initial, decision.State.Safety);
    }

    [Fact]
    public void A_silent_holdup_held_at_boot_reports_the_duress_and_nothing_an_attacker_could_see()
    {
        var quiet = Settled(SafetyState.Initial, "holdup-b");

        var decision = Settle(quiet);

        Assert.Equal(SiteMode.Normal, decision.State.Mode);
        Assert.Equal("holdup-b", Assert.IsType<SilentHoldUp>(Assert.Single(decision.Events)).PointId);
        Assert.Equal(OutputPlan.For(Site, quiet), OutputPlan.For(Site, decision.State));
    }

    [Fact]
    public void A_fire_and_a_panic_both_active_at_boot_release_egress_and_lock_down()
    {
        var decision = Settle(Settled(SafetyState.Initial, "fire-panel", "panic-b"));

        Assert.Equal(LifeSafety.FireEgressReleased, decision.State.LifeSafety);
        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        var plan = OutputPlan.For(Site, decision.State);
        Assert.False(plan.IsActive("lock-egress"), "life safety must beat the lockdown");
        Assert.True(plan.IsActive("lock-entry"));
    }

    [Fact]
    public void A_panic_held_through_a_restart_of_its_own_lockdown_is_not_a_new_press()
    {
        // A state saved before the record existed: the button that started the restored lockdown,
        // held at boot, is the press that started it, not a new one.
        var saved = new SafetyState(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-a", TestSite.At(-600).Utc), SirenSounding: false);
        var restored = SiteState.Restore(Site, saved, new Dictionary<string, bool> { ["panic-a"] = true }, TestSite.At(0));

        var settled = SiteDecider.Decide(Site, restored, InputsSettled.Instance, TestSite.At(0.1));

        Assert.DoesNotContain(settled.Events, e => e is LockdownRetriggered);
        Assert.False(OutputPlan.For(Site, settled.State).IsActive("siren"), "acknowledged siren sounds again after a reboot");
        Assert.Equal(["panic-a"], settled.State.Safety.HeldPanics!);
    }

    [Fact]
    public void Without_a_saved_record_only_the_button_that_started_the_restored_lockdown_is_taken_as_held_through()
    {
        // Whichever order the settle meets them in: panic-a started the lockdown, panic-b did not.
        var saved = new SafetyState(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-b", TestSite.At(-600).Utc), SirenSounding: false);

        var settled = Reboot(saved, "panic-a", "panic-b");

        Assert.Equal("panic-a", Assert.Single(settled.Events.OfType<LockdownRetriggered>()).PointId);
        Assert.Equal(["panic-a", "panic-b"], settled.State.Safety.HeldPanics!);
    }

    [Fact]
    public void A_retrigger_button_held_through_a_restart_is_not_pressed_again_by_the_saved_record()
    {
        // panic-b retriggered the lockdown panic-a started and sticks; the siren then timed out.
        var state = Press(Press(Quiet(), "panic-a", 1, release: true), "panic-b", 5, release: false);
        state = SiteDecider.Decide(Site, state, TimerTick.Instance, TestSite.At(100)).State;
        Assert.Equal(["panic-b"], state.Safety.HeldPanics!);

        var settled = Reboot(state.Safety, "panic-b");

        Assert.DoesNotContain(settled.Events, e => e is LockdownRetriggered or LockdownStarted);
        Assert.False(OutputPlan.For(Site, settled.State).IsActive("siren"), "the stuck button sounded the siren again");
        Assert.Equal(SiteMode.Lockdown, settled.State.Mode);
        // Still held, so it still blocks every release.
        Assert.True(settled.State.IsActive("panic-b"));
        Assert.Equal(["panic-b"], settled.State.Safety.HeldPanics!);
    }

    [Fact]
    public void A_panic_released_before_a_restart_and_held_at_boot_is_a_new_press()
    {
        // Released before the restart (the record was emptied, and saved), held at boot: it was
        // pressed again while the gateway was off, even the button that started the lockdown.
        var state = Press(Quiet(), "panic-a", 1, release: true);
        state = SiteDecider.Decide(Site, state, TimerTick.Instance, TestSite.At(100)).State;
        Assert.Empty(state.Safety.HeldPanics!);

        var settled = Reboot(state.Safety, "panic-a");

        Assert.Equal("panic-a", Assert.IsType<LockdownRetriggered>(Assert.Single(settled.Events, e => e is LockdownRetriggered)).PointId);
        Assert.True(OutputPlan.For(Site, settled.State).IsActive("siren"));
    }

    [Fact]
    public void A_held_panic_restored_during_the_restart_and_pressed_again_after_it_is_a_new_press()
    {
        var state = Press(Quiet(), "panic-a", 1, release: false);
        state = SiteDecider.Decide(Site, state, TimerTick.Instance, TestSite.At(100)).State;

        var settled = Reboot(state.Safety);
        Assert.Empty(settled.State.HeldPanics);
        var again = SiteDecider.Decide(Site, settled.State, new PointChanged("panic-a", true), TestSite.At(1));

        Assert.Contains(again.Events, e => e is LockdownRetriggered);
    }

    [Fact]
    public void A_silent_holdup_held_through_a_restart_is_not_reported_again()
    {
        var state = Press(Quiet(), "holdup-b", 1, release: false);
        Assert.Equal(["holdup-b"], state.Safety.HeldPanics!);

        var settled = Reboot(state.Safety, "holdup-b");

        Assert.DoesNotContain(settled.Events, e => e is SilentHoldUp);
        Assert.Equal(SiteMode.Normal, settled.State.Mode);
    }

    [Fact]
    public void A_held_holdup_reconfigured_as_a_lockdown_panic_locks_the_doors_at_boot()
    {
        // holdup-b pressed (silent) and still held: HeldPanics {holdup-b} saved in normal mode.
        var state = SiteDecider.Decide(Site, Settle(Quiet()).State, new PointChanged("holdup-b", true), TestSite.At(1)).State;
        Assert.Equal(["holdup-b"], state.Safety.HeldPanics!);

        // The technician makes it an audible panic button (same id) while the gateway is stopped.
        var audible = Site with { Points = [.. Site.Points.Select(p => p.Id == "holdup-b" ? p with { Silent = false } : p)] };
        var restored = SiteState.Restore(audible, state.Safety, new Dictionary<string, bool> { ["holdup-b"] = true }, TestSite.At(0));
        var settled = SiteDecider.Decide(audible, restored, InputsSettled.Instance, TestSite.At(0.1));

        Assert.Equal(SiteMode.Lockdown, settled.State.Mode);
        Assert.Equal("holdup-b", Assert.Single(settled.Events.OfType<LockdownStarted>()).PointId);
        Assert.True(OutputPlan.For(audible, settled.State).IsActive("lock-entry"), "the doors did not lock for a held panic button");
    }

    [Fact]
    public void A_held_panic_whose_lockdown_runs_keeps_its_record_when_the_config_is_unchanged()
    {
        // The reverse of the above must not fire for a stuck button: its lockdown is what runs.
        var state = Press(Quiet(), "panic-a", 1, release: false);

        var restored = SiteState.Restore(Site, state.Safety, new Dictionary<string, bool> { ["panic-a"] = true }, TestSite.At(0));

        Assert.Equal(["panic-a"], restored.HeldPanics);
    }

    private static SiteState Quiet() => Settled(SafetyState.Initial);

    private static SiteState Press(SiteState state, string point, double at, bool release)
    {
        state = SiteDecider.Decide(Site, state, new PointChanged(point, true), TestSite.At(at)).State;
        return release ? SiteDecider.Decide(Site, state, new PointChanged(point, false), TestSite.At(at + 0.5)).State : state;
    }

    private static Decision Reboot(SafetyState saved, params string[] held) =>
        SiteDecider.Decide(Site, SiteState.Restore(Site, saved, held.ToDictionary(id => id, _ => true), TestSite.At(0)), InputsSettled.Instance, TestSite.At(0.1));

    [Fact]
    public void Other_points_active_at_boot_still_start_nothing()
    {
        var state = Settled(SafetyState.Initial, "fence-c", "key-a", "rex-a");

        var decision = Settle(state);

        Assert.Equal(SiteMode.Normal, decision.State.Mode);
        Assert.DoesNotContain(decision.Events, e => e is LockdownStarted or SilentHoldUp);
    }
}
