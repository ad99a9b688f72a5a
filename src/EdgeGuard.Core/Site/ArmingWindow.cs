namespace EdgeGuard.Core.Site;

/// <summary>
/// A weekly window in which more zones are armed (e.g. the lobby after hours). <see cref="From"/> and
/// <see cref="To"/> are site-local times; a window with <c>From &gt; To</c> runs past midnight, and
/// <see cref="Days"/> are the days it starts on.
/// </summary>
/// <param name="Zones">Zones armed while the window is open.</param>
/// <param name="Days">Days of the week the window opens on.</param>
/// <param name="From">Local time it opens.</param>
/// <param name="To">Local time it closes (exclusive).</param>
public sealed record ArmingWindow(IReadOnlyList<string> Zones, IReadOnlyList<DayOfWeek> Days, TimeOnly From, TimeOnly To)
{
    /// <summary>Whether the window is open at <paramref name="local"/> (site-local date and time).</summary>
    public bool IsOpen(DateTime local)
    {
        var time = TimeOnly.FromDateTime(local);
        if (From <= To)
        {
            return Days.Contains(local.DayOfWeek) && time >= From && time < To;
        }

        // Past midnight: the evening part belongs to today, the morning part to the day before.
        return (Days.Contains(local.DayOfWeek) && time >= From)
            || (Days.Contains(local.AddDays(-1).DayOfWeek) && time < To);
    }

    /// <summary>
    /// How long after <paramref name="local"/> the window next opens, counted in site-local time
    /// (a daylight-saving change on the way is not allowed for), or null when it has no days.
    /// </summary>
    public TimeSpan? UntilOpens(DateTime local)
    {
        for (var day = 0; day <= 7; day++)
        {
            var opens = local.Date.AddDays(day) + From.ToTimeSpan();
            if (opens > local && Days.Contains(opens.DayOfWeek))
            {
                return opens - local;
            }
        }

        return null;
    }
}
