using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>Threat levels arm the perimeter, may make a breach lock down, shorten held-open times; silent hold-up.</summary>
public sealed class ThreatLevelTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create("a", "b");

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active = true, double at = 1) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    private static SiteState AtLevel5() => Step(Step(Quiet(), "key-threat5").State, "key-threat5", false, 2).State;

    [Fact]
    public void A_level_keyswitch_sets_the_level_and_the_level_survives_a_restart()
    {
        var decision = Step(Quiet(), "key-threat5");

        var changed = Assert.IsType<ThreatLevelChanged>(decision.Events[^1]);
        Assert.Equal((1, 5, "key-threat5", Severity.Alarm), (changed.From, changed.To, changed.ChangedBy, changed.Severity));
        Assert.Equal(5, SiteState.Restore(Site, decision.State.Safety, decision.State.Points, TestSite.At(50)).ThreatLevel);
        Assert.DoesNotContain(decision.Events, e => e is LockdownClearRefused);
    }

    [Fact]
    public void At_a_level_that_locks_down_a_breach_in_an_armed_zone_starts_the_lockdown()
    {
        var decision = Step(AtLevel5(), "fence-c", at: 3);

        Assert.True(Assert.IsType<PerimeterBreach>(decision.Events[1]).StartsLockdown);
        var started = Assert.IsType<LockdownStarted>(decision.Events[^1]);
        Assert.Equal(("perimeter-breach", "fence-c"), (started.Cause, started.PointId));
        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
        Assert.True(OutputPlan.For(Site, decision.State).IsActive("lock-egress"));
    }

    [Fact]
    public void A_door_contact_in_an_armed_zone_is_not_a_perimeter_breach()
    {
        var decision = Step(AtLevel5(), "door-a", at: 3);

        Assert.DoesNotContain(decision.Events, e => e is PerimeterBreach);
        Assert.Equal(SiteMode.Normal, decision.State.Mode);
    }

    [Fact]
    public void A_higher_level_shortens_the_held_open_time()
    {
        var lockdown = Step(Quiet(), "panic-a", at: 1).State; // door-a's lock is now meant to be secure
        var atLevel1 = Step(lockdown, "door-a", at: 3).State;
        var atLevel5 = Step(Step(lockdown, "key-threat5", at: 2).State, "door-a", at: 3).State;

        Assert.Equal(TimeSpan.FromSeconds(3) + TestSite.HeldOpen, SiteDecider.NextDeadline(Site, atLevel1));
        Assert.Equal(TimeSpan.FromSeconds(3 + 10), SiteDecider.NextDeadline(Site, atLevel5));
    }

    [Fact]
    public void A_silent_hold_up_reports_to_the_office_and_changes_nothing_anyone_could_see_or_hear()
    {
        var decision = Step(Quiet(), "holdup-b");

        var holdUp = Assert.IsType<SilentHoldUp>(decision.Events[^1]);
        Assert.Equal(("holdup-b", "b", Severity.Critical), (holdUp.PointId, holdUp.Zone, holdUp.Severity));
        Assert.Equal(SiteMode.Normal, decision.State.Mode);
        Assert.Equal(OutputPlan.For(Site, Quiet()), OutputPlan.For(Site, decision.State));
    }

    [Fact]
    public void A_real_breach_at_a_level_that_locks_down_replaces_a_running_drill()
    {
        var drill = Step(AtLevel5(), "key-drill", at: 3).State;
        Assert.True(drill.Lockdown!.Drill);

        var breach = Step(drill, "fence-c", at: 4);

        Assert.True(Assert.IsType<PerimeterBreach>(breach.Events.Single(e => e is PerimeterBreach)).StartsLockdown);
        Assert.False(breach.State.Lockdown!.Drill);
        Assert.Equal("perimeter-breach", breach.State.Lockdown.Cause);
        Assert.True(OutputPlan.For(Site, breach.State).IsActive("siren"), "a real lockdown is not muted");
    }

    [Fact]
    public void The_level_is_persisted_only_once_somebody_sets_it()
    {
        var untouched = Step(Quiet(), "door-a").State;
        var chosen = AtLevel5();

        Assert.Null(untouched.Safety.ThreatLevel);
        Assert.Equal(5, chosen.Safety.ThreatLevel);
        var restored = SiteState.Restore(Site, chosen.Safety, chosen.Points, TestSite.At(9));
        Assert.Equal((5, true), (restored.ThreatLevel, restored.ThreatLevelChosen));
    }

    // Confirming the level in force is a choice too: left unchosen, it followed the config's
    // initial level, and a later change of threatLevels.initial moved the site off it at a restart.
    [Fact]
    public void The_level_in_force_confirmed_by_the_office_or_a_key_is_kept_over_a_new_initial_level()
    {
        var byOffice = SiteDecider.Decide(Site, Quiet(), new OfficeCommandInput(SetLevel(1)), TestSite.At(1));
        var byKey = Step(Quiet(), "key-threat1");

        Assert.Equal("threat level already 1", Assert.IsType<CommandDone>(Assert.Single(byOffice.Events)).Detail);
        Assert.DoesNotContain(byKey.Events, e => e is ThreatLevelChanged);
        foreach (var confirmed in new[] { byOffice.State, byKey.State })
        {
            Assert.Equal(1, confirmed.Safety.ThreatLevel);
            var restored = SiteState.Restore(Site with { InitialThreatLevel = 5 }, confirmed.Safety, confirmed.Points, TestSite.At(9));
            Assert.Equal((1, true), (restored.ThreatLevel, restored.ThreatLevelChosen));
        }
    }

    // Commands README: set-threat-level is "refused when level not configured". A site without a
    // threatLevels section runs at the default level 1 only: level 42 was answered done and
    // saved, then dropped to 1 at the next restart, silently.
    [Theory]
    [InlineData(42)]
    [InlineData(2)]
    public void Set_threat_level_on_a_site_without_threat_levels_refuses_any_level_but_the_default(int level)
    {
        var site = Site with { ThreatLevels = [] };
        var quiet = SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

        var decision = SiteDecider.Decide(site, quiet, new OfficeCommandInput(SetLevel(level)), TestSite.At(1));

        var refused = Assert.IsType<CommandRefused>(Assert.Single(decision.Events));
        Assert.Equal($"threat level {level} is not configured; levels: 1", refused.Reason);
        Assert.Equal((1, false), (decision.State.ThreatLevel, decision.State.ThreatLevelChosen));
    }

    [Fact]
    public void Set_threat_level_1_on_a_site_without_threat_levels_is_done_as_already_1()
    {
        var site = Site with { ThreatLevels = [] };
        var quiet = SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

        var decision = SiteDecider.Decide(site, quiet, new OfficeCommandInput(SetLevel(1)), TestSite.At(1));

        Assert.Equal("threat level already 1", Assert.IsType<CommandDone>(Assert.Single(decision.Events)).Detail);
        Assert.Equal(1, decision.State.ThreatLevel);
    }

    private static VerifiedCommand SetLevel(int level) =>
        TestSite.SignedAt(TestSite.Command(CommandType.SetThreatLevel, "sup-1", OperatorRole.Supervisor, ("level", new JsonIntegerItem(level))), 1);
}
