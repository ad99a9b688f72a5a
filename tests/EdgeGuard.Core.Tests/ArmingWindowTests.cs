using System.Collections.Immutable;
using CsCheck;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>Perimeter zones armed by a weekly schedule at a threat level.</summary>
public sealed class ArmingWindowTests
{
    // Monday 2026-11-23 is the reference week.
    private static DateTime Local(DayOfWeek day, int hour, int minute = 0) =>
        new DateTime(2026, 11, 23, hour, minute, 0, DateTimeKind.Unspecified).AddDays(((int)day + 6) % 7);

    private static readonly ArmingWindow Nights = new(["lobby"], [DayOfWeek.Monday, DayOfWeek.Friday], new TimeOnly(18, 0), new TimeOnly(7, 0));
    private static readonly ArmingWindow Lunch = new(["lobby"], [DayOfWeek.Wednesday], new TimeOnly(12, 0), new TimeOnly(13, 0));

    [Theory]
    [InlineData(DayOfWeek.Monday, 17, 59, false)]
    [InlineData(DayOfWeek.Monday, 18, 0, true)]
    [InlineData(DayOfWeek.Monday, 23, 59, true)]
    [InlineData(DayOfWeek.Tuesday, 6, 59, true)]   // the morning after a Monday night
    [InlineData(DayOfWeek.Tuesday, 7, 0, false)]
    [InlineData(DayOfWeek.Tuesday, 18, 0, false)]  // Tuesday evening is not a window day
    [InlineData(DayOfWeek.Saturday, 3, 0, true)]   // Friday night runs into Saturday
    [InlineData(DayOfWeek.Monday, 3, 0, false)]    // Sunday night is not listed
    public void A_window_past_midnight_belongs_to_the_day_it_opens(DayOfWeek day, int hour, int minute, bool open)
    {
        Assert.Equal(open, Nights.IsOpen(Local(day, hour, minute)));
    }

    [Fact]
    public void A_daytime_window_is_open_from_its_start_up_to_but_not_including_its_end()
    {
        Gen.Int[0, 7 * 24 * 60 - 1].Sample(minuteOfWeek =>
        {
            var local = Local(DayOfWeek.Monday, 0).AddMinutes(minuteOfWeek);
            var expected = local.DayOfWeek == DayOfWeek.Wednesday && local.Hour == 12;
            Assert.Equal(expected, Lunch.IsOpen(local));
        }, iter: 2_000);
    }

    [Theory]
    [InlineData(DayOfWeek.Monday, 17, 30, 30)]                 // opens this evening
    [InlineData(DayOfWeek.Monday, 18, 0, 4 * 24 * 60)]         // open now: next on Friday
    [InlineData(DayOfWeek.Saturday, 3, 0, 2 * 24 * 60 + 15 * 60)] // inside Friday's night: Monday
    public void A_window_tells_how_long_until_it_next_opens(DayOfWeek day, int hour, int minute, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), Nights.UntilOpens(Local(day, hour, minute)));
    }

    [Fact]
    public void A_breach_in_a_scheduled_zone_is_raised_only_while_its_window_is_open_in_site_local_time()
    {
        var berlin = TimeZoneInfo.FindSystemTimeZoneById("Europe/Berlin");
        var site = TestSite.Create() with { TimeZone = berlin };
        site = site with
        {
            ThreatLevels = [new ThreatLevelDefinition(1, "normal", [], false, null, []) { Schedule = [new(["c"], [DayOfWeek.Monday], new TimeOnly(18, 0), new TimeOnly(7, 0))] }],
        };
        var quiet = SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));
        // 2026-11-23 is a Monday; Berlin is UTC+1 in November: 17:30 UTC is 18:30 local, 16:30 UTC is 17:30.
        var evening = new Moment(TimeSpan.FromHours(1), new DateTimeOffset(2026, 11, 23, 17, 30, 0, TimeSpan.Zero));
        var afternoon = new Moment(TimeSpan.FromHours(1), new DateTimeOffset(2026, 11, 23, 16, 30, 0, TimeSpan.Zero));

        Assert.Contains(SiteDecider.Decide(site, quiet, new PointChanged("fence-c", true), evening).Events, e => e is PerimeterBreach);
        Assert.DoesNotContain(SiteDecider.Decide(site, quiet, new PointChanged("fence-c", true), afternoon).Events, e => e is PerimeterBreach);
    }
}
