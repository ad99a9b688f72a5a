using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A takeover suspends the real scenario it replaces: its locks hold, and it runs again when the
/// one over it is ended by a releaser. A panic press during a real shelter in place of zone c,
/// answered by a lockdown of zones a and b, used to unlock zone c.
/// </summary>
public sealed class SuspendedScenarioTests
{
    // The lockdown covers zones a and b; shelter-c (rank 50) covers zone c, where lock-c is.
    private static readonly SiteDefinition Site = TestSite.Create("a", "b");

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    // A press and its release: what a guard does with a button or a key.
    private static Decision Turn(SiteState state, string point, double at)
    {
        var pressed = Step(state, point, true, at);
        return pressed with { State = Step(pressed.State, point, false, at + 0.5).State };
    }

    private static bool Locked(SiteState state, string lockId) => OutputPlan.For(Site, state).IsActive(lockId);

    private static SiteState Shelter() => Turn(Quiet(), "key-shelter", 1).State;

    [Fact]
    public void A_panic_press_during_a_real_shelter_locks_down_and_keeps_the_shelters_zone_locked()
    {
        var shelter = Shelter();
        Assert.True(Locked(shelter, "lock-c"));

        var lockdown = Turn(shelter, "panic-a", 2);

        Assert.Equal((SiteMode.Lockdown, "lockdown"), (lockdown.State.Mode, lockdown.State.Lockdown!.Scenario));
        Assert.True(Locked(lockdown.State, "lock-c"), "zone c is outside the lockdown, but the shelter still holds it");
        Assert.True(Locked(lockdown.State, "lock-egress"), "the lockdown's own zone a");
        var suspended = Assert.Single(lockdown.State.Suspended);
        Assert.Equal((SiteMode.ShelterInPlace, "shelter-c", "key-shelter"), (suspended.Mode, suspended.Info.Scenario, suspended.Info.Point));
        Assert.Equal("shelter-c", lockdown.Events.OfType<LockdownStarted>().Single().Replaced);
    }

    [Fact]
    public void A_breach_during_a_real_shelter_keeps_the_shelters_zone_locked_too()
    {
        var critical = Turn(Shelter(), "key-threat5", 2).State;

        var breach = Step(critical, "fence-c", true, 3);

        Assert.Equal("perimeter-breach", breach.Events.OfType<LockdownStarted>().Single().Cause);
        Assert.True(Locked(breach.State, "lock-c"));
    }

    [Fact]
    public void Ending_the_lockdown_with_its_key_resumes_the_shelter_quietly_and_a_second_turn_ends_it()
    {
        var lockdown = Turn(Shelter(), "panic-a", 2).State;
        Assert.True(lockdown.SirenSounding);

        var resumed = Turn(lockdown, "key-a", 10);

        Assert.Equal(["lockdown.cleared", "shelter.started"], resumed.Events.OfType<DomainEvent>().Where(e => e is LockdownCleared or LockdownStarted).Select(e => e.Type));
        var started = resumed.Events.OfType<LockdownStarted>().Single();
        Assert.Equal((LockdownStarted.ResumedCause, "key-a", "shelter-c", "lockdown"), (started.Cause, started.PointId, started.Scenario, started.Replaced));
        Assert.Equal((SiteMode.ShelterInPlace, "shelter-c", "key-shelter"), (resumed.State.Mode, resumed.State.Lockdown!.Scenario, resumed.State.Lockdown.Point));
        Assert.Empty(resumed.State.Suspended);
        Assert.False(resumed.State.SirenSounding, "shelter in place is quiet");
        Assert.True(Locked(resumed.State, "lock-c"));
        Assert.False(Locked(resumed.State, "lock-egress"), "zone a was the lockdown's only");

        var normal = Turn(resumed.State, "key-a", 12);

        Assert.Equal("shelter.cleared", Assert.IsType<LockdownCleared>(normal.Events.Single(e => e is LockdownCleared)).Type);
        Assert.Equal(SiteMode.Normal, normal.State.Mode);
        Assert.False(Locked(normal.State, "lock-c"));
    }

