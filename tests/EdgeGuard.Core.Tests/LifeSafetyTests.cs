using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>Fire beats lockdown: egress opens in any mode and stays open until a person resets it.</summary>
public sealed class LifeSafetyTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create();

    private static SiteState Quiet(SafetyState? safety = null) =>
        SiteState.Restore(Site, safety ?? SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active, double at = 1) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    private static SiteState Apply(SiteState state, params (string Point, bool Active)[] changes)
    {
        foreach (var (point, active) in changes)
        {
            state = Step(state, point, active).State;
        }

        return state;
    }

    [Fact]
    public void Fire_during_a_lockdown_releases_egress_and_keeps_everything_else_locked_down()
    {
        var lockdown = Apply(Quiet(), ("panic-a", true));

        var decision = Step(lockdown, "fire-panel", true);

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        Assert.Equal(LifeSafety.FireEgressReleased, decision.State.LifeSafety);
        var raised = Assert.IsType<FireAlarmRaised>(decision.Events[^1]);
        Assert.Equal(("fire-panel", "c", SiteMode.Lockdown), (raised.PointId, raised.Zone, raised.Mode));
        var plan = OutputPlan.For(Site, decision.State);
        Assert.False(plan.IsActive("lock-egress"), "egress must open in a fire");
        Assert.True(plan.IsActive("lock-entry"), "a non-egress door stays locked");
        Assert.True(plan.IsActive("lock-c"));
        Assert.True(plan.IsActive("siren"));
        Assert.True(plan.IsActive("strobe"));
    }

    [Fact]
    public void Egress_stays_released_after_the_fire_input_restores_until_a_reset_key_is_turned()
    {
        var restored = Apply(Quiet(), ("panic-a", true), ("panic-a", false), ("fire-panel", true), ("fire-panel", false));
        Assert.False(OutputPlan.For(Site, restored).IsActive("lock-egress"));

        var reset = Step(restored, "key-fire", true);

        Assert.Equal(LifeSafety.Normal, reset.State.LifeSafety);
        Assert.Equal("key-fire", Assert.IsType<FireReset>(reset.Events[^1]).ResetBy);
        // Back under the lockdown's rule: the egress door locks again.
        Assert.True(OutputPlan.For(Site, reset.State).IsActive("lock-egress"));
        Assert.Equal(SiteMode.Lockdown, reset.State.Mode);
    }

    [Fact]
    public void A_reset_while_a_fire_input_is_active_is_refused_and_says_why()
    {
        var burning = Apply(Quiet(), ("fire-panel", true));

        var decision = Step(burning, "key-fire", true);

        Assert.Equal(LifeSafety.FireEgressReleased, decision.State.LifeSafety);
        var refused = Assert.IsType<FireResetRefused>(decision.Events[^1]);
        Assert.Contains("fire input 'fire-panel' is still active", refused.Reason, StringComparison.Ordinal);
        Assert.False(OutputPlan.For(Site, decision.State).IsActive("lock-egress"));
    }

    [Fact]
    public void The_lockdown_clear_key_does_not_reset_a_fire_and_a_lockdown_clear_leaves_egress_released()
    {
        var state = Apply(Quiet(), ("panic-a", true), ("panic-a", false), ("fire-panel", true), ("fire-panel", false));

        var decision = Step(state, "key-a", true);

        Assert.Equal(SiteMode.Normal, decision.State.Mode);
        Assert.Equal(LifeSafety.FireEgressReleased, decision.State.LifeSafety);
        Assert.DoesNotContain(decision.Events, e => e is FireReset or FireResetRefused);
        Assert.False(OutputPlan.For(Site, decision.State).IsActive("lock-egress"));
    }

    [Fact]
    public void A_panic_press_during_a_fire_locks_down_but_egress_stays_open()
    {
        var burning = Apply(Quiet(), ("fire-panel", true));

        var decision = Step(burning, "panic-b", true);

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        Assert.False(OutputPlan.For(Site, decision.State).IsActive("lock-egress"));
        Assert.True(OutputPlan.For(Site, decision.State).IsActive("lock-entry"));
    }

    // A second zone's fire input, beside the panel's.
    private static readonly Site.SiteDefinition TwoFireSite = Site with
    {
        Points = [.. Site.Points, new("fire-2", EdgeGuard.Core.Site.PointKind.FireAlarm, 24, ActiveHigh: true, EdgeGuard.Core.Site.LinePull.Down, TestSite.FireLockout, "a")],
    };

    private static Decision StepTwo(SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(TwoFireSite, state, new PointChanged(point, active), TestSite.At(at));

    [Fact]
    public void A_second_fire_alarm_while_the_release_is_latched_is_reported_as_an_alarm()
    {
        // A fire starts in another zone before anybody reset the first release: the office must
        // hear of the new fire, not a point.activated at Info.
        var quiet = SiteState.Restore(TwoFireSite, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));
        var state = StepTwo(quiet, "fire-panel", true, 1).State;
        state = StepTwo(state, "fire-panel", false, 2).State;

        var again = StepTwo(state, "fire-2", true, 60);

        Assert.Contains(again.Events, e => e.Severity >= Severity.Alarm);
        var raised = Assert.IsType<FireAlarmRaised>(Assert.Single(again.Events, e => e is FireAlarmRaised));
        Assert.Equal(("fire-2", "a", SiteMode.Normal), (raised.PointId, raised.Zone, raised.Mode));
        Assert.Equal(LifeSafety.FireEgressReleased, again.State.LifeSafety);
        // Nothing changes but the saved record of the inputs that raised (FireRaisedRestartTests).
        Assert.Equal(state.Safety with { FireRaised = state.Safety.FireRaisedInputs.Add("fire-2") }, again.State.Safety);
        Assert.False(OutputPlan.For(TwoFireSite, again.State).IsActive("lock-egress"));
    }

    [Fact]
    public void A_chattering_fire_input_under_one_latched_release_does_not_raise_a_fire_alarm_storm()
    {
        // A loose terminal on the fire panel's input: the first edge releases egress, every later
        // one (fire inputs are never withheld for chatter) is a point.activated, not a fire.alarm.
        var state = SiteDecider.Decide(Site, Quiet(), InputsSettled.Instance, TestSite.At(0.1)).State;
        var alarms = 0;
        for (var i = 0; i < 50; i++)
        {
            var on = Step(state, "fire-panel", true, 1 + i);
            alarms += on.Events.OfType<FireAlarmRaised>().Count();
            Assert.Contains(on.Events, e => e is PointActivated { PointId: "fire-panel" });
            state = Step(on.State, "fire-panel", false, 1.5 + i).State;
        }

        Assert.True(state.FireEgressReleased);
        Assert.True(alarms <= 2, $"{alarms} critical fire.alarm events from one chattering fire input under one latched release");
        Assert.Equal(1, alarms);
    }

    [Fact]
    public void The_same_fire_input_after_a_reset_of_the_release_is_a_new_fire_alarm()
    {
        var state = Apply(Quiet(), ("fire-panel", true), ("fire-panel", false), ("fire-panel", true), ("fire-panel", false));
        state = Step(state, "key-fire", true, 10).State;
        Assert.Equal(LifeSafety.Normal, state.LifeSafety);
        state = Step(state, "key-fire", false, 11).State;

        var again = Step(state, "fire-panel", true, 20);

        Assert.Equal("fire-panel", Assert.IsType<FireAlarmRaised>(Assert.Single(again.Events, e => e is FireAlarmRaised)).PointId);
        Assert.Equal(LifeSafety.FireEgressReleased, again.State.LifeSafety);
        // And once only under that new release.
        var chatter = Step(Step(again.State, "fire-panel", false, 21).State, "fire-panel", true, 22);
        Assert.DoesNotContain(chatter.Events, e => e is FireAlarmRaised);
    }

    [Fact]
    public void After_a_restart_under_a_release_saved_without_its_record_a_fire_input_s_next_edge_raises_once_more()
    {
        // A row from before schema 20 does not say which inputs raised: the safe side is one more
        // alarm, never a silent fire. With the record, FireRaisedRestartTests.
        var released = Apply(Quiet(), ("fire-panel", true), ("fire-panel", false));
        var restarted = SiteState.Restore(Site, released.Safety with { FireRaised = null }, ImmutableDictionary<string, bool>.Empty, TestSite.At(500));
        var state = SiteDecider.Decide(Site, restarted, InputsSettled.Instance, TestSite.At(500.1)).State;

        var first = Step(state, "fire-panel", true, 501);
        var second = Step(Step(first.State, "fire-panel", false, 502).State, "fire-panel", true, 503);

        Assert.Single(first.Events, e => e is FireAlarmRaised);
        Assert.DoesNotContain(second.Events, e => e is FireAlarmRaised);
    }

    [Fact]
    public void A_fire_input_still_active_at_boot_under_a_saved_release_is_not_a_new_fire_alarm()
    {
        // The release and its fire.alarm were decided before the restart: a panel still in alarm
        // through it is no new leading edge, so a reboot does not raise the fire again.
        var burning = Apply(Quiet(), ("fire-panel", true));
        var restarted = SiteState.Restore(Site, burning.Safety, new Dictionary<string, bool> { ["fire-panel"] = true }, TestSite.At(500));

        var decision = SiteDecider.Decide(Site, restarted, InputsSettled.Instance, TestSite.At(500.1));

        Assert.DoesNotContain(decision.Events, e => e is FireAlarmRaised);
        Assert.Equal(LifeSafety.FireEgressReleased, decision.State.LifeSafety);
    }

    [Fact]
    public void A_fire_input_already_active_at_boot_releases_egress_once_inputs_settle()
    {
        var settled = SiteState.Restore(Site, SafetyState.Initial, new Dictionary<string, bool> { ["fire-panel"] = true }, TestSite.At(0));

        var decision = SiteDecider.Decide(Site, settled, InputsSettled.Instance, TestSite.At(0.1));

        Assert.Equal(LifeSafety.FireEgressReleased, decision.State.LifeSafety);
        Assert.IsType<FireAlarmRaised>(Assert.Single(decision.Events));
    }

    [Fact]
    public void Quiet_inputs_at_boot_change_nothing()
    {
        var quiet = Quiet();

        var decision = SiteDecider.Decide(Site, quiet, InputsSettled.Instance, TestSite.At(0.1));

        Assert.Same(quiet, decision.State);
        Assert.Empty(decision.Events);
    }

    [Fact]
    public void A_persisted_fire_release_survives_a_restart()
    {
        var burning = Apply(Quiet(), ("fire-panel", true), ("fire-panel", false));

        var restarted = SiteState.Restore(Site, burning.Safety, ImmutableDictionary<string, bool>.Empty, TestSite.At(500));

        Assert.Equal(LifeSafety.FireEgressReleased, restarted.LifeSafety);
        Assert.False(OutputPlan.For(Site, restarted).IsActive("lock-egress"));
    }

    // The egress door with delayed egress, as the config requires it (an egress, fail-safe lock:
    // GatewayConfigReader refuses delayed egress on any other, EgressExitConfigTests).
    private static readonly Site.SiteDefinition DelayedExitSite = Site with
    {
        Doors = [Site.DoorList[0] with { DelayedEgress = TestSite.DelayedEgress, LocalAlarm = "siren", RelockKeyswitches = ["key-door"] }, Site.DoorList[1]],
    };

    private static SiteState QuietDelayed() =>
        SiteState.Restore(DelayedExitSite, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision StepDelayed(SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(DelayedExitSite, state, new PointChanged(point, active), TestSite.At(at));

    // NFPA 101 7.2.1.6.1: a delayed-egress lock releases on a fire alarm, lockdown or not; its exit
    // button pressed in the fire changes nothing. (Review: a delayed-egress door on a fail-secure,
    // non-egress lock stayed locked here; the config now refuses such a door.)
    [Fact]
    public void A_delayed_egress_door_lets_people_out_in_a_fire_during_a_lockdown()
    {
        var state = StepDelayed(QuietDelayed(), "panic-a", true, 1).State;
        state = StepDelayed(state, "panic-a", false, 2).State;
        state = StepDelayed(state, "fire-panel", true, 3).State;
        Assert.False(OutputPlan.For(DelayedExitSite, state).IsActive("lock-egress"), "the fire alone releases a delayed-egress exit");
        state = StepDelayed(state, "rex-a", true, 4).State;
        state = StepDelayed(state, "rex-a", false, 5).State;
        state = SiteDecider.Decide(DelayedExitSite, state, new TimerTick(), TestSite.At(40)).State;

        Assert.Equal(SiteMode.Lockdown, state.Mode);
        Assert.False(OutputPlan.For(DelayedExitSite, state).IsActive("lock-egress"), "a delayed-egress exit stays locked in a fire");
    }

    [Fact]
    public void A_delayed_egress_door_lets_people_out_after_its_delay_during_a_lockdown_without_a_fire()
    {
        var lockdown = StepDelayed(StepDelayed(QuietDelayed(), "panic-a", true, 1).State, "panic-a", false, 2).State;

        var started = StepDelayed(lockdown, "rex-a", true, 3);

        Assert.IsType<DelayedEgressStarted>(started.Events[^1]);
        Assert.True(OutputPlan.For(DelayedExitSite, started.State).IsActive("lock-egress"), "locked while the delay counts");
        var released = SiteDecider.Decide(DelayedExitSite, started.State, new TimerTick(), TestSite.At(3 + TestSite.DelayedEgress.TotalSeconds));
        Assert.Contains(released.Events, e => e is DelayedEgressReleased);
        Assert.Equal(SiteMode.Lockdown, released.State.Mode);
        Assert.False(OutputPlan.For(DelayedExitSite, released.State).IsActive("lock-egress"), "the exit opens after its delay, lockdown or not");
    }
}
