using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A trigger refused because a higher-ranked real scenario runs is journaled
/// (<c>lockdown.start-refused</c>), and a lockdown or shelter it asked for is kept suspended
/// under it: its locks lock now, it runs when that ends.
/// A panic press in zone a during a real scoped lockdown of zone c used to leave zone a unlocked,
/// with nothing but the press's own <c>point.activated</c>, and was forgotten when that one ended.
/// </summary>
public sealed partial class RefusedStartTests
{
    // The built-in lockdown (rank 100, every panic button) covers zone a: lock-egress. "annex" is a
    // real lockdown of zone c (lock-c) at rank 150; "site" a lockdown of every zone at rank 160.
    private static readonly SiteDefinition Site = TestSite.Create("a") with
    {
        ExtraScenarios =
        [
            TestSite.Create().ExtraScenarios[0],
            new("annex", SiteMode.Lockdown, ["c"], 150, ["key-shelter"], [], ["key-a"], TestSite.Siren),
            new("site", SiteMode.Lockdown, [], 160, ["key-threat1"], [], ["key-a"], TestSite.Siren),
        ],
    };

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    // A press and its release, with the press's events.
    private static Decision Turn(SiteState state, string point, double at)
    {
        var pressed = Step(state, point, true, at);
        return pressed with { State = Step(pressed.State, point, false, at + 0.5).State };
    }

    private static bool Locked(SiteState state, string lockId) => OutputPlan.For(Site, state).IsActive(lockId);

    [Fact]
    public void A_panic_press_during_a_higher_scoped_lockdown_elsewhere_is_journaled_locks_its_zone_and_runs_after()
    {
        var annex = Turn(Quiet(), "key-shelter", 1).State;
        Assert.False(Locked(annex, "lock-egress"), "zone a is not the annex's");

        var press = Turn(annex, "panic-a", 2);

        var refused = Assert.Single(press.Events.OfType<LockdownStartRefused>());
        Assert.Equal(("lockdown.start-refused", "panic-button", "panic-a", "lockdown", SiteMode.Lockdown, "annex", true, Severity.Critical),
            (refused.Type, refused.Cause, refused.Point, refused.Scenario, refused.Mode, refused.RunningScenario, refused.Suspended, refused.Severity));
        Assert.Contains("does not outrank the running 'annex'", refused.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(press.Events, e => e is LockdownStarted);
        Assert.Equal((SiteMode.Lockdown, "annex"), (press.State.Mode, press.State.Lockdown!.Scenario));
        var suspended = Assert.Single(press.State.Suspended);
        Assert.Equal((SiteMode.Lockdown, "lockdown", "panic-a", "panic-button", false),
            (suspended.Mode, suspended.Info.Scenario, suspended.Info.Point, suspended.Info.Cause, suspended.Info.Drill));
        Assert.True(Locked(press.State, "lock-egress"), "the press locks its zone now");
        Assert.True(Locked(press.State, "lock-c"), "the annex goes on");

        // Persisted like any suspension: a power cut neither unlocks zone a nor forgets the press.
        var restored = SiteState.Restore(Site, press.State.Safety, press.State.Points, TestSite.At(50));
        Assert.True(Locked(restored, "lock-egress"));

        var ended = Turn(restored, "key-a", 60);
        var resumed = ended.Events.OfType<LockdownStarted>().Single();
        Assert.Equal((LockdownStarted.ResumedCause, "lockdown", "annex"), (resumed.Cause, resumed.Scenario, resumed.Replaced));
        Assert.Equal((SiteMode.Lockdown, "lockdown"), (ended.State.Mode, ended.State.Lockdown!.Scenario));
        Assert.True(Locked(ended.State, "lock-egress"), "the lockdown the press asked for runs once the annex ends");
        Assert.False(Locked(ended.State, "lock-c"));
        Assert.True(ended.State.SirenSounding, "it sounds as a lockdown start does");
    }

    [Fact]
    public void A_panic_press_during_a_higher_lockdown_that_already_locks_its_zone_is_journaled_and_kept_suspended()
    {
        // Kept although "site" locks zone a already: a key turn ends one scenario, and the press
        // asked for the lockdown to hold zone a until its own releaser ends it (Covered.cs).
        var site = Turn(Quiet(), "key-threat1", 1).State;

        var press = Turn(site, "panic-a", 2);

        var refused = Assert.Single(press.Events.OfType<LockdownStartRefused>());
        Assert.Equal(("site", true, Severity.Critical), (refused.RunningScenario, refused.Suspended, refused.Severity));
        Assert.Equal("lockdown", Assert.Single(press.State.Suspended).Info.Scenario);
        Assert.Equal((SiteMode.Lockdown, "site"), (press.State.Mode, press.State.Lockdown!.Scenario));
        Assert.True(Locked(press.State, "lock-egress"));
        Assert.Equal(OutputPlan.For(Site, site), OutputPlan.For(Site, press.State));
    }

    [Fact]
    public void A_panic_press_during_an_evacuation_keeps_the_exits_open_and_locks_them_when_the_evacuation_ends()
    {
        var evacuation = Turn(Quiet(), "key-evac", 1).State;
        Assert.False(Locked(evacuation, "lock-egress"));

        var press = Turn(evacuation, "panic-a", 2);

        var refused = Assert.Single(press.Events.OfType<LockdownStartRefused>());
        Assert.Equal(("evacuate", true), (refused.RunningScenario, refused.Suspended));
        Assert.Equal(SiteMode.Evacuation, press.State.Mode);
        Assert.False(Locked(press.State, "lock-egress"), "an evacuation keeps every escape route open: fire and evacuation win");

        var ended = Turn(press.State, "key-a", 10).State;
        Assert.Equal((SiteMode.Lockdown, "lockdown"), (ended.Mode, ended.Lockdown!.Scenario));
        Assert.True(Locked(ended, "lock-egress"));
    }

    [Fact]
    public void A_second_press_of_a_suspended_scenario_adds_no_second_suspension()
    {
        var once = Turn(Turn(Quiet(), "key-shelter", 1).State, "panic-a", 2).State;

        var twice = Turn(once, "panic-b", 4);

        Assert.True(Assert.Single(twice.Events.OfType<LockdownStartRefused>()).Suspended, "it is (still) suspended");
        Assert.Equal(once.Suspended, twice.State.Suspended);
    }

    [Fact]
    public void A_press_kept_suspended_drops_the_all_clear_approvals_given_before_it()
    {
        // The all-clear ends every suspended scenario too: supervisor 1 never weighed this press.
        var annex = Turn(Quiet(), "key-shelter", 1).State;
        var allClear = TestSite.SignedAt(2, CommandType.AllClear, "sup-1");
        var approved = SiteDecider.Decide(Site, annex, new OfficeCommandInput(allClear), TestSite.At(2)).State;
        Assert.NotNull(approved.AllClearApprovals);

        var press = Turn(approved, "panic-a", 3);

        Assert.Single(press.State.Suspended);
        Assert.Null(press.State.AllClearApprovals);
    }

    [Fact]
    public void A_drill_asked_for_during_a_real_scenario_is_journaled_as_refused_and_suspends_nothing()
    {
        var annex = Turn(Quiet(), "key-shelter", 1).State;

        var drill = Turn(annex, "key-drill", 2);

        var refused = Assert.Single(drill.Events.OfType<LockdownStartRefused>());
        Assert.True(refused.Drill);
        Assert.False(refused.Suspended);
        Assert.Contains("a drill cannot replace the real 'annex'", refused.Reason, StringComparison.Ordinal);
        Assert.Empty(drill.State.Suspended);
    }
}
