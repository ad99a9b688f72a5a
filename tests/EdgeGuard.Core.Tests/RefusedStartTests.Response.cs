using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// What a refused real trigger still does: it is news the supervisors approving an all-clear did
/// not weigh (their approvals drop, whether it adds a suspension or not), it sounds the siren
/// again where the alarm is, and it is kept suspended unless it is already, whatever a lock's
/// default state.
/// </summary>
public sealed partial class RefusedStartTests
{
    private static Decision Office(SiteState state, string supervisor, double at) =>
        SiteDecider.Decide(Site, state, new OfficeCommandInput(TestSite.SignedAt(at, CommandType.AllClear, supervisor)), TestSite.At(at));

    [Theory]
    [InlineData("panic-a")]
    [InlineData("fence-c")]
    public void A_real_trigger_refused_that_adds_no_suspension_drops_the_all_clear_approvals_given_before_it(string trigger)
    {
        // An earlier press of panic-b keeps the built-in lockdown suspended under "site"; the press
        // (or the breach, at level 5) asks for it again and adds nothing, but it is still an alarm
        // supervisor 1 did not weigh.
        var site = Turn(Turn(Quiet(), "key-threat1", 1).State, "key-threat5", 2).State;
        var kept = Turn(site, "panic-b", 3).State;
        var approved = Office(kept, "sup-1", 4).State;
        Assert.NotNull(approved.AllClearApprovals);

        var refused = Turn(approved, trigger, 5);
        var second = Office(refused.State, "sup-2", 6);

        Assert.True(Assert.Single(refused.Events.OfType<LockdownStartRefused>()).Suspended, "it is (still) suspended");
        Assert.Equal(approved.Suspended, refused.State.Suspended);
        Assert.Null(refused.State.AllClearApprovals);
        Assert.Equal((SiteMode.Lockdown, "site"), (second.State.Mode, second.State.Lockdown!.Scenario));
        Assert.DoesNotContain(second.Events, e => e is LockdownCleared);
        Assert.Equal(SiteMode.Normal, Office(second.State, "sup-1", 7).State.Mode);
    }

    [Fact]
    public void A_press_whose_only_lock_is_normally_locked_is_kept_suspended_and_its_lockdown_runs_after()
    {
        // The built-in lockdown covers zone b, whose only lock (lock-entry) is normally locked: the
        // annex of zone c does not cover it, so the press must outlive the annex.
        var siteB = Site with { Lockdown = Site.Lockdown with { ScopeZones = ["b"] } };
        Decision StepB(SiteState state, string point, bool active, double at) =>
            SiteDecider.Decide(siteB, state, new PointChanged(point, active), TestSite.At(at));
        SiteState TurnB(SiteState state, string point, double at) => StepB(StepB(state, point, true, at).State, point, false, at + 0.5).State;
        var annex = TurnB(SiteState.Restore(siteB, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0)), "key-shelter", 1);

        var press = StepB(annex, "panic-b", true, 2);
        var released = StepB(press.State, "panic-b", false, 2.5).State;

