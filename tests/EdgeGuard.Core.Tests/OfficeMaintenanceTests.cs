using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>Bypass/unbypass, acknowledge and rebirth from the office: what each does and refuses.</summary>
public sealed class OfficeMaintenanceTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create("a", "b");

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    // A supervisor's: a technician's bypass needs technician access first (TechnicianAccessTests).
    private static VerifiedCommand Command(CommandType type, params (string Key, string Value)[] args) =>
        TestSite.Command(type, "tech-1", OperatorRole.Supervisor, [.. args.Select(a => (a.Key, (JsonItem)new JsonStringItem(a.Value)))]);

    private static string Until(double seconds) => WireTime.Format(TestSite.At(seconds).Utc);

    private static Decision Bypass(SiteState state, string point, double until, double at = 1) =>
        Decide(state, new OfficeCommandInput(Command(CommandType.Bypass, ("point", point), ("until", Until(until)))), at);

    private static Decision Decide(SiteState state, SiteInput input, double at) => SiteDecider.Decide(Site, state, input, TestSite.At(at));

    private static SiteState AtThreatLevel5(SiteState state) => state with { ThreatLevel = 5, ThreatLevelChosen = true };

    [Theory]
    [InlineData("panic-a", 600, "never bypassed")]
    [InlineData("holdup-b", 600, "never bypassed")]
    [InlineData("fire-panel", 600, "never bypassed")]
    [InlineData("rex-a", 600, "never bypassed")]
    [InlineData("key-a", 600, "never bypassed")]
    [InlineData("vault", 600, "no point 'vault' is configured")]
    [InlineData("fence-c", 0.5, "has already passed")]
    [InlineData("fence-c", 86_402, "more than 24 h ahead")]
    public void A_bypass_of_a_life_safety_or_unknown_point_or_with_a_bad_end_is_refused_and_changes_nothing(string point, double until, string reason)
    {
        var quiet = Quiet();

        var decision = Bypass(quiet, point, until);

        Assert.Empty(decision.State.Bypasses);
        Assert.Contains(reason, Assert.IsType<CommandRefused>(Assert.Single(decision.Events)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bypassed_perimeter_point_is_reported_but_neither_breaches_nor_locks_down_until_its_bypass_expires()
    {
        var bypassed = Bypass(AtThreatLevel5(Quiet()), "fence-c", until: 600);
        var breach = Decide(bypassed.State, new PointChanged("fence-c", true), 2);
        var expired = Decide(breach.State, TimerTick.Instance, 600);

        Assert.Equal("fence-c bypassed until 2026-11-23T12:10:00.000Z", Assert.IsType<CommandDone>(bypassed.Events[^1]).Detail);
        Assert.Equal(TimeSpan.FromSeconds(600), SiteDecider.NextDeadline(Site, breach.State));
        var reported = Assert.IsType<PointActivated>(Assert.Single(breach.Events));
        Assert.Equal((true, Severity.Info), (reported.Bypassed, reported.Severity));
        Assert.Equal(SiteMode.Normal, breach.State.Mode);

        // Back in service while still active: judged at once, like an arming with a zone violated.
        Assert.Equal("expired", Assert.IsType<PointUnbypassed>(expired.Events[0]).Reason);
        Assert.Contains(expired.Events, e => e is PerimeterBreach { StartsLockdown: true });
        Assert.Equal(SiteMode.Lockdown, expired.State.Mode);
        Assert.Empty(expired.State.Bypasses);
    }

    [Fact]
    public void A_bypass_that_ended_before_its_point_restored_judges_the_point_as_it_was_then()
    {
        // The bypass ended at 600 s with the fence still in alarm; the restore is the decider's
        // next input, at 600 s or later. The fence was breached out of bypass: lockdown.
        var bypassed = Bypass(AtThreatLevel5(Quiet()), "fence-c", until: 600);
        var breach = Decide(bypassed.State, new PointChanged("fence-c", true), 2);

        var restored = Decide(breach.State, new PointChanged("fence-c", false), 600);

        Assert.Equal(
            [typeof(PointUnbypassed), typeof(PerimeterBreach), typeof(LockdownStarted), typeof(PointRestored)],
            restored.Events.Select(e => e.GetType()));
        Assert.Equal(SiteMode.Lockdown, restored.State.Mode);
        Assert.False(restored.State.IsActive("fence-c"));
    }

    [Fact]
    public void A_bypass_that_expires_into_a_takeover_taken_over_by_the_input_suspends_both_in_that_order()
    {
        // A shelter runs; the fence, in alarm under its bypass, is breached out of it at 600 s,
        // and the evacuation key turned in that same decision takes over from the lockdown.
        var bypassed = Bypass(AtThreatLevel5(Quiet()), "fence-c", until: 600);
        var breach = Decide(bypassed.State, new PointChanged("fence-c", true), 2);
        var shelter = Decide(breach.State, new PointChanged("key-shelter", true), 3);

        var evacuation = Decide(shelter.State, new PointChanged("key-evac", true), 600);

        Assert.Equal(
            [typeof(PointUnbypassed), typeof(PerimeterBreach), typeof(LockdownStarted), typeof(PointActivated), typeof(LockdownStarted)],
            evacuation.Events.Select(e => e.GetType()));
        Assert.Equal(SiteMode.Evacuation, evacuation.State.Mode);
        // The lockdown runs again first when the evacuation ends, then the shelter.
        Assert.Equal(
            [(SiteMode.ShelterInPlace, "shelter-c"), (SiteMode.Lockdown, "lockdown")],
            evacuation.State.Suspended.Select(s => (s.Mode, s.Info.Scenario)));
    }

    [Fact]
    public void A_bypass_ends_at_its_signed_end_even_if_the_monotonic_clock_lags_behind()
    {
        var bypassed = Bypass(Quiet(), "fence-c", until: 600).State;

        var wallClockPast = SiteDecider.Decide(Site, bypassed, TimerTick.Instance, new Moment(TimeSpan.FromSeconds(100), TestSite.At(600).Utc));

        Assert.IsType<PointUnbypassed>(Assert.Single(wallClockPast.Events));
    }

    [Fact]
    public void A_wall_clock_past_the_signed_end_ends_the_bypass_before_the_next_input_and_the_controller_rechecks_every_minute()
    {
        var bypassed = Bypass(AtThreatLevel5(Quiet()), "fence-c", until: 600).State;

        // NTP moved the wall clock on; the monotonic deadline is still far away.
        var breach = SiteDecider.Decide(Site, bypassed, new PointChanged("fence-c", true), new Moment(TimeSpan.FromSeconds(300), TestSite.At(700).Utc));

        Assert.IsType<PointUnbypassed>(breach.Events[0]);
        Assert.Contains(breach.Events, e => e is PerimeterBreach { StartsLockdown: true });
        Assert.Equal(TimeSpan.FromSeconds(2) + OfficeMaintenance.WallClockRecheck, SiteDecider.NextDeadline(Site, bypassed, TestSite.At(2)));
        Assert.Null(SiteDecider.NextDeadline(Site, Quiet(), TestSite.At(2)));
    }

    [Fact]
    public void A_restart_with_the_clock_set_back_cannot_stretch_a_bypass_beyond_a_day()
    {
        var bypassed = Bypass(Quiet(), "fence-c", until: 600).State;

        var restored = SiteState.Restore(Site, bypassed.Safety, ImmutableDictionary<string, bool>.Empty,
            new Moment(TimeSpan.FromSeconds(5), TestSite.At(0).Utc.AddDays(-10)));

        Assert.Equal(TimeSpan.FromSeconds(5) + OfficeMaintenance.MaxBypass, restored.Bypasses["fence-c"].Deadline);
    }

    [Fact]
    public void Bypass_ending_on_a_door_whose_forced_alarm_is_still_active_does_not_raise_it_twice()
    {
        var lockdown = Decide(Quiet(), new PointChanged("panic-a", true), 1).State;
        var forced = Decide(lockdown, new PointChanged("door-a", true), 2).State;
        var bypassed = Bypass(forced, "door-a", until: 3600, at: 3).State;

        var unbypassed = Decide(bypassed, new OfficeCommandInput(Command(CommandType.Unbypass, ("point", "door-a"))), 4);

        Assert.DoesNotContain(unbypassed.Events, e => e is DoorForced);
        Assert.True(unbypassed.State.Doors["door-egress"].Forced);
    }

    [Fact]
    public void A_door_opened_under_bypass_during_a_lockdown_is_not_forced_until_the_office_unbypasses_it()
    {
        var lockdown = Decide(Quiet(), new PointChanged("panic-a", true), 1).State;
        var bypassed = Bypass(lockdown, "door-a", until: 3600, at: 2).State;
        var opened = Decide(bypassed, new PointChanged("door-a", true), 3);
        var unbypassed = Decide(opened.State, new OfficeCommandInput(Command(CommandType.Unbypass, ("point", "door-a"))), 4);
        var again = Decide(unbypassed.State, new OfficeCommandInput(Command(CommandType.Unbypass, ("point", "door-a"))), 5);

        Assert.DoesNotContain(opened.Events, e => e is DoorForced);
        Assert.Equal(("operator", "tech-1"), (Assert.IsType<PointUnbypassed>(unbypassed.Events[0]).Reason, ((PointUnbypassed)unbypassed.Events[0]).Operator));
        Assert.Contains(unbypassed.Events, e => e is DoorForced { DoorId: "door-egress" });
        Assert.Equal("point 'door-a' is not bypassed", Assert.IsType<CommandRefused>(Assert.Single(again.Events)).Reason);
    }

    [Fact]
    public void Bypassing_an_open_door_stops_its_held_open_count_and_keeps_its_forced_alarm_until_it_closes()
    {
        var lockdown = Decide(Quiet(), new PointChanged("panic-a", true), 1).State;
        var forced = Decide(lockdown, new PointChanged("door-a", true), 2).State;
        var bypassed = Bypass(forced, "door-a", until: 3600, at: 3).State;
        var later = Decide(bypassed, TimerTick.Instance, 2 + TestSite.HeldOpen.TotalSeconds + 1);
        var closed = Decide(later.State, new PointChanged("door-a", false), 100);

        Assert.True(forced.Doors["door-egress"].Forced);
        Assert.DoesNotContain(later.Events, e => e is DoorHeldOpen);
        Assert.True(later.State.Doors["door-egress"].Forced);
        Assert.Contains(closed.Events, e => e is DoorForcedRestored);
        Assert.True(Assert.IsType<PointRestored>(closed.Events[0]).Bypassed);
    }

    [Fact]
    public void A_bypass_survives_a_restart_with_its_signed_end_and_is_dropped_when_the_point_may_no_longer_be_bypassed()
    {
        var bypassed = Bypass(Quiet(), "fence-c", until: 600).State;
        var safety = bypassed.Safety with
        {
            Bypasses = bypassed.Safety.Bypasses!.Add("panic-a", new PointBypass(TestSite.At(600).Utc, "tech-1")),
        };

        // Rebooted at wall time 100 s with a fresh monotonic clock: 500 s of the bypass remain.
        var restored = SiteState.Restore(Site, safety, ImmutableDictionary<string, bool>.Empty, new Moment(TimeSpan.FromSeconds(5), TestSite.At(100).Utc));

        var bypass = Assert.Single(restored.Bypasses);
        Assert.Equal(("fence-c", TimeSpan.FromSeconds(505), "tech-1"), (bypass.Key, bypass.Value.Deadline, bypass.Value.Grant.Operator));
        Assert.Equal(bypassed.Safety, restored.Safety);
    }

    [Fact]
    public void Acknowledging_the_running_lockdowns_start_silences_its_siren_and_nothing_else()
    {
        var lockdown = Decide(Quiet(), new PointChanged("panic-a", true), 1);
        var started = Assert.IsType<LockdownStarted>(lockdown.Events.Single(e => e is LockdownStarted));
        // As the host looks it up: the journal holds no start or retrigger after it.
        var alarm = new JournaledAlarm(Guid.CreateVersion7(), started.Type, started.At, started.Severity, started.PointId) { LatestStartOrRetrigger = true };

        var ack = Acknowledge(lockdown.State, alarm, 2);

        var acknowledged = Assert.IsType<AlarmAcknowledged>(ack.Events[0]);
        Assert.Equal((alarm.Id, "lockdown.started", true), (acknowledged.EventId, acknowledged.EventType, acknowledged.SirenSilenced));
        Assert.Equal(SiteMode.Lockdown, ack.State.Mode);
        var plan = OutputPlan.For(Site, ack.State);
        Assert.False(plan.IsActive("siren"));
        Assert.True(plan.IsActive("lock-egress"));
        Assert.Contains("siren silenced", Assert.IsType<CommandDone>(ack.Events[^1]).Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_earlier_scenarios_start_or_a_door_alarm_is_acknowledged_without_silencing_the_running_siren()
    {
        var lockdown = Decide(Quiet(), new PointChanged("panic-a", true), 10).State;
        var earlier = new JournaledAlarm(Guid.CreateVersion7(), "lockdown.started", TestSite.At(1).Utc, Severity.Critical, "panic-b");
        var door = new JournaledAlarm(Guid.CreateVersion7(), "door.forced", TestSite.At(11).Utc, Severity.Alarm, "door-a");

        foreach (var alarm in new[] { earlier, door })
        {
            var ack = Acknowledge(lockdown, alarm, 12);
            Assert.False(Assert.IsType<AlarmAcknowledged>(ack.Events[0]).SirenSilenced);
            Assert.True(ack.State.SirenSounding);
            Assert.IsType<CommandDone>(ack.Events[^1]);
        }
    }

    [Fact]
    public void An_acknowledged_first_press_does_not_silence_a_siren_a_later_press_restarted_but_acknowledging_that_press_does()
    {
        var first = Decide(Quiet(), new PointChanged("panic-a", true), 1);
        var quiet = Decide(first.State, TimerTick.Instance, 1 + TestSite.Siren.TotalSeconds).State;
        var again = Decide(quiet, new PointChanged("panic-b", true), 100);
        var start = (LockdownStarted)first.Events.Single(e => e is LockdownStarted);
        var retrigger = (LockdownRetriggered)again.Events.Single(e => e is LockdownRetriggered);

        var old = Acknowledge(again.State, new JournaledAlarm(Guid.CreateVersion7(), start.Type, start.At, start.Severity, start.PointId), 101);
        var latest = Acknowledge(again.State, new JournaledAlarm(Guid.CreateVersion7(), retrigger.Type, retrigger.At, retrigger.Severity, retrigger.PointId) { LatestStartOrRetrigger = true }, 101);

        Assert.True(old.State.SirenSounding);
        Assert.False(latest.State.SirenSounding);
    }

    [Fact]
    public void After_a_restart_acknowledging_the_latest_press_before_it_silences_the_siren_an_older_press_does_not()
    {
        // The siren sounds again after a power cut for the alert that was not finished. The office
        // acknowledges what it saw: the retrigger before the cut, the latest in the journal.
        var first = Decide(Quiet(), new PointChanged("panic-a", true), 1);
        var again = Decide(Decide(first.State, new PointChanged("panic-a", false), 2).State, new PointChanged("panic-b", true), 5);
        var start = (LockdownStarted)first.Events.Single(e => e is LockdownStarted);
        var retrigger = (LockdownRetriggered)again.Events.Single(e => e is LockdownRetriggered);
        var restored = SiteState.Restore(Site, again.State.Safety, again.State.Points, TestSite.At(100));
        Assert.True(restored.SirenSounding);
        var older = new JournaledAlarm(Guid.CreateVersion7(), start.Type, start.At, start.Severity, start.PointId);
        var latest = new JournaledAlarm(Guid.CreateVersion7(), retrigger.Type, retrigger.At, retrigger.Severity, retrigger.PointId) { LatestStartOrRetrigger = true };

        var olderAck = Acknowledge(restored, older, 101);
        var latestAck = Acknowledge(restored, latest, 101);

        Assert.True(olderAck.State.SirenSounding);
        Assert.False(Assert.IsType<AlarmAcknowledged>(olderAck.Events[0]).SirenSilenced);
        Assert.False(latestAck.State.SirenSounding);
        Assert.True(Assert.IsType<AlarmAcknowledged>(latestAck.Events[0]).SirenSilenced);
        Assert.Equal(SiteMode.Lockdown, latestAck.State.Mode);

        // A press after the restart is newer than anything the journal had when the command was
        // looked up: acknowledging the press before the restart must not silence it.
        var released = Decide(restored, new PointChanged("panic-b", false), 102).State;
        var pressedAgain = Decide(released, new PointChanged("panic-a", true), 103).State;
        Assert.True(Acknowledge(pressedAgain, latest, 104).State.SirenSounding);
    }

    [Fact]
    public void An_evacuation_siren_is_never_silenced_by_an_acknowledgement_it_tells_people_to_leave()
    {
        var evacuation = Decide(Quiet(), new PointChanged("key-evac", true), 1);
        var started = (LockdownStarted)evacuation.Events.Single(e => e is LockdownStarted);

        var ack = Acknowledge(evacuation.State, new JournaledAlarm(Guid.CreateVersion7(), started.Type, started.At, started.Severity, null), 2);

        Assert.Equal(SiteMode.Evacuation, ack.State.Mode);
        Assert.True(ack.State.SirenSounding);
        Assert.False(Assert.IsType<AlarmAcknowledged>(ack.Events[0]).SirenSilenced);
    }

    [Fact]
    public void After_a_restore_a_drills_later_start_does_not_silence_the_real_siren_and_the_real_alert_does()
    {
        // A real lockdown read late is put back over a drill started since the boot: the drill's
        // start is the journal's latest start, the siren sounds for the real one before it.
        var lockdown = Decide(Quiet(), new PointChanged("panic-a", true), 1);
        var start = (LockdownStarted)lockdown.Events.Single(e => e is LockdownStarted);
        var restored = SiteState.Restore(Site, lockdown.State.Safety, lockdown.State.Points, TestSite.At(100));
        var drill = new JournaledAlarm(Guid.CreateVersion7(), "lockdown.started", TestSite.At(90).Utc, Severity.Critical, null, Drill: true) { LatestStartOrRetrigger = true };
        var real = new JournaledAlarm(Guid.CreateVersion7(), start.Type, start.At, start.Severity, start.PointId) { LatestStartOrRetrigger = true };

        Assert.True(Acknowledge(restored, drill, 101).State.SirenSounding, "a drill's alert silences no real siren");
        Assert.False(Acknowledge(restored, real, 101).State.SirenSounding);
    }

    [Fact]
    public void An_acknowledgement_is_flagged_drill_exactly_when_the_acknowledged_event_was()
    {
        var drill = Decide(Quiet(), new PointChanged("key-drill", true), 1).State;
        var realDoor = new JournaledAlarm(Guid.CreateVersion7(), "door.forced", TestSite.At(2).Utc, Severity.Alarm, "door-a", Drill: false);

        var ack = Acknowledge(drill, realDoor, 3);

        Assert.True(drill.Lockdown!.Drill);
        Assert.False(ack.Events[0].Drill);
    }

    [Fact]
    public void Acknowledging_an_event_the_journal_does_not_have_or_one_that_is_not_an_alarm_is_refused()
    {
        var quiet = Quiet();
        var info = new JournaledAlarm(Guid.CreateVersion7(), "point.restored", TestSite.At(1).Utc, Severity.Info, "door-a");

        var unknown = Acknowledge(quiet, null, 2);
        var notAlarm = Acknowledge(quiet, info, 2);

        Assert.StartsWith("no event ", Assert.IsType<CommandRefused>(Assert.Single(unknown.Events)).Reason, StringComparison.Ordinal);
        Assert.Contains("not an alarm", Assert.IsType<CommandRefused>(Assert.Single(notAlarm.Events)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rebirth_journals_a_request_the_publisher_answers_with_every_retained_state()
    {
        var quiet = Quiet();

        var decision = Decide(quiet, new OfficeCommandInput(Command(CommandType.Rebirth)), 1);

        Assert.Equal("tech-1", Assert.IsType<StateRepublishRequested>(decision.Events[0]).Operator);
        Assert.IsType<CommandDone>(decision.Events[^1]);
        Assert.Equal(quiet.Safety, decision.State.Safety);
    }

    private static Decision Acknowledge(SiteState state, JournaledAlarm? alarm, double at) =>
        Decide(state, new OfficeCommandInput(Command(CommandType.Acknowledge, ("event_id", (alarm?.Id ?? Guid.CreateVersion7()).ToString("D")))) { Acknowledged = alarm }, at);
}
