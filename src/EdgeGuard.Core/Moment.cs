namespace EdgeGuard.Core;

/// <summary>
/// A point in time as the controller sees it: <see cref="Monotonic"/> for durations (debounce,
/// siren time) so a wall-clock jump cannot shorten or stretch them, <see cref="Utc"/> for reporting.
/// </summary>
public readonly record struct Moment(TimeSpan Monotonic, DateTimeOffset Utc)
{
    /// <summary>Reads both clocks of a <see cref="TimeProvider"/>.</summary>
    public static Moment From(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return new(MonotonicOf(time, time.GetTimestamp()), time.GetUtcNow());
    }

    /// <summary>Converts a raw <see cref="TimeProvider.GetTimestamp"/> value to a monotonic time span.</summary>
    public static TimeSpan MonotonicOf(TimeProvider time, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(time);
        return TimeSpan.FromSeconds(timestamp / (double)time.TimestampFrequency);
    }

    /// <summary>This moment moved on by <paramref name="by"/> on both clocks.</summary>
    public Moment Add(TimeSpan by) => new(Monotonic + by, Utc + by);
}
