using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A real lockdown or shelter refused under a higher-ranked real scenario is kept suspended even
/// when what runs or is suspended already locks all its zones: one key turn ends one scenario, and
/// the key that ends the one over it may have no authority over the one asked for. A panic press
/// in zone a under a lockdown of every zone, ended by a key the built-in lockdown does not list,
/// used to be forgotten: that key's one turn put the site in normal mode and unlocked zone a.
/// </summary>
public sealed partial class RefusedStartTests
{
    // The built-in lockdown (rank 100, every panic button, ended by key-a) covers zone a.
    // "everywhere" locks every zone at rank 160 and only key-rogue ends it; "hide-a" is a
    // shelter of zone a at rank 50 ended by key-rogue; "annex-c" a lockdown of zone c at
    // rank 150 ended by key-a.
    private static readonly SiteDefinition RogueSite = TestSite.Create("a") with
    {
        ExtraScenarios =
        [
            TestSite.Create().ExtraScenarios[0],
            new("hide-a", SiteMode.ShelterInPlace, ["a"], 50, ["key-shelter"], [], ["key-rogue"], TestSite.Siren),
            new("annex-c", SiteMode.Lockdown, ["c"], 150, ["key-door"], [], ["key-a"], TestSite.Siren),
            new("everywhere", SiteMode.Lockdown, [], 160, ["key-threat1"], [], ["key-rogue"], TestSite.Siren),
        ],
    };

    private static SiteState QuietRogue() =>
        SiteState.Restore(RogueSite, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision TurnRogue(SiteState state, string point, double at)
    {
        var pressed = SiteDecider.Decide(RogueSite, state, new PointChanged(point, true), TestSite.At(at));
        var released = SiteDecider.Decide(RogueSite, pressed.State, new PointChanged(point, false), TestSite.At(at + 0.5));
        return pressed with { State = released.State };
    }

    private static bool LockedRogue(SiteState state, string lockId) => OutputPlan.For(RogueSite, state).IsActive(lockId);

    [Fact]
    public void A_panic_press_under_a_covering_lockdown_runs_its_lockdown_when_a_key_without_authority_over_it_ends_that_one()
    {
        var everywhere = TurnRogue(QuietRogue(), "key-threat1", 1).State;

        // Pressed and let go: the request was made, as a press that started the lockdown is.
        var press = TurnRogue(everywhere, "panic-a", 2);

        var refused = Assert.Single(press.Events.OfType<LockdownStartRefused>());
        Assert.Equal(("everywhere", true, Severity.Critical), (refused.RunningScenario, refused.Suspended, refused.Severity));
        Assert.Equal("lockdown", Assert.Single(press.State.Suspended).Info.Scenario);
        Assert.Equal(OutputPlan.For(RogueSite, everywhere), OutputPlan.For(RogueSite, press.State));

        // A power cut between the press and the key forgets nothing either.
        var restored = SiteState.Restore(RogueSite, press.State.Safety, press.State.Points, TestSite.At(5));
        var ended = TurnRogue(restored, "key-rogue", 10);

        Assert.Equal("everywhere", Assert.Single(ended.Events.OfType<LockdownCleared>()).Scenario);
        var resumed = Assert.Single(ended.Events.OfType<LockdownStarted>());
        Assert.Equal((LockdownStarted.ResumedCause, "lockdown", "everywhere"), (resumed.Cause, resumed.Scenario, resumed.Replaced));
        Assert.Equal((SiteMode.Lockdown, "lockdown"), (ended.State.Mode, ended.State.Lockdown!.Scenario));
        Assert.True(LockedRogue(ended.State, "lock-egress"), "the lockdown the press asked for holds zone a");
        Assert.True(ended.State.SirenSounding, "it sounds as a lockdown start does");

        // key-rogue has no authority over the built-in lockdown; its releaser ends it.
        var rogueAgain = TurnRogue(ended.State, "key-rogue", 20);
        Assert.Single(rogueAgain.Events.OfType<LockdownClearRefused>());
        Assert.Equal(SiteMode.Lockdown, rogueAgain.State.Mode);
        var cleared = TurnRogue(rogueAgain.State, "key-a", 30).State;
        Assert.Equal(SiteMode.Normal, cleared.Mode);
        Assert.False(LockedRogue(cleared, "lock-egress"));
    }

    [Fact]
    public void A_panic_press_whose_zone_only_a_suspended_shelter_covers_runs_its_lockdown_before_that_shelter()
    {
        // The shelter of zone a is taken over by the annex of zone c; the press in zone a asks for
        // the lockdown. The shelter's key must not end the lockdown the press asked for.
        var annex = TurnRogue(TurnRogue(QuietRogue(), "key-shelter", 1).State, "key-door", 2).State;
        Assert.Equal(("annex-c", "hide-a"), (annex.Lockdown!.Scenario, Assert.Single(annex.Suspended).Info.Scenario));

        var press = TurnRogue(annex, "panic-a", 3);

        Assert.True(Assert.Single(press.Events.OfType<LockdownStartRefused>()).Suspended);
        Assert.Equal(["hide-a", "lockdown"], press.State.Suspended.Select(s => s.Info.Scenario));

        var annexEnded = TurnRogue(press.State, "key-a", 10).State;
        Assert.Equal((SiteMode.Lockdown, "lockdown"), (annexEnded.Mode, annexEnded.Lockdown!.Scenario));
        var lockdownEnded = TurnRogue(annexEnded, "key-a", 20).State;
        Assert.Equal((SiteMode.ShelterInPlace, "hide-a"), (lockdownEnded.Mode, lockdownEnded.Lockdown!.Scenario));
        Assert.True(LockedRogue(lockdownEnded, "lock-egress"), "the shelter runs again over zone a");
        Assert.Equal(SiteMode.Normal, TurnRogue(lockdownEnded, "key-rogue", 30).State.Mode);
    }
}
