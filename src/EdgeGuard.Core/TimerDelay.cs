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
    /// to whole milliseconds; zero (at once) when nothing is left. Every negative value is a
    /// deadline already past, −1 ms too, although that is <see cref="Timeout.InfiniteTimeSpan"/>'s
    /// value: taken for "never", a deadline exactly 1 ms overdue would never fire. A caller with no
    /// deadline passes <see cref="Timeout.InfiniteTimeSpan"/> to its timer itself.
    /// </summary>
    public static TimeSpan Until(TimeSpan left) =>
        left <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds));
}