    [Fact]
    public void A_key_that_does_not_end_the_running_scenario_does_not_end_the_suspended_one_either()
    {
        var site = Site with
        {
            ExtraScenarios = [Site.ExtraScenarios[0], Site.ExtraScenarios[1] with { Releasers = ["key-rogue"] }],
        };
        var shelter = SiteDecider.Decide(site, Quiet(), new PointChanged("key-shelter", true), TestSite.At(1)).State;
        var lockdown = SiteDecider.Decide(site, shelter, new PointChanged("panic-a", true), TestSite.At(2)).State;
        lockdown = SiteDecider.Decide(site, lockdown, new PointChanged("panic-a", false), TestSite.At(3)).State;

        var rogue = SiteDecider.Decide(site, lockdown, new PointChanged("key-rogue", true), TestSite.At(4));

        Assert.Equal(SiteMode.Lockdown, rogue.State.Mode);
        Assert.Contains("not authorised to end 'lockdown'", Assert.IsType<LockdownClearRefused>(rogue.Events[^1]).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_evacuation_over_a_lockdown_over_a_shelter_opens_the_escape_routes_only_and_unwinds_in_order()
    {
        var lockdown = Turn(Shelter(), "panic-a", 2).State;

        var evacuation = Turn(lockdown, "key-evac", 4).State;

        Assert.Equal(["shelter-c", "lockdown"], evacuation.Suspended.Select(s => s.Info.Scenario));
        Assert.False(Locked(evacuation, "lock-egress"), "an evacuation opens every escape route");
        Assert.True(Locked(evacuation, "lock-c"), "a secure door the shelter keeps locked is no escape route");
        var back = Turn(evacuation, "key-a", 10).State;
        Assert.Equal((SiteMode.Lockdown, "lockdown"), (back.Mode, back.Lockdown!.Scenario));
        Assert.True(Locked(back, "lock-egress"));
        Assert.Equal(TestSite.At(10).Monotonic + TestSite.Siren, back.SirenUntil);
        Assert.True(OutputPlan.For(Site, back).IsActive("siren"), "those who left on the evacuation's siren hear the lockdown is back");
        Assert.Equal(SiteMode.ShelterInPlace, Turn(back, "key-a", 12).State.Mode);
    }

    [Fact]
    public void A_real_alarm_over_a_drill_suspends_nothing_and_the_same_scenario_again_suspends_nothing()
    {
        var drill = Turn(Quiet(), "key-drill", 1).State;
        var real = Turn(drill, "panic-a", 2).State;
        var again = Turn(real, "panic-b", 4);

        Assert.Empty(real.Suspended);
        Assert.IsType<LockdownRetriggered>(again.Events.Single(e => e is LockdownRetriggered or LockdownStarted));
        Assert.Empty(again.State.Suspended);
    }

    [Fact]
    public void The_office_all_clear_ends_the_running_scenario_and_every_suspended_one()
    {
        var evacuation = Turn(Turn(Shelter(), "panic-a", 2).State, "key-evac", 4).State;

        var first = SiteDecider.Decide(Site, evacuation, new OfficeCommandInput(AllClear("sup-1", at: 10)), TestSite.At(10)).State;
        var cleared = SiteDecider.Decide(Site, first, new OfficeCommandInput(AllClear("sup-2", at: 11)), TestSite.At(11));

        Assert.Equal(
            [("evacuation.cleared", "evacuate"), ("lockdown.cleared", "lockdown"), ("shelter.cleared", "shelter-c")],
            cleared.Events.OfType<LockdownCleared>().Select(e => (e.Type, e.Scenario)));
        Assert.All(cleared.Events.OfType<LockdownCleared>(), e => Assert.Equal(("sup-1+sup-2", true), (e.ClearedBy, e.ByOffice)));
        Assert.Equal(SiteMode.Normal, cleared.State.Mode);
        Assert.Empty(cleared.State.Suspended);
        Assert.False(Locked(cleared.State, "lock-c"));
    }

    [Fact]
    public void Suspended_scenarios_survive_a_restart_with_the_same_output_plan()
    {
        var lockdown = Turn(Shelter(), "panic-a", 2).State;

        var restored = SiteState.Restore(Site, lockdown.Safety, lockdown.Points, TestSite.At(100));

        Assert.Equal(lockdown.Suspended, restored.Suspended);
        Assert.Equal(OutputPlan.For(Site, lockdown), OutputPlan.For(Site, restored));
        Assert.False(lockdown.SameSafetyFieldsAs(lockdown with { Suspended = [] }), "a change of them is saved");
    }

    [Fact]
    public void A_suspended_scenario_no_longer_configured_keeps_every_zone_locked()
    {
        // The shelter runs (zone c); under it a lockdown the config no longer has.
        var shelter = Shelter();
        Assert.False(Locked(shelter, "lock-egress"), "zone a is not the shelter's");
        var gone = new SuspendedScenario(SiteMode.Lockdown, shelter.Lockdown! with { Scenario = "gone", Point = "panic-a" });

        Assert.True(Locked(shelter with { Suspended = [gone] }, "lock-egress"), "a scenario the config lost is judged to cover every zone");
    }

    [Fact]
    public void An_exit_button_does_not_release_a_secure_door_a_suspended_lockdown_keeps_locked()
    {
        // door-entry is a secure door with delayed egress in the lockdown's zone b; under a running
        // evacuation alone its exit button would start the delay.
        var evacuation = Turn(Turn(Quiet(), "panic-a", 1).State, "key-evac", 3).State;

        var exit = Step(evacuation, "rex-b", true, 5);
        var later = SiteDecider.Decide(Site, exit.State, TimerTick.Instance, TestSite.At(30)).State;

        Assert.DoesNotContain(exit.Events, e => e is DelayedEgressStarted or DoorReleased);
        Assert.True(Locked(exit.State, "lock-entry"));
        Assert.True(Locked(later, "lock-entry"));
        var alone = Step(Turn(Quiet(), "key-evac", 1).State, "rex-b", true, 5);
        Assert.Contains(alone.Events, e => e is DelayedEgressStarted);
    }

    [Fact]
    public void An_all_clear_approval_given_before_a_takeover_counts_for_nothing_after_the_resume()
    {
        var shelter = Shelter();
        var approved = SiteDecider.Decide(Site, shelter, new OfficeCommandInput(AllClear("sup-1", at: 2)), TestSite.At(2)).State;
        var lockdown = Turn(approved, "panic-a", 10).State;
        var resumed = Turn(lockdown, "key-a", 30).State;
        Assert.Equal("shelter-c", resumed.Lockdown!.Scenario);

        var second = SiteDecider.Decide(Site, resumed, new OfficeCommandInput(AllClear("sup-2", at: 35)), TestSite.At(35));

        Assert.Equal(SiteMode.ShelterInPlace, second.State.Mode);
        Assert.DoesNotContain(second.Events, e => e is LockdownCleared);
    }

    [Fact]
    public void An_all_clear_naming_a_scenario_that_is_not_the_running_one_is_refused()
    {
        var lockdown = Turn(Shelter(), "panic-a", 2).State;

        var named = SiteDecider.Decide(Site, lockdown, new OfficeCommandInput(AllClear("sup-1", "shelter-c", 10)), TestSite.At(10));

        var refused = Assert.IsType<CommandRefused>(Assert.Single(named.Events));
        Assert.Equal(
            "'shelter-c' is not the running scenario: 'lockdown' (over 'shelter-c') runs, and an all-clear ends it and every one it suspended",
            refused.Reason);
        Assert.Null(named.State.AllClearApprovals);
    }

    // Signed at the moment it is applied: sent as soon as signed.
    private static VerifiedCommand AllClear(string supervisor, string? scenario = null, double at = 0) =>
        TestSite.SignedAt(at, CommandType.AllClear, supervisor, OperatorRole.Supervisor, scenario is null ? [] : [("scenario", new JsonStringItem(scenario))]);
}
