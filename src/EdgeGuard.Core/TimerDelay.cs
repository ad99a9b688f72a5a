namespace EdgeGuard.Core;

/// <summary>
/// Delays for .NET timers, which count whole milliseconds and drop the rest: a wait of 0.4 ms
/// becomes 0 ms and fires at once (<see cref="Task.WaitAsync(TimeSpan, TimeProvider)"/> returns it
/// already timed out). A loop that waits until something is due and wakes to find it not due yet
/// then spins until the deadline has passed (the publisher did, up to 20 times per event:
/// docs/PERFORMANCE.md). Rounded up, one wait is enough.
/// </summary>
public static class TimerDelay
{
    /// <summary>
    /// The delay for a timer that should fire once <paramref name="left"/> has passed: rounded up
    /// to whole milliseconds; zero (at once) when nothing is left. <see cref="Timeout.InfiniteTimeSpan"/>
    /// (never) is returned as it is, not taken for a deadline already past.
    /// </summary>
    public static TimeSpan Until(TimeSpan left) =>
        left == Timeout.InfiniteTimeSpan ? left
        : left <= TimeSpan.Zero ? TimeSpan.Zero
        : TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds));
}
