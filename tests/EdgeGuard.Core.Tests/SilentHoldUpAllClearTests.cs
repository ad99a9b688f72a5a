using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A silent hold-up (duress) is news for the office's two-supervisor all-clear, as a retrigger
/// is: it drops the approvals given before it and blocks the all-clear while held. Nothing
/// changes on site: no siren, lock or lamp that the person holding the guard could notice.
/// </summary>
public sealed class SilentHoldUpAllClearTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create();

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    private static Decision AllClear(SiteState state, string supervisor, double at) =>
        SiteDecider.Decide(Site, state, new OfficeCommandInput(TestSite.SignedAt(TestSite.Command(CommandType.AllClear, supervisor, OperatorRole.Supervisor), at)), TestSite.At(at));

    private static SiteState Lockdown()
    {
        var state = Step(Quiet(), "panic-a", true, 1).State;
        return Step(state, "panic-a", false, 2).State;
    }

    [Fact]
    public void A_duress_signal_between_two_all_clears_drops_the_first_approval()
    {
        // Supervisor 1 approved before the duress: supervisor 2, who has not weighed it, must not
        // lift the lockdown alone.
        var state = AllClear(Lockdown(), "sup-1", 10).State;
        var duress = Step(state, "holdup-b", true, 20);
        Assert.Contains(duress.Events, e => e is SilentHoldUp);

        var second = AllClear(duress.State, "sup-2", 30);

        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
    }

    [Fact]
    public void A_duress_signal_drops_the_approvals_and_changes_nothing_on_site()
    {
        var approved = AllClear(Lockdown(), "sup-1", 10).State;
        Assert.NotNull(approved.AllClearApprovals);
        var silenced = SiteDecider.Decide(Site, approved, new TimerTick(), TestSite.At(100)).State;

        var duress = Step(silenced, "holdup-b", true, 110);
        var released = Step(duress.State, "holdup-b", false, 111).State;

        Assert.Null(duress.State.AllClearApprovals);
        Assert.Equal(OutputPlan.For(Site, silenced), OutputPlan.For(Site, duress.State));
        Assert.False(duress.State.SirenSounding, "a duress signal must not sound the siren again");
        Assert.DoesNotContain(duress.Events, e => e is LockdownRetriggered or LockdownStarted);
        // Both supervisors approve again after the duress: then the lockdown lifts.
        var first = AllClear(released, "sup-1", 120);
        Assert.Equal(SiteMode.Lockdown, first.State.Mode);
        Assert.Equal(SiteMode.Normal, AllClear(first.State, "sup-2", 121).State.Mode);
    }

    [Fact]
    public void An_approval_signed_before_a_duress_signal_and_arriving_after_it_does_not_count()
    {
        var duress = Step(Lockdown(), "holdup-b", true, 20).State;
        var released = Step(duress, "holdup-b", false, 21).State;

        var stale = SiteDecider.Decide(Site, released,
            new OfficeCommandInput(TestSite.SignedAt(TestSite.Command(CommandType.AllClear, "sup-1", OperatorRole.Supervisor), 15)), TestSite.At(22));

        Assert.Contains("signed before the latest alert", Assert.IsType<CommandRefused>(stale.Events[^1]).Reason, StringComparison.Ordinal);
        Assert.Null(stale.State.AllClearApprovals);
    }

    [Fact]
    public void Two_supervisors_cannot_lift_a_lockdown_while_a_silent_holdup_is_held()
    {
        var held = Step(Lockdown(), "holdup-b", true, 5).State;

        var first = AllClear(held, "sup-1", 10);
        var second = AllClear(first.State, "sup-2", 11);

        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
        Assert.Contains("hold-up button 'holdup-b' is still active", Assert.IsType<CommandRefused>(second.Events[^1]).Reason, StringComparison.Ordinal);
        Assert.Null(second.State.AllClearApprovals);
        Assert.Equal(OutputPlan.For(Site, held), OutputPlan.For(Site, second.State));
    }

    // The releaser key on site is refused while the scenario's trigger is held; the office's two
    // supervisors are not: keyswitches cannot be bypassed, so a jammed or shorted trigger key would
    // otherwise leave a scenario nobody can end. (Refusing them too was tried and undone for that.)
    [Fact]
    public void A_shelter_whose_key_is_jammed_on_is_refused_to_the_releaser_key_and_ended_by_two_supervisors()
    {
        var shelter = Step(Quiet(), "key-shelter", true, 1).State;
        Assert.Equal(SiteMode.ShelterInPlace, shelter.Mode);

        var key = Step(shelter, "key-a", true, 5);
        Assert.Equal(SiteMode.ShelterInPlace, key.State.Mode);
        Assert.Contains(key.Events, e => e is LockdownClearRefused { Reason: var reason } && reason.Contains("trigger 'key-shelter' is still active", StringComparison.Ordinal));

        var cleared = AllClear(AllClear(Step(key.State, "key-a", false, 6).State, "sup-1", 10).State, "sup-2", 11);
        Assert.Equal(SiteMode.Normal, cleared.State.Mode);
        Assert.Contains(cleared.Events, e => e is LockdownCleared);
    }
}