        Assert.True(Assert.Single(press.Events.OfType<LockdownStartRefused>()).Suspended);
        Assert.Equal("lockdown", Assert.Single(released.Suspended).Info.Scenario);
        var ended = TurnB(released, "key-a", 10);
        Assert.Equal((SiteMode.Lockdown, "lockdown"), (ended.Mode, ended.Lockdown!.Scenario));
        var exit = TurnB(ended, "rex-b", 11);
        Assert.True(OutputPlan.For(siteB, exit).IsActive("lock-entry"), "the lockdown holds door-entry against its exit button");
    }

    [Fact]
    public void A_press_kept_suspended_after_the_running_siren_timed_out_sounds_the_siren_in_its_zone()
    {
        var annex = Turn(Quiet(), "key-shelter", 1).State;
        var quiet = SiteDecider.Decide(Site, annex, TimerTick.Instance, TestSite.At(70)).State;
        Assert.False(quiet.SirenSounding);

        var press = Turn(quiet, "panic-a", 71);

        Assert.True(Assert.Single(press.Events.OfType<LockdownStartRefused>()).Suspended);
        Assert.True(press.State.SirenSounding, "the press sounds the siren again, as a retrigger does");
        Assert.Equal(TestSite.At(71).Utc, press.State.SirenSince);
        Assert.True(OutputPlan.For(Site, press.State).IsActive("siren"), "zone a's siren: the suspended lockdown's zone");
    }

    [Fact]
    public void A_press_refused_under_a_lockdown_of_every_zone_sounds_the_running_siren_again_and_an_earlier_acknowledgement_does_not_silence_it()
    {
        var site = Turn(Quiet(), "key-threat1", 1).State;
        var started = new JournaledAlarm(Guid.CreateVersion7(), "lockdown.started", TestSite.At(1).Utc, Severity.Critical, "key-threat1")
        {
            LatestStartOrRetrigger = true,
        };
        var acknowledged = SiteDecider.Decide(Site, site, new OfficeCommandInput(
            TestSite.Command(CommandType.Acknowledge, "guard-1", OperatorRole.Guard)) { Acknowledged = started }, TestSite.At(2)).State;
        Assert.False(acknowledged.SirenSounding);

        var pressed = Turn(acknowledged, "panic-a", 3);
        var press = pressed.State;
        var again = SiteDecider.Decide(Site, press, new OfficeCommandInput(
            TestSite.Command(CommandType.Acknowledge, "guard-1", OperatorRole.Guard)) { Acknowledged = started }, TestSite.At(4)).State;

        Assert.True(press.SirenSounding);
        Assert.True(OutputPlan.For(Site, press).IsActive("siren"));
        Assert.True(again.SirenSounding, "the acknowledgement of the start came before the press");
        var refusal = Assert.Single(pressed.Events.OfType<LockdownStartRefused>());
        Assert.True(refusal.SirenRestarted, "the refusal says it sounded the siren again");
        var refused = new JournaledAlarm(Guid.CreateVersion7(), refusal.Type, refusal.At, refusal.Severity, refusal.PointId)
        {
            SirenRestarted = refusal.SirenRestarted,
            LatestStartOrRetrigger = true,
        };
        var silenced = SiteDecider.Decide(Site, again, new OfficeCommandInput(
            TestSite.Command(CommandType.Acknowledge, "guard-1", OperatorRole.Guard)) { Acknowledged = refused }, TestSite.At(5)).State;
        Assert.False(silenced.SirenSounding, "the refused press's own event silences the siren it restarted");
    }

    [Fact]
    public void A_refused_shelter_trigger_did_not_sound_the_siren_so_acknowledging_it_does_not_silence_a_panics_siren()
    {
        // "hide" is a real shelter of zone c ranked under the built-in lockdown: asked for while a
        // panic's lockdown runs, it is refused (and kept suspended) without sounding the siren.
        var site = Site with
        {
            ExtraScenarios = [TestSite.Create().ExtraScenarios[0], new("hide", SiteMode.ShelterInPlace, ["c"], 50, ["key-shelter"], [], ["key-a"], TestSite.Siren)],
        };
        Decision TurnS(SiteState state, string point, double at)
        {
            var pressed = SiteDecider.Decide(site, state, new PointChanged(point, true), TestSite.At(at));
            return pressed with { State = SiteDecider.Decide(site, pressed.State, new PointChanged(point, false), TestSite.At(at + 0.5)).State };
        }

        var panic = TurnS(SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0)), "panic-a", 1);
        var shelter = TurnS(panic.State, "key-shelter", 2);
        var refusal = Assert.Single(shelter.Events.OfType<LockdownStartRefused>());
        var refused = new JournaledAlarm(Guid.CreateVersion7(), refusal.Type, refusal.At, refusal.Severity, refusal.PointId)
        {
            SirenRestarted = refusal.SirenRestarted,
        };
        var acknowledged = SiteDecider.Decide(site, shelter.State, new OfficeCommandInput(
            TestSite.Command(CommandType.Acknowledge, "guard-1", OperatorRole.Guard)) { Acknowledged = refused }, TestSite.At(3));

        Assert.False(refusal.SirenRestarted);
        Assert.True(acknowledged.State.SirenSounding, "the siren sounds for the panic, not for the refused shelter");
        Assert.False(Assert.Single(acknowledged.Events.OfType<AlarmAcknowledged>()).SirenSilenced);
    }

    [Fact]
    public void A_breach_whose_lockdown_is_kept_suspended_says_so_in_its_own_event()
    {
        // Level 5 arms zone c; the annex runs there, so the breach's lockdown of zone a is kept.
        var annex = Turn(Turn(Quiet(), "key-threat5", 1).State, "key-shelter", 2).State;

        var breach = Step(annex, "fence-c", true, 3);

        Assert.True(Assert.Single(breach.Events.OfType<LockdownStartRefused>()).Suspended);
        var reported = Assert.Single(breach.Events.OfType<PerimeterBreach>());
        Assert.Equal((false, true, Severity.Critical), (reported.StartsLockdown, reported.KeptSuspended, reported.Severity));
    }
}
