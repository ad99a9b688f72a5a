using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

public sealed class SiteDeciderTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create();

    private static SiteState Boot(SafetyState? safety = null) =>
        SiteState.Restore(Site, safety ?? SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Press(SiteState state, string point, double at) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, true), TestSite.At(at));

    [Fact]
    public void Panic_press_starts_a_lockdown_with_cause_point_and_siren()
    {
        var decision = Press(Boot(), "panic-a", 1);

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        Assert.Equal("panic-a", decision.State.Lockdown?.Point);
        Assert.Equal(TestSite.At(1).Utc, decision.State.Lockdown?.Since);
        Assert.True(decision.State.SirenSounding);
        Assert.Collection(decision.Events,
            e => Assert.Equal("point.activated", e.Type),
            e => Assert.IsType<LockdownStarted>(e));
    }

    [Fact]
    public void Lockdown_locks_every_lock_and_sounds_siren_strobe_and_lamp()
    {
        var plan = OutputPlan.For(Site, Press(Boot(), "panic-a", 1).State);

        Assert.All(["lock-egress", "lock-entry", "lock-c", "siren", "strobe", "lamp"], id => Assert.True(plan.IsActive(id), id));
    }

    [Fact]
    public void Normal_plan_keeps_locks_at_their_normal_state_and_signals_off()
    {
        var plan = OutputPlan.For(Site, Boot());

        Assert.False(plan.IsActive("lock-egress"));
        Assert.True(plan.IsActive("lock-entry"));
        Assert.All(["siren", "strobe", "lamp"], id => Assert.False(plan.IsActive(id), id));
    }

    [Fact]
    public void Scoped_lockdown_leaves_locks_outside_its_zones_alone()
    {
        var site = TestSite.Create("a");
        var state = SiteDecider.Decide(site, SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0)),
            new PointChanged("panic-b", true), TestSite.At(1)).State;

        var plan = OutputPlan.For(site, state);

        Assert.True(plan.IsActive("lock-egress"));
        Assert.False(plan.IsActive("lock-c"));
        Assert.False(plan.IsActive("strobe"));
        Assert.True(plan.IsActive("lamp"));
    }

    [Fact]
    public void Authorised_keyswitch_clears_the_lockdown()
    {
        var state = Press(Boot(), "panic-a", 1).State;
        state = SiteDecider.Decide(Site, state, new PointChanged("panic-a", false), TestSite.At(2)).State;

        var decision = Press(state, "key-a", 3);

        Assert.Equal(SiteMode.Normal, decision.State.Mode);
        Assert.Null(decision.State.Lockdown);
        Assert.False(decision.State.SirenSounding);
        var cleared = Assert.IsType<LockdownCleared>(decision.Events[^1]);
        Assert.Equal("key-a", cleared.ClearedBy);
        Assert.Equal(TestSite.At(1).Utc, cleared.LockdownSince);
    }

    [Fact]
    public void Unauthorised_keyswitch_is_refused_and_reported()
    {
        var state = Press(Boot(), "panic-a", 1).State;
        state = SiteDecider.Decide(Site, state, new PointChanged("panic-a", false), TestSite.At(2)).State;

        var decision = Press(state, "key-rogue", 3);

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        var refused = Assert.IsType<LockdownClearRefused>(decision.Events[^1]);
        Assert.Contains("not authorised", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Clear_is_refused_while_a_panic_button_is_still_held()
    {
        var state = Press(Boot(), "panic-a", 1).State;

        var decision = Press(state, "key-a", 3);

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        var refused = Assert.IsType<LockdownClearRefused>(decision.Events[^1]);
        Assert.Contains("panic-a", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Siren_stops_after_its_time_but_the_lockdown_goes_on()
    {
        var state = Press(Boot(), "panic-a", 1).State;

        var early = SiteDecider.Decide(Site, state, TimerTick.Instance, TestSite.At(60.9));
        var due = SiteDecider.Decide(Site, state, TimerTick.Instance, TestSite.At(61));

        Assert.True(early.State.SirenSounding);
        Assert.Empty(early.Events);
        Assert.False(due.State.SirenSounding);
        Assert.Equal(SiteMode.Lockdown, due.State.Mode);
        Assert.IsType<SirenTimedOut>(Assert.Single(due.Events));
        Assert.False(OutputPlan.For(Site, due.State).IsActive("siren"));
        Assert.True(OutputPlan.For(Site, due.State).IsActive("lock-egress"));
    }

    [Fact]
    public void Second_panic_during_lockdown_restarts_the_siren()
    {
        var state = Press(Boot(), "panic-a", 1).State;
        state = SiteDecider.Decide(Site, state, TimerTick.Instance, TestSite.At(61)).State;

        var decision = Press(state, "panic-b", 100);

        Assert.True(decision.State.SirenSounding);
        Assert.Equal("panic-a", decision.State.Lockdown?.Point);
        Assert.IsType<LockdownRetriggered>(decision.Events[^1]);
    }

    [Fact]
    public void A_fence_breach_is_reported_without_changing_mode_at_a_level_that_does_not_lock_down()
    {
        var decision = Press(Boot(), "fence-c", 1);

        Assert.Equal(SiteMode.Normal, decision.State.Mode);
        Assert.Equal(Severity.Alarm, Assert.IsType<PointActivated>(decision.Events[0]).Severity);
        var breach = Assert.IsType<PerimeterBreach>(decision.Events[1]);
        Assert.Equal(("c", 1, false), (breach.Zone, breach.ThreatLevel, breach.StartsLockdown));
    }

    [Fact]
    public void Restored_lockdown_reproduces_the_plan_before_power_loss()
    {
        var before = Press(Boot(), "panic-a", 1).State;

        var after = SiteState.Restore(Site, before.Safety, before.Points, TestSite.At(1000));

        Assert.Equal(OutputPlan.For(Site, before), OutputPlan.For(Site, after));
        Assert.Equal(before.Lockdown, after.Lockdown);
    }

    [Fact]
    public void Output_levels_follow_fail_mode_and_active_level()
    {
        var failSafe = Site.Outputs.Single(o => o.Id == "lock-egress");
        var failSecure = Site.Outputs.Single(o => o.Id == "lock-entry");
        var activeLow = Site.Outputs.Single(o => o.Id == "lock-c");

        Assert.True(failSafe.LevelFor(active: true));    // maglock: power = locked
        Assert.False(failSecure.LevelFor(active: true));  // strike: no power = locked
        Assert.True(failSecure.LevelFor(active: false));
        Assert.False(activeLow.LevelFor(active: true));   // relay board driven low to energise
    }
}
