using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A panic button still held when the inputs settle at boot (a latching hold-up button pressed during a
/// restart) is decided like a press: the guard must not have to release and press it again.
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
    public void Other_points_active_at_boot_still_start_nothing()
    {
        var state = Settled(SafetyState.Initial, "fence-c", "key-a", "rex-a");

        var decision = Settle(state);

        Assert.Equal(SiteMode.Normal, decision.State.Mode);
        Assert.DoesNotContain(decision.Events, e => e is LockdownStarted or SilentHoldUp);
    }
}
