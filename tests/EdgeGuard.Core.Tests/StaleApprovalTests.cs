using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// An all-clear signed before the latest alert counts for nothing, however late it arrives: the
/// supervisor who signed it did not know of that alert. Dropping the approvals collected when the
/// alert is handled is not enough, since a signed command can sit in the broker's session queue
/// (a link hiccup) and arrive after it.
/// </summary>
public sealed class StaleApprovalTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create("a", "b");

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    private static SiteState Press(SiteState state, string point, double at) =>
        Step(Step(state, point, true, at).State, point, false, at + 0.5).State;

    // An all-clear signed at signedAt that reaches the decider at arrives.
    private static Decision AllClear(SiteState state, string op, double signedAt, double arrives) =>
        SiteDecider.Decide(Site, state, new OfficeCommandInput(TestSite.SignedAt(signedAt, CommandType.AllClear, op)), TestSite.At(arrives));

    private static Decision Office(SiteState state, CommandType type, double at, params (string Key, JsonItem Value)[] args) =>
        SiteDecider.Decide(Site, state, new OfficeCommandInput(TestSite.SignedAt(at, type, "sup-1", OperatorRole.Supervisor, args)), TestSite.At(at));

    [Fact]
    public void Two_all_clears_signed_before_a_retrigger_but_arriving_after_it_do_not_lift_the_lockdown()
    {
        // Lockdown since T0 = 100; a panic press retriggers it at T1 = 200. Both supervisors signed
        // before T1, and both commands were held up until after it.
        var lockdown = Press(Quiet(), "panic-a", 100);
        var retriggered = Press(lockdown, "panic-b", 200);

        var first = AllClear(retriggered, "sup-1", 195, 201);
        var second = AllClear(first.State, "sup-2", 196, 202);

        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
        Assert.DoesNotContain(second.Events, e => e is LockdownCleared);
        foreach (var refused in new[] { first, second })
        {
            var reason = Assert.IsType<CommandRefused>(Assert.Single(refused.Events)).Reason;
            Assert.Equal($"signed before the latest alert at {WireTime.Format(TestSite.At(200).Utc)}; approve again", reason);
        }

        // Signed after the alert, the same two lift it.
        var again = AllClear(AllClear(second.State, "sup-1", 205, 206).State, "sup-2", 207, 208);
        Assert.Equal(SiteMode.Normal, again.State.Mode);
    }

    [Fact]
    public void A_stale_all_clear_does_not_drop_an_approval_given_after_the_alert()
    {
        var retriggered = Press(Press(Quiet(), "panic-a", 100), "panic-b", 200);
        var fresh = AllClear(retriggered, "sup-1", 201, 202).State;

        var stale = AllClear(fresh, "sup-2", 150, 203);
        var second = AllClear(stale.State, "sup-2", 204, 205);

        Assert.IsType<CommandRefused>(Assert.Single(stale.Events));
        Assert.Equal(SiteMode.Normal, second.State.Mode);
    }

    [Fact]
    public void All_clears_for_a_lockdown_ended_at_the_key_do_not_count_for_the_next_one()
    {
        // L1 is cleared at the key at 110 while both all-clears for it are queued; L2 starts at 120.
        var first = Press(Quiet(), "panic-a", 100);
        var cleared = Press(first, "key-a", 110);
        Assert.Equal(SiteMode.Normal, cleared.Mode);
        var second = Press(cleared, "panic-a", 120);

        var decision = AllClear(AllClear(second, "sup-1", 105, 121).State, "sup-2", 106, 122);

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
    }

    [Fact]
    public void Approvals_signed_before_a_takeover_a_resume_or_a_refused_trigger_count_for_nothing()
    {
        // Each of these is an alert the supervisors who signed before it did not weigh.
        var shelter = Press(Quiet(), "key-shelter", 100);
        var takeover = Press(shelter, "panic-a", 110);
        var resumed = Press(takeover, "key-a", 120);
        Assert.Equal(SiteMode.ShelterInPlace, resumed.Mode);
        var evacuation = Office(Press(Quiet(), "panic-a", 100), CommandType.Evacuate, 110).State;
        var refused = Press(evacuation, "panic-b", 120);
        Assert.Equal(SiteMode.Evacuation, refused.Mode);

        foreach (var (state, alert) in new[] { (takeover, 110.0), (resumed, 120.0), (refused, 120.0) })
        {
            var decision = AllClear(AllClear(state, "sup-1", alert - 1, alert + 5).State, "sup-2", alert - 1, alert + 6);
            Assert.NotEqual(SiteMode.Normal, decision.State.Mode);
            Assert.Contains("signed before the latest alert", Assert.IsType<CommandRefused>(Assert.Single(decision.Events)).Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void All_clears_signed_before_a_restart_count_for_nothing_after_it()
    {
        // Pending approvals are not persisted, and neither is when the latest alert was: the
        // restart is taken as the latest alert, so what was queued across it is refused.
        var lockdown = Press(Quiet(), "panic-a", 100);
        var restored = SiteState.Restore(Site, lockdown.Safety, ImmutableDictionary<string, bool>.Empty, TestSite.At(300));

        var decision = AllClear(AllClear(restored, "sup-1", 290, 301).State, "sup-2", 295, 302);

        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        Assert.Equal(SiteMode.Normal, AllClear(AllClear(restored, "sup-1", 303, 304).State, "sup-2", 305, 306).State.Mode);
    }
}
