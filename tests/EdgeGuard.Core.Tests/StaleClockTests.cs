using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// The gateway's wall clock is not to be trusted for ordering alerts: a Pi without an RTC boots
/// with the time systemd-timesyncd last saved (behind by the outage) and NTP steps it later, and a
/// clock running fast is stepped back. An all-clear must still count for nothing when signed
/// before the latest alert, and an acknowledgement must still silence only the alert the siren
/// sounds for. These timelines put the real time, the monotonic clock and the gateway's clock side
/// by side.
/// </summary>
public sealed class StaleClockTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create("a", "b");

    // Real time 10:00 on the day of these timelines.
    private static readonly DateTimeOffset Ten = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    // How far behind the clock restored at boot is: the outage since its last save.
    private static readonly TimeSpan Behind = TimeSpan.FromMinutes(40);

    private static Moment M(double monotonicSeconds, DateTimeOffset utc) => new(TimeSpan.FromSeconds(monotonicSeconds), utc);

    // Real time of a boot at 10:20 (monotonic 5 s), so that monotonic s is at real Real(s).
    private static DateTimeOffset Real(double monotonicSeconds) => Ten.AddMinutes(20).AddSeconds(monotonicSeconds - 5);

    // What the stale clock reads at monotonic s, before NTP steps it.
    private static DateTimeOffset Stale(double monotonicSeconds) => Real(monotonicSeconds) - Behind;

    private static Decision Decide(SiteState state, SiteInput input, Moment now) => SiteDecider.Decide(Site, state, input, now);

    private static VerifiedCommand AllClearSigned(string op, DateTimeOffset at)
    {
        var command = TestSite.Command(CommandType.AllClear, op, OperatorRole.Supervisor);
        return command with { Command = command.Command with { IssuedAt = at, ExpiresAt = at.AddMinutes(15) } };
    }

    private static OfficeCommandInput Acknowledgement(JournaledAlarm alarm) =>
        new(TestSite.Command(CommandType.Acknowledge, "sup-1", OperatorRole.Supervisor, ("event_id", new JsonStringItem(alarm.Id.ToString("D"))))) { Acknowledged = alarm };

    private static JournaledAlarm Journaled(DomainEvent alert, bool latest) =>
        new(Guid.CreateVersion7(), alert.Type, alert.At, alert.Severity, alert.Point) { LatestStartOrRetrigger = latest };

    /// <summary>
    /// Lockdown by panic-a at real 10:00, saved; the power is cut at 10:10 and comes back at 10:20,
    /// when the gateway boots (monotonic 5 s) with its clock 40 min behind.
    /// </summary>
    private static (SiteState Restored, LockdownStarted PreCutStart) LockdownThenStaleBoot()
    {
        var quiet = SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, M(0, Ten));
        var started = Decide(quiet, new PointChanged("panic-a", true), M(1, Ten));
        var released = Decide(started.State, new PointChanged("panic-a", false), M(2, Ten.AddSeconds(1))).State;

        var restored = SiteState.Restore(Site, released.Safety, released.Points, M(5, Stale(5)));
        restored = Decide(restored, InputsSettled.Instance, M(5.1, Stale(5.1))).State;
        // The siren sounding again for the restored lockdown times out, so the next press sounds it.
        restored = Decide(restored, TimerTick.Instance, M(5.1 + TestSite.Siren.TotalSeconds, Stale(5.1 + TestSite.Siren.TotalSeconds))).State;
        Assert.False(restored.SirenSounding);
        return (restored, (LockdownStarted)started.Events.Single(e => e is LockdownStarted));
    }

    /// <summary>Then panic-b is pressed at real 10:21:30 (monotonic 95 s), before NTP answers.</summary>
    private static (SiteState Pressed, LockdownRetriggered Press, LockdownStarted PreCutStart) StaleBootThenPress()
    {
        var (restored, start) = LockdownThenStaleBoot();
        var press = Decide(restored, new PointChanged("panic-b", true), M(95, Stale(95)));
        var pressed = Decide(press.State, new PointChanged("panic-b", false), M(96, Stale(96))).State;
        Assert.True(pressed.SirenSounding);
        return (pressed, (LockdownRetriggered)press.Events.Single(e => e is LockdownRetriggered), start);
    }

    [Fact]
    public void All_clears_signed_before_a_press_on_a_stale_boot_clock_do_not_lift_the_lockdown_once_ntp_set_the_clock()
    {
        // Signed at real 10:18 and 10:19 while the gateway was away, queued by the broker and
        // delivered once NTP set the clock (real time from monotonic 155 s on).
        var (pressed, _, _) = StaleBootThenPress();
        var first = Decide(pressed, new OfficeCommandInput(AllClearSigned("sup-1", Ten.AddMinutes(18))), M(155, Real(155)));
        var second = Decide(first.State, new OfficeCommandInput(AllClearSigned("sup-2", Ten.AddMinutes(19))), M(156, Real(156)));

        Assert.DoesNotContain(second.Events, e => e is LockdownCleared);
        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
        // The refusal names the press's real time: what the office's supervisors can check against.
        var reason = Assert.IsType<CommandRefused>(Assert.Single(second.Events)).Reason;
        Assert.Equal($"signed before the latest alert at {WireTime.Format(Real(95))}; approve again", reason);
    }

    [Fact]
    public void All_clears_signed_after_a_press_on_a_stale_boot_clock_lift_the_lockdown_once_ntp_set_the_clock()
    {
        var (pressed, _, _) = StaleBootThenPress();
        var first = Decide(pressed, new OfficeCommandInput(AllClearSigned("sup-1", Real(120))), M(155, Real(155)));
        var second = Decide(first.State, new OfficeCommandInput(AllClearSigned("sup-2", Real(130))), M(156, Real(156)));

        Assert.Contains(second.Events, e => e is LockdownCleared);
        Assert.Equal(SiteMode.Normal, second.State.Mode);
    }

    [Fact]
    public void All_clears_signed_during_the_outage_do_not_lift_a_lockdown_restored_on_a_stale_boot_clock()
    {
        // No press after the boot: the restart itself stands in for the alert the supervisors did
        // not see, and it happened at real 10:20, not at the 09:40 the boot clock read.
        var (restored, _) = LockdownThenStaleBoot();
        var first = Decide(restored, new OfficeCommandInput(AllClearSigned("sup-1", Ten.AddMinutes(18))), M(155, Real(155)));
        var second = Decide(first.State, new OfficeCommandInput(AllClearSigned("sup-2", Ten.AddMinutes(19))), M(156, Real(156)));

        Assert.DoesNotContain(second.Events, e => e is LockdownCleared);
        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
    }

    [Fact]
    public void A_press_stamped_by_a_fast_clock_refuses_all_clears_signed_before_that_stamp_after_the_clock_is_stepped_back()
    {
        // The clock runs 5 min fast: panic-a at real 10:00 is stamped 10:05. NTP steps it back at
        // monotonic 30 s. All-clears signed at real 10:02 and 10:03 are after the press, but the
        // gateway cannot tell the press was not at 10:05: it keeps the later of the two readings.
        var fast = TimeSpan.FromMinutes(5);
        var quiet = SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, M(0, Ten + fast));
        var pressed = Decide(Decide(quiet, new PointChanged("panic-a", true), M(1, Ten.AddSeconds(1) + fast)).State,
            new PointChanged("panic-a", false), M(2, Ten.AddSeconds(2) + fast)).State;
        var at = Ten.AddMinutes(4);
        var first = Decide(pressed, new OfficeCommandInput(AllClearSigned("sup-1", Ten.AddMinutes(2))), M(241, at));
        var second = Decide(first.State, new OfficeCommandInput(AllClearSigned("sup-2", Ten.AddMinutes(3))), M(242, at.AddSeconds(1)));

        Assert.Equal(SiteMode.Lockdown, second.State.Mode);
    }

    [Fact]
    public void Acknowledging_the_pre_cut_start_does_not_silence_the_siren_of_a_press_on_a_stale_boot_clock()
    {
        // The press reads 09:41:30, before the pre-cut start's 10:00; the journal holds the press
        // after the start, so the host looks the start up as not the latest alert.
        var (pressed, press, start) = StaleBootThenPress();
        Assert.True(press.At < start.At);

        var ack = Decide(pressed, Acknowledgement(Journaled(start, latest: false)), M(155, Real(155)));

        Assert.False(Assert.IsType<AlarmAcknowledged>(ack.Events[0]).SirenSilenced);
        Assert.True(ack.State.SirenSounding);
        var latest = Decide(pressed, Acknowledgement(Journaled(press, latest: true)), M(155, Real(155)));
        Assert.False(latest.State.SirenSounding);
    }

    [Fact]
    public void Acknowledging_an_older_press_after_the_clock_stepped_back_does_not_silence_the_siren_a_newer_press_restarted()
    {
        // panic-a at 10:00 by a clock 5 min fast; the siren times out; NTP steps the clock back;
        // panic-b (another guard) at monotonic 100 s reads 09:56:40, before panic-a's stamp.
        var fast = TimeSpan.FromMinutes(5);
        DateTimeOffset Corrected(double s) => Ten.AddSeconds(s) - fast;
        var quiet = SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, M(0, Ten));
        var first = Decide(quiet, new PointChanged("panic-a", true), M(1, Ten));
        var silent = Decide(first.State, TimerTick.Instance, M(1 + TestSite.Siren.TotalSeconds, Ten.AddSeconds(TestSite.Siren.TotalSeconds))).State;
        Assert.False(silent.SirenSounding);
        var again = Decide(silent, new PointChanged("panic-b", true), M(100, Corrected(100)));
        var start = (LockdownStarted)first.Events.Single(e => e is LockdownStarted);
        var retrigger = (LockdownRetriggered)again.Events.Single(e => e is LockdownRetriggered);
        Assert.True(retrigger.At < start.At);

        var older = Decide(again.State, Acknowledgement(Journaled(start, latest: false)), M(101, Corrected(101)));
        var latest = Decide(again.State, Acknowledgement(Journaled(retrigger, latest: true)), M(101, Corrected(101)));

        Assert.False(Assert.IsType<AlarmAcknowledged>(older.Events[0]).SirenSilenced);
        Assert.True(older.State.SirenSounding);
        Assert.True(Assert.IsType<AlarmAcknowledged>(latest.Events[0]).SirenSilenced);
        Assert.False(latest.State.SirenSounding);
    }

    [Fact]
    public void After_a_restart_acknowledging_the_latest_press_stamped_by_a_stale_boot_clock_before_the_start_silences_the_siren()
    {
        // The press reads 09:41:30, before the start's 10:00. The gateway restarts at real 10:25
        // (a watchdog, a power blip), its clock set by now: the siren sounds again for the press,
        // the latest alert by the journal's order, which is what the office acknowledges.
        var (pressed, press, start) = StaleBootThenPress();
        Assert.True(press.At < start.At);
        var again = SiteState.Restore(Site, pressed.Safety, pressed.Points, M(3, Real(305)));
        again = Decide(again, InputsSettled.Instance, M(3.1, Real(305.1))).State;
        Assert.True(again.SirenSounding);

        var older = Decide(again, Acknowledgement(Journaled(start, latest: false)), M(10, Real(312)));
        var latest = Decide(again, Acknowledgement(Journaled(press, latest: true)), M(10, Real(312)));

        Assert.False(Assert.IsType<AlarmAcknowledged>(older.Events[0]).SirenSilenced);
        Assert.True(older.State.SirenSounding);
        Assert.True(Assert.IsType<AlarmAcknowledged>(latest.Events[0]).SirenSilenced);
        Assert.False(latest.State.SirenSounding);
        Assert.Equal(SiteMode.Lockdown, latest.State.Mode);
    }
}
