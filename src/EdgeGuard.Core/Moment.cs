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
    /// <remarks>
    /// In whole ticks, never through a double: a double of a large timestamp (a fake clock's, in
    /// ticks since year 1) is off by up to tens of ticks, differently for two timestamps 25 ms
    /// apart, so a debounce deadline could read as not yet reached when it was, depending on the
    /// moment.
    /// </remarks>
    public static TimeSpan MonotonicOf(TimeProvider time, long timestamp)
    {
        ArgumentNullException.ThrowIfNull(time);
        var frequency = time.TimestampFrequency;
        return frequency == TimeSpan.TicksPerSecond
            ? new TimeSpan(timestamp)
            : new TimeSpan(checked((timestamp / frequency * TimeSpan.TicksPerSecond) + (timestamp % frequency * TimeSpan.TicksPerSecond / frequency)));
    }

    /// <summary>This moment moved on by <paramref name="by"/> on both clocks.</summary>
    public Moment Add(TimeSpan by) => new(Monotonic + by, Utc + by);
}
