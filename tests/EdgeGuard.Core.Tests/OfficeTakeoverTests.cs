using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// Which office role may replace a running scenario with an evacuation, which releases every
/// egress lock: one guard key (stolen, coerced) must not open the exits during a real lockdown
/// or shelter in place that takes two supervisors to lift.
/// </summary>
public sealed class OfficeTakeoverTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create("a", "b");

    private static SiteState Quiet(Site.SiteDefinition? site = null) =>
        SiteState.Restore(site ?? Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static VerifiedCommand Command(CommandType type, OperatorRole role, params (string Key, JsonItem Value)[] args) =>
        TestSite.Command(type, role == OperatorRole.Guard ? "guard-7" : "sup-1", role, args);

    private static Decision Run(SiteState state, VerifiedCommand command, double at, Site.SiteDefinition? site = null) =>
        SiteDecider.Decide(site ?? Site, state, new OfficeCommandInput(command), TestSite.At(at));

    private static Decision Press(SiteState state, string point, double at) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, true), TestSite.At(at));

    private static bool EgressLocked(SiteState state, Site.SiteDefinition? site = null) =>
        OutputPlan.For(site ?? Site, state).IsActive("lock-egress");

    [Fact]
    public void A_guards_evacuate_over_a_real_lockdown_is_refused_and_the_exits_stay_locked()
    {
        var lockdown = Press(Quiet(), "panic-a", 1).State;

        var evacuate = Run(lockdown, Command(CommandType.Evacuate, OperatorRole.Guard), 2);

        Assert.Same(lockdown, evacuate.State);
        Assert.True(EgressLocked(evacuate.State), "the egress door stays locked");
        var refused = Assert.IsType<CommandRefused>(Assert.Single(evacuate.Events));
        Assert.Equal(
            "a guard may not replace the real 'lockdown' with 'evacuate', which releases lock 'lock-egress'; a supervisor must send it",
            refused.Reason);
        Assert.Equal((Severity.Alarm, "command.refused", "guard-7"), (refused.Severity, refused.Type, refused.Operator));
    }

    [Fact]
    public void A_guards_evacuate_over_a_real_shelter_in_place_takes_over_when_it_releases_no_lock_the_shelter_keeps()
    {
        // shelter-c keeps only lock-c locked, a secure door and no escape route: the evacuation
        // suspends the shelter and keeps it locked.
        var shelter = Press(Quiet(), "key-shelter", 1).State;

        var evacuate = Run(shelter, Command(CommandType.Evacuate, OperatorRole.Guard), 2);

        Assert.Equal((SiteMode.Evacuation, "evacuate"), (evacuate.State.Mode, evacuate.State.Lockdown!.Scenario));
        Assert.True(OutputPlan.For(Site, evacuate.State).IsActive("lock-c"), "the shelter's lock stays locked");
    }

    [Fact]
    public void A_guards_evacuate_over_a_real_shelter_in_place_that_keeps_an_exit_locked_is_refused()
    {
        var site = Site with { ExtraScenarios = [Site.ExtraScenarios[0], Site.ExtraScenarios[1] with { Zones = ["a", "c"] }] };
        var shelter = SiteDecider.Decide(site, Quiet(site), new PointChanged("key-shelter", true), TestSite.At(1)).State;
        Assert.True(EgressLocked(shelter, site));

        var evacuate = Run(shelter, Command(CommandType.Evacuate, OperatorRole.Guard), 2, site);

        Assert.Equal((SiteMode.ShelterInPlace, "shelter-c"), (evacuate.State.Mode, evacuate.State.Lockdown!.Scenario));
        Assert.Contains("the real 'shelter-c'", Assert.IsType<CommandRefused>(Assert.Single(evacuate.Events)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_supervisors_evacuate_over_a_real_lockdown_releases_the_exits()
    {
        var lockdown = Run(Quiet(), Command(CommandType.Lockdown, OperatorRole.Guard), 1).State;

        var evacuate = Run(lockdown, Command(CommandType.Evacuate, OperatorRole.Supervisor), 2);

        Assert.Equal(SiteMode.Evacuation, evacuate.State.Mode);
        Assert.Equal("lockdown", Assert.IsType<LockdownStarted>(evacuate.Events[0]).Replaced);
        Assert.Equal("sup-1", Assert.IsType<CommandDone>(evacuate.Events[^1]).Operator);
        Assert.False(EgressLocked(evacuate.State));
    }

    [Fact]
    public void A_guards_evacuate_from_normal_starts_the_evacuation()
    {
        var evacuate = Run(Quiet(), Command(CommandType.Evacuate, OperatorRole.Guard), 1);

        Assert.Equal(SiteMode.Evacuation, evacuate.State.Mode);
        Assert.IsType<CommandDone>(evacuate.Events[^1]);
        Assert.False(EgressLocked(evacuate.State));
    }

    [Fact]
    public void A_guards_evacuate_replaces_a_lockdown_drill_for_real()
    {
        var drill = Press(Quiet(), "key-drill", 1).State;
        Assert.True(drill.Lockdown!.Drill);

        var evacuate = Run(drill, Command(CommandType.Evacuate, OperatorRole.Guard), 2);

        Assert.Equal((SiteMode.Evacuation, false), (evacuate.State.Mode, evacuate.State.Lockdown!.Drill));
        Assert.IsType<CommandDone>(evacuate.Events[^1]);
        Assert.False(EgressLocked(evacuate.State));
    }

    [Fact]
    public void A_guards_lockdown_over_a_lower_ranked_evacuation_locks_the_exits_again()
    {
        // Here the lockdown (rank 100) outranks the evacuation: escalating to it is open to guards.
        var site = Site with
        {
            ExtraScenarios = [new("evacuate", SiteMode.Evacuation, [], 90, ["key-evac"], [], ["key-a"], TestSite.Siren)],
        };
        var evacuation = Run(Quiet(site), Command(CommandType.Evacuate, OperatorRole.Supervisor), 1, site).State;

        var lockdown = Run(evacuation, Command(CommandType.Lockdown, OperatorRole.Guard), 2, site);

        Assert.Equal(SiteMode.Lockdown, lockdown.State.Mode);
        Assert.Equal("evacuate", Assert.IsType<LockdownStarted>(lockdown.Events[0]).Replaced);
        Assert.True(EgressLocked(lockdown.State, site));
    }

    [Fact]
    public void A_physical_evacuation_key_still_takes_over_a_lockdown_a_guard_started_from_the_office()
    {
        var lockdown = Run(Quiet(), Command(CommandType.Lockdown, OperatorRole.Guard), 1).State;

        var evacuation = Press(lockdown, "key-evac", 2);

        Assert.Equal(SiteMode.Evacuation, evacuation.State.Mode);
        var started = Assert.IsType<LockdownStarted>(evacuation.Events[^1]);
        Assert.Equal(("keyswitch", "key-evac", "lockdown"), (started.Cause, started.PointId, started.Replaced));
        Assert.False(EgressLocked(evacuation.State));
    }
}
