using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A signed office lockdown or shelter that a higher-ranked real scenario outranks is kept
/// suspended under it, as a panic press asking for the same is: a remote lockdown obeys exactly
/// the rules of a panic button. It used to be <c>command.refused</c> and lock nothing, while the
/// press in the same state locked its zones.
/// </summary>
public sealed partial class RefusedStartTests
{
    // A real shelter of zone b (lock-entry) at rank 250, over the built-in lockdown (rank 100,
    // zones a and b: lock-egress too); key-rogue ends the shelter.
    private static readonly SiteDefinition ShelterSite = TestSite.Create("a", "b") with
    {
        ExtraScenarios =
        [
            TestSite.Create().ExtraScenarios[0],
            new("shelter-b", SiteMode.ShelterInPlace, ["b"], 250, ["key-shelter"], [], ["key-rogue"], TestSite.Siren),
        ],
    };

    private static SiteState Sheltering()
    {
        var quiet = SiteState.Restore(ShelterSite, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));
        var shelter = SiteDecider.Decide(ShelterSite, quiet, new PointChanged("key-shelter", true), TestSite.At(1)).State;
        shelter = SiteDecider.Decide(ShelterSite, shelter, new PointChanged("key-shelter", false), TestSite.At(1.5)).State;
        Assert.Equal("shelter-b", shelter.Lockdown!.Scenario);
        Assert.False(OutputPlan.For(ShelterSite, shelter).IsActive("lock-egress"));
        return shelter;
    }

    private static Decision FromOffice(SiteState state, CommandType type, string scenario, double at, OperatorRole role = OperatorRole.Supervisor) =>
        SiteDecider.Decide(ShelterSite, state, new OfficeCommandInput(TestSite.SignedAt(
            TestSite.Command(type, role == OperatorRole.Supervisor ? "sup-1" : "guard-7", role, ("scenario", new JsonStringItem(scenario))), at)), TestSite.At(at));

    [Fact]
    public void An_office_lockdown_under_a_higher_ranked_real_shelter_is_kept_suspended_like_a_panic_press()
    {
        var shelter = Sheltering();
        var pressed = SiteDecider.Decide(ShelterSite, shelter, new PointChanged("panic-a", true), TestSite.At(2)).State;

        var office = FromOffice(shelter, CommandType.Lockdown, "lockdown", 2);

        Assert.True(OutputPlan.For(ShelterSite, office.State).IsActive("lock-egress"), "the office lockdown left zone a unlocked");
        Assert.Equal(OutputPlan.For(ShelterSite, pressed), OutputPlan.For(ShelterSite, office.State));
        Assert.Equal((SiteMode.ShelterInPlace, "shelter-b"), (office.State.Mode, office.State.Lockdown!.Scenario));
        var kept = Assert.Single(office.State.Suspended);
        Assert.Equal((SiteMode.Lockdown, "lockdown", "office-command", (string?)null), (kept.Mode, kept.Info.Scenario, kept.Info.Cause, kept.Info.Point));
        var refused = Assert.Single(office.Events.OfType<LockdownStartRefused>());
        Assert.Equal(("office-command", (string?)null, "lockdown", "shelter-b", true), (refused.Cause, refused.Point, refused.Scenario, refused.RunningScenario, refused.Suspended));
        var done = Assert.IsType<CommandDone>(office.Events[^1]);
        Assert.Contains("kept suspended under the running 'shelter-b'", done.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(office.Events, e => e is CommandRefused);
    }

    [Fact]
    public void The_office_lockdown_kept_suspended_runs_when_the_shelter_is_ended_by_its_releaser()
    {
        var office = FromOffice(Sheltering(), CommandType.Lockdown, "lockdown", 2).State;

        var ended = SiteDecider.Decide(ShelterSite, office, new PointChanged("key-rogue", true), TestSite.At(3));

        Assert.Equal((SiteMode.Lockdown, "lockdown"), (ended.State.Mode, ended.State.Lockdown!.Scenario));
        Assert.True(OutputPlan.For(ShelterSite, ended.State).IsActive("lock-egress"));
    }

    [Fact]
    public void A_second_office_lockdown_is_done_as_already_kept_and_adds_nothing()
    {
        var once = FromOffice(Sheltering(), CommandType.Lockdown, "lockdown", 2).State;

        var twice = FromOffice(once, CommandType.Lockdown, "lockdown", 3);

        Assert.Equal(once.Suspended, twice.State.Suspended);
        Assert.True(Assert.Single(twice.Events.OfType<LockdownStartRefused>()).Suspended);
        Assert.Contains("kept suspended", Assert.IsType<CommandDone>(twice.Events[^1]).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_office_drill_under_a_real_shelter_is_still_refused_and_changes_nothing()
    {
        var shelter = Sheltering();

        var drill = FromOffice(shelter, CommandType.DrillStart, "lockdown", 2);

        Assert.IsType<CommandRefused>(Assert.Single(drill.Events));
        Assert.Equal(shelter, drill.State);
    }
}
