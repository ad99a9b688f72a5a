using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>Verified office commands through the same transition table as points and keys.</summary>
public sealed class OfficeCommandTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create("a", "b");

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static VerifiedCommand Command(CommandType type, string op = "sup-1", OperatorRole role = OperatorRole.Supervisor, params (string Key, JsonItem Value)[] args) =>
        TestSite.Command(type, op, role, args);

    private static Decision Run(SiteState state, VerifiedCommand command, double at = 1) =>
        SiteDecider.Decide(Site, state, new OfficeCommandInput(TestSite.SignedAt(command, at)), TestSite.At(at));

    [Fact]
    public void An_office_lockdown_starts_the_built_in_lockdown_and_reports_done()
    {
        var decision = Run(Quiet(), Command(CommandType.Lockdown, "guard-7", OperatorRole.Guard));

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        var started = Assert.IsType<LockdownStarted>(decision.Events[0]);
        Assert.Equal(("office-command", null), (started.Cause, started.PointId));
        Assert.Equal("guard-7", Assert.IsType<CommandDone>(decision.Events[^1]).Operator);
        Assert.True(OutputPlan.For(Site, decision.State).IsActive("lock-egress"));
    }

    // The office's plain "lockdown" (no scenario argument: what an operator sends in a hurry) ran
    // the highest-ranked lockdown scenario, here one of the annex only: the lobby stayed unlocked.
    // It is the built-in lockdown, as a panic press (docs/mqtt.asyncapi.yaml, the lockdown command).
    [Fact]
    public void A_bare_office_lockdown_locks_the_whole_site_not_only_a_scoped_scenario()
    {
        var site = TestSite.Create();
        site = site with
        {
            ExtraScenarios = [.. site.ExtraScenarios, new ScenarioDefinition("lockdown-annex", SiteMode.Lockdown, ["c"], 150, [], [], ["key-a"], TestSite.Siren)],
        };
        var command = TestSite.SignedAt(TestSite.Command(CommandType.Lockdown, "guard-7", OperatorRole.Guard), 1);
        var quiet = SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

        var decision = SiteDecider.Decide(site, quiet, new OfficeCommandInput(command), TestSite.At(1));

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        Assert.Equal(ScenarioDefinition.LockdownId, decision.State.Lockdown!.Scenario);
        Assert.True(OutputPlan.For(site, decision.State).IsActive("lock-egress"), "lobby door (zone a) left unlocked by an office lockdown");
        Assert.Equal("lockdown running", Assert.IsType<CommandDone>(decision.Events[^1]).Detail);
    }

    [Fact]
    public void An_approval_by_an_operator_whose_key_was_withdrawn_since_does_not_count()
    {
        // sup-1's key file is removed (a stolen key revoked) after their approval: sup-2's
        // approval within the window is then the first of two, not the second.
        var lockdown = Run(Quiet(), Command(CommandType.Lockdown)).State;
        var first = Run(lockdown, Command(CommandType.AllClear, "sup-1"), 2).State;
        var other = Run(lockdown, Command(CommandType.AllClear, "sup-3"), 2).State;

        var withdrawn = SiteDecider.Decide(Site, first, new OperatorKeyWithdrawn("sup-1"), TestSite.At(3));
        var second = Run(withdrawn.State, Command(CommandType.AllClear, "sup-2"), 4);
        var unrelated = SiteDecider.Decide(Site, other, new OperatorKeyWithdrawn("sup-1"), TestSite.At(3)).State;

        Assert.Empty(withdrawn.Events);
        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
        Assert.DoesNotContain(second.Events, e => e is LockdownCleared);
        Assert.Equal(SiteMode.Normal, Run(unrelated, Command(CommandType.AllClear, "sup-2"), 4).State.Mode);
    }

    [Fact]
    public void One_supervisor_alone_or_twice_does_not_lift_a_lockdown_two_different_ones_do()
    {
        var lockdown = Run(Quiet(), Command(CommandType.Lockdown)).State;

        var first = Run(lockdown, Command(CommandType.AllClear, "sup-1"), 2);
        var again = Run(first.State, Command(CommandType.AllClear, "sup-1"), 3);
        var second = Run(first.State, Command(CommandType.AllClear, "sup-2"), 4);

        Assert.Equal(SiteMode.Lockdown, first.State.Mode);
        Assert.IsType<CommandDone>(first.Events[^1]);
        Assert.Equal(SiteMode.Lockdown, again.State.Mode);
        Assert.IsType<CommandRefused>(again.Events[^1]);
        Assert.Equal(SiteMode.Normal, second.State.Mode);
        Assert.Equal("sup-1+sup-2", Assert.IsType<LockdownCleared>(second.Events[^2]).ClearedBy);
    }

    [Fact]
    public void A_panic_press_that_retriggers_the_lockdown_drops_the_all_clear_approvals_given_before_it()
    {
        // Supervisor 1 agreed to end the lockdown before somebody pressed again: that press is news
        // they did not weigh, so supervisor 2 alone must not lift the lockdown after it.
        var lockdown = Press(Quiet(), "panic-a", 1);
        var first = Run(lockdown, Command(CommandType.AllClear, "sup-1"), 2).State;
        Assert.NotNull(first.AllClearApprovals);

        var retrigger = SiteDecider.Decide(Site, first, new PointChanged("panic-b", true), TestSite.At(3));
        var released = SiteDecider.Decide(Site, retrigger.State, new PointChanged("panic-b", false), TestSite.At(4)).State;
        var second = Run(released, Command(CommandType.AllClear, "sup-2"), 5);

        Assert.IsType<LockdownRetriggered>(Assert.Single(retrigger.Events, e => e is LockdownRetriggered or LockdownStarted));
        Assert.Null(retrigger.State.AllClearApprovals);
        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
        Assert.DoesNotContain(second.Events, e => e is LockdownCleared);
        Assert.IsType<CommandDone>(second.Events[^1]);
        Assert.Equal(SiteMode.Normal, Run(second.State, Command(CommandType.AllClear, "sup-1"), 6).State.Mode);
    }

    private static SiteState Press(SiteState state, string point, double at)
    {
        state = SiteDecider.Decide(Site, state, new PointChanged(point, true), TestSite.At(at)).State;
        return SiteDecider.Decide(Site, state, new PointChanged(point, false), TestSite.At(at + 0.5)).State;
    }

    [Fact]
    public void The_second_supervisor_must_sign_within_the_sites_all_clear_window()
    {
        var site = Site with { AllClearWindow = TimeSpan.FromSeconds(10) };
        var lockdown = SiteDecider.Decide(site, Quiet(), new OfficeCommandInput(Command(CommandType.Lockdown)), TestSite.At(1)).State;
        var first = SiteDecider.Decide(site, lockdown, new OfficeCommandInput(TestSite.SignedAt(2, CommandType.AllClear, "sup-1")), TestSite.At(2)).State;

        var late = SiteDecider.Decide(site, first, new OfficeCommandInput(TestSite.SignedAt(13, CommandType.AllClear, "sup-2")), TestSite.At(13));
        var inTime = SiteDecider.Decide(site, first, new OfficeCommandInput(TestSite.SignedAt(11, CommandType.AllClear, "sup-2")), TestSite.At(11));

        Assert.Equal(SiteMode.Lockdown, late.State.Mode);
        Assert.Equal(SiteMode.Normal, inTime.State.Mode);
    }

    [Fact]
    public void Two_supervisors_cannot_lift_a_lockdown_while_a_panic_button_is_held()
    {
        var held = SiteDecider.Decide(Site, Quiet(), new PointChanged("panic-a", true), TestSite.At(1)).State;

        var first = Run(held, Command(CommandType.AllClear, "sup-1"), 2);
        var second = Run(first.State, Command(CommandType.AllClear, "sup-2"), 3);

        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
        Assert.Contains("panic button 'panic-a' is still active", Assert.IsType<CommandRefused>(second.Events[^1]).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_all_clear_refused_for_a_held_panic_button_drops_its_approvals()
    {
        // The supervisors approved without knowing someone was still pressing for help; once the
        // button is released, a third approval alone must not complete their all-clear.
        var held = SiteDecider.Decide(Site, Quiet(), new PointChanged("panic-a", true), TestSite.At(1)).State;
        var refused = Run(Run(held, Command(CommandType.AllClear, "sup-1"), 2).State, Command(CommandType.AllClear, "sup-2"), 3);
        var released = SiteDecider.Decide(Site, refused.State, new PointChanged("panic-a", false), TestSite.At(4)).State;

        var third = Run(released, Command(CommandType.AllClear, "sup-3"), 5);
        var fourth = Run(third.State, Command(CommandType.AllClear, "sup-1"), 6);

        Assert.Contains("approve again", Assert.IsType<CommandRefused>(refused.Events[^1]).Reason, StringComparison.Ordinal);
        Assert.Null(refused.State.AllClearApprovals);
        Assert.Equal(SiteMode.Lockdown, third.State.Mode);
        Assert.Equal(SiteMode.Normal, fourth.State.Mode);
    }

    [Fact]
    public void An_all_clear_approval_given_while_a_panic_button_is_held_is_refused_and_never_counts()
    {
        // Somebody is pressing for help: a supervisor approving now does not know it is over, so
        // after the release one more approval alone must not lift the lockdown.
        var held = SiteDecider.Decide(Site, Quiet(), new PointChanged("panic-a", true), TestSite.At(1)).State;

        var first = Run(held, Command(CommandType.AllClear, "sup-1"), 2);
        var released = SiteDecider.Decide(Site, first.State, new PointChanged("panic-a", false), TestSite.At(3)).State;
        var second = Run(released, Command(CommandType.AllClear, "sup-2"), 4);

        Assert.Contains("panic button 'panic-a' is still active", Assert.IsType<CommandRefused>(first.Events[^1]).Reason, StringComparison.Ordinal);
        Assert.Null(first.State.AllClearApprovals);
        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
        Assert.IsType<CommandDone>(second.Events[^1]);
        Assert.Equal(SiteMode.Normal, Run(second.State, Command(CommandType.AllClear, "sup-1"), 5).State.Mode);
    }

    [Fact]
    public void An_office_evacuation_takes_over_and_a_drill_cannot_replace_a_real_scenario()
    {
        var lockdown = Run(Quiet(), Command(CommandType.Lockdown)).State;

        var evacuate = Run(lockdown, Command(CommandType.Evacuate), 2);
        var drill = Run(evacuate.State, Command(CommandType.DrillStart, args: ("scenario", new JsonStringItem("lockdown"))), 3);

        Assert.Equal(SiteMode.Evacuation, evacuate.State.Mode);
        Assert.Equal("lockdown", Assert.IsType<LockdownStarted>(evacuate.Events[0]).Replaced);
        Assert.Contains("a drill cannot replace the real 'evacuate'", Assert.IsType<CommandRefused>(drill.Events[^1]).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_drill_started_and_stopped_from_the_office_is_flagged_and_muted()
    {
        var drill = Run(Quiet(), Command(CommandType.DrillStart, args: ("scenario", new JsonStringItem("lockdown"))));
        var stop = Run(drill.State, Command(CommandType.DrillStop), 2);
        var stopAgain = Run(stop.State, Command(CommandType.DrillStop), 3);

        Assert.True(drill.State.Lockdown!.Drill);
        Assert.False(OutputPlan.For(Site, drill.State).IsActive("siren"));
        Assert.True(Assert.IsType<LockdownCleared>(stop.Events[0]).Drill);
        Assert.Equal(SiteMode.Normal, stop.State.Mode);
        Assert.Equal("no drill is running", Assert.IsType<CommandRefused>(stopAgain.Events[^1]).Reason);
    }

    [Fact]
    public void Unknown_scenarios_unconfigured_levels_and_unsupported_types_are_refused_and_change_nothing()
    {
        var quiet = Quiet();

        foreach (var command in new[]
        {
            Command(CommandType.Shelter, args: ("scenario", new JsonStringItem("evacuate"))),
            Command(CommandType.Lockdown, args: ("scenario", new JsonStringItem("annex"))),
            Command(CommandType.SetThreatLevel, args: ("level", new JsonIntegerItem(3))),
            Command(CommandType.Bypass),
            Command(CommandType.AllClear),
        })
        {
            var decision = Run(quiet, command);
            Assert.Same(quiet.Points, decision.State.Points);
            Assert.Equal(SiteMode.Normal, decision.State.Mode);
            Assert.IsType<CommandRefused>(Assert.Single(decision.Events));
        }
    }

    [Fact]
    public void The_office_sets_a_configured_threat_level()
    {
        var decision = Run(Quiet(), Command(CommandType.SetThreatLevel, args: ("level", new JsonIntegerItem(5))));

        Assert.Equal((5, true), (decision.State.ThreatLevel, decision.State.ThreatLevelChosen));
        Assert.Equal("sup-1", Assert.IsType<ThreatLevelChanged>(decision.Events[0]).ChangedBy);
    }
}
