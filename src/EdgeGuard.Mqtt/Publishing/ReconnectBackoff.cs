namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// Exponential backoff with jitter for reconnects and refused publishes: the ceiling doubles per
/// failure from twice the minimum up to the maximum, and the actual delay is drawn from the upper
/// half of the ceiling, so gateways that lost the broker together do not return in lock-step. The
/// first retry too: it is drawn from [min, 2 × min], not pinned at min, because after a broker
/// restart every gateway of the mission retries for the first time at once.
/// </summary>
public static class ReconnectBackoff
{
    /// <summary>The delay before retry number <paramref name="failures"/> (0 = first retry).</summary>
    /// <param name="failures">Consecutive failures so far.</param>
    /// <param name="min">Smallest delay.</param>
    /// <param name="max">Largest delay.</param>
    /// <param name="random01">A random number in [0, 1), e.g. <c>Random.Shared.NextDouble()</c>.</param>
    public static TimeSpan Delay(int failures, TimeSpan min, TimeSpan max, double random01)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(failures);
        if (min <= TimeSpan.Zero || max < min)
        {
            throw new ArgumentOutOfRangeException(nameof(max), $"Need 0 < min ({min}) <= max ({max}).");
        }

        var ceiling = max;
        if (failures < 31)
        {
            var doubled = min.Ticks * (double)(1L << (failures + 1));
            ceiling = doubled >= max.Ticks ? max : TimeSpan.FromTicks((long)doubled);
        }

        var jittered = TimeSpan.FromTicks((long)(ceiling.Ticks * (0.5 + (0.5 * Math.Clamp(random01, 0, 1)))));
        return jittered < min ? min : jittered > max ? max : jittered;
    }
}
