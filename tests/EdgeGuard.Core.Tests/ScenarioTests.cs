using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>Evacuation, shelter in place, precedence between scenarios, and drills.</summary>
public sealed class ScenarioTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create("a", "b");

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active = true, double at = 1) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    private static SiteState Apply(SiteState state, params string[] pressed)
    {
        var at = 1.0;
        foreach (var point in pressed)
        {
            state = Step(state, point, true, at).State;
            state = Step(state, point, false, at + 1).State;
            at += 2;
        }

        return state;
    }

    [Fact]
    public void An_evacuation_releases_every_egress_lock_on_the_site_and_sounds_the_sirens()
    {
        var decision = Step(Quiet(), "key-evac");

        Assert.Equal(SiteMode.Evacuation, decision.State.Mode);
        var started = Assert.IsType<LockdownStarted>(decision.Events[^1]);
        Assert.Equal(("evacuation.started", "evacuate", "keyswitch"), (started.Type, started.Scenario, started.Cause));
        var plan = OutputPlan.For(Site, decision.State);
        Assert.False(plan.IsActive("lock-egress"));
        Assert.True(plan.IsActive("lock-entry"), "a normally locked non-egress door stays locked");
        Assert.True(plan.IsActive("siren"));
        Assert.True(plan.IsActive("strobe"));
        Assert.True(plan.IsActive("lamp"));
    }

    [Fact]
    public void A_higher_ranked_evacuation_takes_over_a_lockdown_and_a_panic_press_cannot_take_it_back()
    {
        var lockdown = Step(Quiet(), "panic-a").State;

        var evacuation = Step(lockdown, "key-evac", at: 2);
        var panicAgain = Step(evacuation.State, "panic-b", at: 3);

        Assert.Equal("lockdown", Assert.IsType<LockdownStarted>(evacuation.Events[^1]).Replaced);
        Assert.Equal(SiteMode.Evacuation, panicAgain.State.Mode);
        Assert.DoesNotContain(panicAgain.Events, e => e is LockdownStarted);
        Assert.Contains(panicAgain.Events, e => e is PointActivated { PointId: "panic-b" });
    }

    [Fact]
    public void Shelter_in_place_locks_its_zone_quietly_and_a_lockdown_outranks_it()
    {
        var shelter = Step(Quiet(), "key-shelter");

        Assert.Equal("shelter.started", shelter.Events[^1].Type);
        var plan = OutputPlan.For(Site, shelter.State);
        Assert.True(plan.IsActive("lock-c"), "the shelter zone's lock is locked");
        Assert.False(plan.IsActive("lock-egress"), "zone a is not in the shelter's scope");
        Assert.False(plan.IsActive("siren"), "shelter in place is quiet");
        Assert.Null(shelter.State.SirenUntil);
        Assert.Equal(SiteMode.Lockdown, Step(shelter.State, "panic-a", at: 2).State.Mode);
    }

    [Fact]
    public void A_drill_runs_the_same_logic_with_its_events_flagged_and_muted_outputs_silent()
    {
        var drill = Step(Quiet(), "key-drill");

        Assert.Equal(SiteMode.Lockdown, drill.State.Mode);
        Assert.True(drill.State.Lockdown!.Drill);
        var started = Assert.IsType<LockdownStarted>(drill.Events[^1]);
        Assert.True(started.Drill);
        Assert.False(drill.Events.OfType<PointActivated>().Single().Drill, "the key turn itself is a real fact");
        var plan = OutputPlan.For(Site, drill.State);
        Assert.True(plan.IsActive("lock-egress"), "a drill locks doors like the real thing");
        Assert.True(drill.State.SirenSounding);
        Assert.False(plan.IsActive("siren"), "muted in a drill");
        Assert.True(plan.IsActive("strobe"));

        var cleared = Step(Step(drill.State, "key-drill", false, 2).State, "key-a", at: 3);
        Assert.True(Assert.IsType<LockdownCleared>(cleared.Events[^1]).Drill);
        Assert.Equal(SiteMode.Normal, cleared.State.Mode);
    }

    [Fact]
    public void A_real_alarm_during_a_drill_is_real_at_once_and_a_drill_cannot_replace_a_real_one()
    {
        var drill = Apply(Quiet(), "key-drill");

        var real = Step(drill, "panic-a", at: 10);

        Assert.False(real.State.Lockdown!.Drill);
        Assert.False(real.Events.OfType<LockdownStarted>().Single().Drill);
        Assert.True(OutputPlan.For(Site, real.State).IsActive("siren"));
        var drillAgain = Step(Step(real.State, "panic-a", false, 11).State, "key-drill", at: 12);
        Assert.False(drillAgain.State.Lockdown!.Drill);
        Assert.DoesNotContain(drillAgain.Events, e => e is LockdownStarted or LockdownRetriggered);
    }

    [Fact]
    public void Only_a_releaser_of_the_running_scenario_ends_it()
    {
        var evacuation = Apply(Quiet(), "key-evac");

        var rogue = Step(evacuation, "key-rogue", at: 10);
        var releaser = Step(evacuation, "key-a", at: 10);

        Assert.Contains("not authorised to end 'evacuate'", Assert.IsType<LockdownClearRefused>(rogue.Events[^1]).Reason, StringComparison.Ordinal);
        Assert.Equal(SiteMode.Evacuation, rogue.State.Mode);
        Assert.Equal(("evacuation.cleared", "evacuate"), (releaser.Events[^1].Type, ((LockdownCleared)releaser.Events[^1]).Scenario));
        Assert.Equal(SiteMode.Normal, releaser.State.Mode);
        Assert.True(OutputPlan.For(Site, releaser.State).IsActive("lock-entry"));
    }

    [Fact]
    public void A_running_drill_or_scenario_survives_a_restart_with_the_same_output_plan()
    {
        foreach (var state in new[] { Apply(Quiet(), "key-drill"), Apply(Quiet(), "key-evac"), Apply(Quiet(), "key-shelter") })
        {
            var restored = SiteState.Restore(Site, state.Safety, state.Points, TestSite.At(100));

            Assert.Equal(state.Lockdown, restored.Lockdown);
            Assert.Equal(OutputPlan.For(Site, state), OutputPlan.For(Site, restored));
        }
    }

    [Fact]
    public void A_real_fire_during_a_drill_still_flashes_a_muted_strobe_and_a_real_delayed_egress_still_sounds_a_muted_siren()
    {
        var site = Site with { DrillMutedOutputs = ["siren", "strobe"] };
        var drill = SiteDecider.Decide(site, Quiet(), new PointChanged("key-drill", true), TestSite.At(1)).State;
        Assert.False(OutputPlan.For(site, drill).IsActive("strobe"), "the drill itself is muted");

        var fire = SiteDecider.Decide(site, drill, new PointChanged("fire-panel", true), TestSite.At(2)).State;
        Assert.True(OutputPlan.For(site, fire).IsActive("strobe"), "a real fire is not the drill's");

        var delayedEgress = SiteDecider.Decide(site, Quiet(), new PointChanged("rex-b", true), TestSite.At(1)).State; // delayed egress starts
        var drillDuringEgress = SiteDecider.Decide(site, delayedEgress, new PointChanged("key-drill", true), TestSite.At(2)).State;
        Assert.True(drillDuringEgress.Lockdown!.Drill);
        Assert.True(OutputPlan.For(site, drillDuringEgress).IsActive("siren"), "the door's local alarm is not the drill's");
    }

    [Fact]
    public void Ending_a_scenario_that_took_over_from_a_lockdown_is_refused_while_the_panic_button_is_held()
    {
        var held = Step(Quiet(), "panic-a").State;                      // panic held down
        var evacuation = Step(held, "key-evac", at: 2).State;           // takes over
        evacuation = Step(evacuation, "key-evac", false, 3).State;

        var release = Step(evacuation, "key-a", at: 4);

        Assert.Equal(SiteMode.Evacuation, release.State.Mode);
        Assert.Contains("panic button 'panic-a' is still active", Assert.IsType<LockdownClearRefused>(release.Events[^1]).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drill_whose_siren_is_muted_runs_its_siren_time_in_silence()
    {
        // What state/lockdown's sirenSounding means (its schema says so): the siren time runs,
        // and the output plan decides which sirens sound; none does when the drill mutes them.
        var drill = Step(Quiet(), "key-drill").State;

        Assert.True(drill.Lockdown!.Drill);
        Assert.True(drill.SirenSounding);
        Assert.False(OutputPlan.For(Site, drill).IsActive("siren"));
    }

    [Fact]
    public void An_evacuation_is_not_ended_at_its_key_while_a_panic_button_pressed_during_it_is_held()
    {
        // The panic button is no trigger of the evacuation, and the lockdown it asks for is
        // refused under it: still somebody is in danger, so the releaser key ends nothing.
        var evacuation = Step(Step(Quiet(), "key-evac").State, "key-evac", false, 2).State;
        var held = Step(evacuation, "panic-b", at: 3).State;
        Assert.Equal(SiteMode.Evacuation, held.Mode);

        var release = Step(held, "key-a", at: 4);

        Assert.Equal(SiteMode.Evacuation, release.State.Mode);
        Assert.DoesNotContain(release.Events, e => e is LockdownCleared);
        Assert.Equal("panic button 'panic-b' is still active", Assert.IsType<LockdownClearRefused>(release.Events[^1]).Reason);
    }

    [Fact]
    public void A_key_that_ends_the_running_scenario_ends_it_even_if_it_could_also_start_a_drill()
    {
        var site = Site with { LockdownDrillTriggers = ["key-a"] }; // config refuses this; the decider is safe anyway
        var lockdown = SiteDecider.Decide(site, Quiet(), new PointChanged("panic-a", true), TestSite.At(1)).State;
        lockdown = SiteDecider.Decide(site, lockdown, new PointChanged("panic-a", false), TestSite.At(2)).State;

        var turned = SiteDecider.Decide(site, lockdown, new PointChanged("key-a", true), TestSite.At(3));

        Assert.Equal(SiteMode.Normal, turned.State.Mode);
        Assert.IsType<LockdownCleared>(turned.Events[^1]);
    }

    [Fact]
    public void A_point_triggers_the_highest_ranked_scenario_listing_it_the_first_of_equal_rank_and_drill_triggers_apart()
    {
        Assert.NotEmpty(Site.Scenarios); // the shared site's lookups are built before the copy is made
        var site = Site with
        {
            ExtraScenarios =
            [
                new("low", SiteMode.ShelterInPlace, ["c"], 50, ["key-x"], ["key-y"], ["key-a"], TimeSpan.Zero),
                new("high", SiteMode.Evacuation, [], 200, ["key-x"], [], ["key-a"], TimeSpan.Zero),
                new("high-too", SiteMode.Evacuation, [], 200, ["key-x"], ["key-y"], ["key-a"], TimeSpan.Zero),
            ],
        };

        Assert.Equal("high", site.ScenarioTriggeredBy("key-x", drill: false)?.Id);
        Assert.Null(site.ScenarioTriggeredBy("key-x", drill: true));
        Assert.Equal("high-too", site.ScenarioTriggeredBy("key-y", drill: true)?.Id);
        Assert.Null(site.ScenarioTriggeredBy("key-y", drill: false));
        Assert.Equal(Core.Site.ScenarioDefinition.LockdownId, site.ScenarioTriggeredBy("panic-a", drill: false)?.Id);
        Assert.Equal(Core.Site.ScenarioDefinition.LockdownId, site.ScenarioTriggeredBy("key-drill", drill: true)?.Id);
        Assert.Null(site.ScenarioTriggeredBy("door-a", drill: false));
        Assert.Null(site.ScenarioTriggeredBy("holdup-b", drill: false)); // a silent hold-up starts nothing
        // A changed copy of a site answers from its own scenarios, not from the one it was made from.
        Assert.Equal("evacuate", Site.ScenarioTriggeredBy("key-evac", drill: false)?.Id);
        Assert.Null(site.ScenarioTriggeredBy("key-evac", drill: false));
    }
}
