using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// An arming window's occurrence is one continuous span between two instants: it opens at the
/// first instant its start time is reached in site-local time and closes at the first instant its
/// end time is, so the hour the clocks go back does not reopen it (and judge a cut fence a second
/// time), and the hour they skip does not skip it. Real tz database zone: Europe/Berlin, which on
/// 2026-10-25 goes from 03:00 CEST back to 02:00 CET (01:00 UTC) and on 2026-03-29 from 02:00 CET
/// to 03:00 CEST (01:00 UTC).
/// </summary>
public sealed class ArmingWindowDaylightSavingTests
{
    private static readonly TimeZoneInfo Berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");

    private static readonly ArmingWindow SaturdayNight = new(["a"], [DayOfWeek.Saturday], new TimeOnly(22, 0), new TimeOnly(2, 30));
    private static readonly ArmingWindow SundayEarly = new(["a"], [DayOfWeek.Sunday], new TimeOnly(2, 15), new TimeOnly(4, 0));
    private static readonly ArmingWindow SundayFromHalfTwo = new(["a"], [DayOfWeek.Sunday], new TimeOnly(2, 30), new TimeOnly(5, 0));

    private static DateTimeOffset Utc(int month, int day, int hour, int minute) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 29, true)]    // 02:29 CEST
    [InlineData(0, 30, false)]   // 02:30 CEST: closed
    [InlineData(1, 5, false)]    // 02:05 CET: the same local time again, and closed
    [InlineData(1, 29, false)]   // 02:29 CET
    public void A_window_closing_in_the_repeated_hour_closes_the_first_time_and_stays_closed(int hour, int minute, bool open)
    {
        Assert.Equal(open, SaturdayNight.IsOpen(Utc(10, 25, hour, minute), Berlin));
    }

    [Theory]
    [InlineData(0, 14, false)]   // 02:14 CEST
    [InlineData(0, 15, true)]    // 02:15 CEST: opens
    [InlineData(1, 0, true)]     // 02:00 CET: the local clock went back before 02:15, still open
    [InlineData(1, 10, true)]    // 02:10 CET
    [InlineData(2, 59, true)]    // 03:59 CET
    [InlineData(3, 0, false)]    // 04:00 CET
    public void A_window_opening_in_the_repeated_hour_stays_open_through_the_second_pass(int hour, int minute, bool open)
    {
        Assert.Equal(open, SundayEarly.IsOpen(Utc(10, 25, hour, minute), Berlin));
    }

    [Theory]
    [InlineData(0, 59, false)]   // 01:59 CET
    [InlineData(1, 0, true)]     // 03:00 CEST: 02:30 does not exist that night; opens as it is passed
    [InlineData(2, 59, true)]    // 04:59 CEST
    [InlineData(3, 0, false)]    // 05:00 CEST
    public void A_window_starting_in_the_skipped_hour_opens_when_the_clocks_jump_past_its_start(int hour, int minute, bool open)
    {
        Assert.Equal(open, SundayFromHalfTwo.IsOpen(Utc(3, 29, hour, minute), Berlin));
    }

    [Fact]
    public void The_wait_for_a_window_is_real_time_across_a_daylight_saving_change()
    {
        // Saturday 23:00 CET to 03:00 CEST (02:30 skipped): three real hours, not the three and a
        // half the local clock shows from 23:00 to 02:30.
        Assert.Equal(TimeSpan.FromHours(3), SundayFromHalfTwo.UntilOpens(Utc(3, 28, 22, 0), Berlin));
        // Saturday 23:00 CEST to 02:15 CEST, before the clocks go back.
        Assert.Equal(TimeSpan.FromMinutes(195), SundayEarly.UntilOpens(Utc(10, 24, 21, 0), Berlin));
    }

    private static SiteDefinition BerlinSite(ArmingWindow window)
    {
        var site = PerimeterArmingTests.Evenings;
        return site with
        {
            TimeZone = Berlin,
            ThreatLevels = [site.ThreatLevels[0] with { BreachStartsLockdown = true, Schedule = [window] }, site.ThreatLevels[1]],
        };
    }

    private static Moment M(double monotonicSeconds, DateTimeOffset utc) => new(TimeSpan.FromSeconds(monotonicSeconds), utc);

    // Monotonic seconds since Saturday 2026-10-24 21:00 UTC, so the two clocks agree.
    private static Moment Autumn(int day, int hour, int minute)
    {
        var utc = Utc(10, day, hour, minute);
        return M((utc - Utc(10, 24, 21, 0)).TotalSeconds, utc);
    }

    [Fact]
    public void A_window_closing_inside_the_repeated_hour_does_not_reopen_and_judge_a_cut_fence_again()
    {
        var site = BerlinSite(SaturdayNight);
        var quiet = SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, Autumn(24, 21, 0));
        quiet = SiteDecider.Decide(site, quiet, InputsSettled.Instance, Autumn(24, 21, 0)).State;

        // Cut at 23:01 CEST in the open window: breach and lockdown; the office clears it, the fence stays cut.
        var cut = SiteDecider.Decide(site, quiet, new PointChanged("fence-a", true), Autumn(24, 21, 1));
        Assert.Single(cut.Events.OfType<PerimeterBreach>());
        var cleared = cut.State with { Mode = SiteMode.Normal, Lockdown = null, SirenUntil = null };

        var closed = SiteDecider.Decide(site, cleared, TimerTick.Instance, Autumn(25, 0, 40)); // 02:40 CEST
        Assert.DoesNotContain("a", closed.State.ArmedZones!);
        var again = SiteDecider.Decide(site, closed.State, TimerTick.Instance, Autumn(25, 1, 5)); // 02:05 CET

        Assert.DoesNotContain(again.Events, e => e is PerimeterBreach);
        Assert.Equal(SiteMode.Normal, again.State.Mode);
    }

    [Fact]
    public void A_window_starting_in_the_skipped_hour_judges_a_cut_fence_when_the_clocks_jump_past_its_start()
    {
        var site = BerlinSite(SundayFromHalfTwo);
        var start = Utc(3, 28, 22, 0); // Saturday 23:00 CET
        Moment Spring(int hour, int minute) => M((Utc(3, 29, hour, minute) - start).TotalSeconds, Utc(3, 29, hour, minute));
        var quiet = SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, M(0, start));
        var cut = SiteDecider.Decide(site, quiet, new PointChanged("fence-a", true), M(60, start.AddMinutes(1)));
        Assert.DoesNotContain(cut.Events, e => e is PerimeterBreach);
        // The tick the opening needs is due as the clocks jump (01:59 CET, a minute before 03:00 CEST).
        Assert.Equal(Spring(1, 0).Monotonic, SiteDecider.NextDeadline(site, cut.State, Spring(0, 59)));

        var opened = SiteDecider.Decide(site, cut.State, TimerTick.Instance, Spring(1, 0)); // 03:00 CEST

        Assert.Single(opened.Events.OfType<PerimeterBreach>());
        Assert.Equal(SiteMode.Lockdown, opened.State.Mode);
    }
}
