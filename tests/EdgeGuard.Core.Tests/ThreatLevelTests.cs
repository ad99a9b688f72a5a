using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>Threat levels arm the perimeter, may make a breach lock down, shorten held-open times; silent hold-up.</summary>
public sealed class ThreatLevelTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create("a", "b");

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active = true, double at = 1) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    private static SiteState AtLevel5() => Step(Step(Quiet(), "key-threat5").State, "key-threat5", false, 2).State;

    [Fact]
    public void A_level_keyswitch_sets_the_level_and_the_level_survives_a_restart()
    {
        var decision = Step(Quiet(), "key-threat5");

        var changed = Assert.IsType<ThreatLevelChanged>(decision.Events[^1]);
        Assert.Equal((1, 5, "key-threat5", Severity.Alarm), (changed.From, changed.To, changed.ChangedBy, changed.Severity));
        Assert.Equal(5, SiteState.Restore(Site, decision.State.Safety, decision.State.Points, TestSite.At(50)).ThreatLevel);
        Assert.DoesNotContain(decision.Events, e => e is LockdownClearRefused);
    }

    [Fact]
    public void At_a_level_that_locks_down_a_breach_in_an_armed_zone_starts_the_lockdown()
    {
        var decision = Step(AtLevel5(), "fence-c", at: 3);

        Assert.True(Assert.IsType<PerimeterBreach>(decision.Events[1]).StartsLockdown);
        var started = Assert.IsType<LockdownStarted>(decision.Events[^1]);
        Assert.Equal(("perimeter-breach", "fence-c"), (started.Cause, started.PointId));
        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        Assert.True(OutputPlan.For(Site, decision.State).IsActive("lock-egress"));
    }

    [Fact]
    public void A_door_contact_in_an_armed_zone_is_not_a_perimeter_breach()
    {
        var decision = Step(AtLevel5(), "door-a", at: 3);

        Assert.DoesNotContain(decision.Events, e => e is PerimeterBreach);
        Assert.Equal(SiteMode.Normal, decision.State.Mode);
    }

    [Fact]
    public void A_higher_level_shortens_the_held_open_time()
    {
        var lockdown = Step(Quiet(), "panic-a", at: 1).State; // door-a's lock is now meant to be secure
        var atLevel1 = Step(lockdown, "door-a", at: 3).State;
        var atLevel5 = Step(Step(lockdown, "key-threat5", at: 2).State, "door-a", at: 3).State;

        Assert.Equal(TimeSpan.FromSeconds(3) + TestSite.HeldOpen, SiteDecider.NextDeadline(Site, atLevel1));
        Assert.Equal(TimeSpan.FromSeconds(3 + 10), SiteDecider.NextDeadline(Site, atLevel5));
    }

    [Fact]
    public void A_silent_hold_up_reports_to_the_office_and_changes_nothing_anyone_could_see_or_hear()
    {
        var decision = Step(Quiet(), "holdup-b");

        var holdUp = Assert.IsType<SilentHoldUp>(decision.Events[^1]);
        Assert.Equal(("holdup-b", "b", Severity.Critical), (holdUp.PointId, holdUp.Zone, holdUp.Severity));
        Assert.Equal(SiteMode.Normal, decision.State.Mode);
        Assert.Equal(OutputPlan.For(Site, Quiet()), OutputPlan.For(Site, decision.State));
    }

    [Fact]
    public void A_real_breach_at_a_level_that_locks_down_replaces_a_running_drill()
    {
        var drill = Step(AtLevel5(), "key-drill", at: 3).State;
        Assert.True(drill.Lockdown!.Drill);

        var breach = Step(drill, "fence-c", at: 4);

        Assert.True(Assert.IsType<PerimeterBreach>(breach.Events.Single(e => e is PerimeterBreach)).StartsLockdown);
        Assert.False(breach.State.Lockdown!.Drill);
        Assert.Equal("perimeter-breach", breach.State.Lockdown.Cause);
        Assert.True(OutputPlan.For(Site, breach.State).IsActive("siren"), "a real lockdown is not muted");
    }

    [Fact]
    public void The_level_is_persisted_only_once_somebody_sets_it()
    {
        var untouched = Step(Quiet(), "door-a").State;
        var chosen = AtLevel5();

        Assert.Null(untouched.Safety.ThreatLevel);
        Assert.Equal(5, chosen.Safety.ThreatLevel);
        var restored = SiteState.Restore(Site, chosen.Safety, chosen.Points, TestSite.At(9));
        Assert.Equal((5, true), (restored.ThreatLevel, restored.ThreatLevelChosen));
    }
}
