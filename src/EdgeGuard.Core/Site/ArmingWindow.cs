namespace EdgeGuard.Core.Site;

/// <summary>
/// A weekly window in which more zones are armed (e.g. the lobby after hours). <see cref="From"/> and
/// <see cref="To"/> are site-local times; a window with <c>From &gt; To</c> runs past midnight, and
/// <see cref="Days"/> are the days it starts on.
/// </summary>
/// <remarks>
/// Each occurrence is one continuous span between two instants (<see cref="IsOpen(DateTimeOffset, TimeZoneInfo)"/>):
/// it opens at the first instant the site-local clock reaches <see cref="From"/> and closes at the
/// first instant it reaches <see cref="To"/>. Testing the local time of day instead reopened a
/// window closing in the hour the clocks go back (02:30 summer time, then 02:00 winter time
/// again), judging a cut fence a second time, and closed one opening in it for the repeated part.
/// A time the clocks skip is reached as they jump past it: a window from 02:30 opens at 03:00
/// that night; one wholly inside the skipped hour is empty that night.
/// </remarks>
/// <param name="Zones">Zones armed while the window is open.</param>
/// <param name="Days">Days of the week the window opens on.</param>
/// <param name="From">Local time it opens.</param>
/// <param name="To">Local time it closes (exclusive).</param>
public sealed record ArmingWindow(IReadOnlyList<string> Zones, IReadOnlyList<DayOfWeek> Days, TimeOnly From, TimeOnly To)
{
    /// <summary>Whether the window is open at <paramref name="at"/> on a site in <paramref name="timeZone"/>.</summary>
    public bool IsOpen(DateTimeOffset at, TimeZoneInfo timeZone) => OpenOccurrence(at, timeZone) is not null;

    /// <summary>
    /// How long after <paramref name="at"/> the occurrence open then closes, in real time, or null
    /// when the window is shut at <paramref name="at"/>.
    /// </summary>
    public TimeSpan? UntilCloses(DateTimeOffset at, TimeZoneInfo timeZone) =>
        OpenOccurrence(at, timeZone) is var (_, closes) ? closes - at : null;

    /// <summary>
    /// When the occurrence open at <paramref name="at"/> opened, or null when the window is shut
    /// then: it names the occurrence, which a clock stepped back out of it opens again.
    /// </summary>
    public DateTimeOffset? OpenedAt(DateTimeOffset at, TimeZoneInfo timeZone) =>
        OpenOccurrence(at, timeZone) is var (opens, _) ? opens : null;

    // The occurrence open at `at`, if any.
    private (DateTimeOffset Opens, DateTimeOffset Closes)? OpenOccurrence(DateTimeOffset at, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        // An occurrence lasts under a day (two at most, a daylight-saving change inside): one
        // starting two local days back is the earliest that can still be open.
        var today = TimeZoneInfo.ConvertTime(at, timeZone).Date;
        for (var day = today.AddDays(-2); day <= today; day = day.AddDays(1))
        {
            if (Days.Contains(day.DayOfWeek) && Occurrence(day, timeZone) is var (opens, closes) && opens <= at && at < closes)
            {
                return (opens, closes);
            }
        }

        return null;
    }

    /// <summary>
    /// Whether the window is open at <paramref name="local"/>, a time in a zone without daylight
    /// saving (UTC): the site's checks go through <see cref="IsOpen(DateTimeOffset, TimeZoneInfo)"/>.
    /// </summary>
    public bool IsOpen(DateTime local) => IsOpen(new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), TimeSpan.Zero), TimeZoneInfo.Utc);

    /// <summary>
    /// How long after <paramref name="at"/> the window next opens, in real time (a daylight-saving
    /// change on the way allowed for), or null when it has no days.
    /// </summary>
    public TimeSpan? UntilOpens(DateTimeOffset at, TimeZoneInfo timeZone)
    {
        ArgumentNullException.ThrowIfNull(timeZone);
        var today = TimeZoneInfo.ConvertTime(at, timeZone).Date;
        for (var day = today.AddDays(-1); day <= today.AddDays(8); day = day.AddDays(1))
        {
            if (Days.Contains(day.DayOfWeek) && Occurrence(day, timeZone) is var (opens, closes) && opens > at && opens < closes)
            {
                return opens - at;
            }
        }

        return null;
    }

    /// <summary>
    /// How long after <paramref name="local"/> the window next opens, for a time in a zone without
    /// daylight saving (UTC), or null when it has no days.
    /// </summary>
    public TimeSpan? UntilOpens(DateTime local) => UntilOpens(new DateTimeOffset(DateTime.SpecifyKind(local, DateTimeKind.Unspecified), TimeSpan.Zero), TimeZoneInfo.Utc);

    // The occurrence starting on local date `day`, as instants; empty (opens == closes) when From
    // equals To, as a window that opens when it closes arms nothing.
    private (DateTimeOffset Opens, DateTimeOffset Closes) Occurrence(DateTime day, TimeZoneInfo timeZone)
    {
        var opens = Reached(day + From.ToTimeSpan(), timeZone);
        var closes = Reached((From < To ? day : day.AddDays(1)) + To.ToTimeSpan(), timeZone);
        return (opens, closes > opens ? closes : opens);
    }

    /// <summary>The first instant the site-local clock reads <paramref name="local"/> or later.</summary>
    internal static DateTimeOffset Reached(DateTime local, TimeZoneInfo timeZone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (timeZone.IsAmbiguousTime(local))
        {
            // Read twice as the clocks go back: the first time, at the larger (summer) offset.
            var offset = timeZone.GetAmbiguousTimeOffsets(local).Max();
            return new DateTimeOffset(local - offset, TimeSpan.Zero);
        }

        if (!timeZone.IsInvalidTime(local))
        {
            return new DateTimeOffset(local - timeZone.GetUtcOffset(local), TimeSpan.Zero);
        }

        // Skipped as the clocks go forward: reached at the jump, the first instant the clock
        // reads past it. The local clock only moves forward between the two candidates (one
        // transition), so a search on the instant finds the jump to the tick.
        var before = timeZone.GetUtcOffset(local.AddHours(-6));
        var after = timeZone.GetUtcOffset(local.AddHours(6));
        var low = (local - (before > after ? before : after)).Ticks;
        var high = (local - (before > after ? after : before)).Ticks;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (TimeZoneInfo.ConvertTime(new DateTimeOffset(middle, TimeSpan.Zero), timeZone).DateTime >= local)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return new DateTimeOffset(high, TimeSpan.Zero);
    }
}
