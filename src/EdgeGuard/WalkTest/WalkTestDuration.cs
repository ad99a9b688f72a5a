using System.Globalization;

namespace EdgeGuard.WalkTest;

/// <summary>
/// How long a walk test may run. The site is unprotected while it runs, so it always ends by itself:
/// after <c>--duration</c>, or after <see cref="Default"/> when none was given (a technician who walked
/// away must not leave the gateway stopped for good), and never later than <see cref="Max"/>.
/// </summary>
internal static class WalkTestDuration
{
    /// <summary>Without <c>--duration</c>: a working morning's walk of a large site.</summary>
    public static readonly TimeSpan Default = TimeSpan.FromHours(4);

    /// <summary>The longest <c>--duration</c>: a day; a longer one is surely a typo.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromHours(24);

    /// <summary>Whether <paramref name="duration"/> may be a walk test's length.</summary>
    public static bool Allowed(TimeSpan duration) => duration > TimeSpan.Zero && duration <= Max;

    /// <summary>As the technician types it: <c>4h</c>, <c>90m</c>, <c>45s</c>, <c>1.5s</c>.</summary>
    public static string Format(TimeSpan duration) =>
        duration.Ticks % TimeSpan.TicksPerHour == 0 ? string.Create(CultureInfo.InvariantCulture, $"{(long)duration.TotalHours}h")
        : duration.Ticks % TimeSpan.TicksPerMinute == 0 ? string.Create(CultureInfo.InvariantCulture, $"{(long)duration.TotalMinutes}m")
        : string.Create(CultureInfo.InvariantCulture, $"{duration.TotalSeconds:0.###}s");
}
