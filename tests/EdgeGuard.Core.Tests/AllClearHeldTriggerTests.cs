using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// The office's two-supervisor all-clear keeps the rule of the keyswitch release: not while a
/// trigger of the running scenario is still active. A shelter whose key was still turned, ended
/// from the office, left the site normal under a key that still said "shelter", and turning it
/// again did nothing until it was turned back first.
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
    public void Two_supervisors_cannot_end_a_shelter_while_its_key_is_still_turned()
    {
        var shelter = Step(Quiet(), "key-shelter", true, 1).State;
        Assert.Equal(SiteMode.ShelterInPlace, shelter.Mode);

        var first = AllClear(shelter, "sup-1", 10);
        var second = AllClear(first.State, "sup-2", 11);

        Assert.Equal(SiteMode.ShelterInPlace, second.State.Mode);
        Assert.Contains("trigger 'key-shelter' is still active", Assert.IsType<CommandRefused>(second.Events[^1]).Reason, StringComparison.Ordinal);
        Assert.Equal(OutputPlan.For(Site, shelter), OutputPlan.For(Site, second.State));

        // The key turned back: the same two supervisors end it.
        var back = Step(second.State, "key-shelter", false, 20).State;
        var again = AllClear(AllClear(back, "sup-1", 30).State, "sup-2", 31);
        Assert.Equal(SiteMode.Normal, again.State.Mode);
    }
}
