using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// The office's two-supervisor all-clear ends a scenario whose trigger key is still turned, where the
/// releaser key on site is refused: keyswitches cannot be bypassed, so a jammed or shorted trigger key
/// would otherwise leave a scenario nobody can end. (Refusing it too was tried and undone for that.)
/// </summary>
public sealed class AllClearHeldTriggerTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create();

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    private static Decision AllClear(SiteState state, string supervisor, double at) =>
        SiteDecider.Decide(Site, state, new OfficeCommandInput(TestSite.SignedAt(TestSite.Command(CommandType.AllClear, supervisor, OperatorRole.Supervisor), at)), TestSite.At(at));

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
