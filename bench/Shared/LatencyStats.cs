using System.Diagnostics;
using System.Globalization;

namespace EdgeGuard.Bench;

/// <summary>Percentiles of a set of latencies given in <see cref="Stopwatch"/> ticks.</summary>
internal sealed class LatencyStats
{
    private readonly double[] _microseconds;

    public LatencyStats(IEnumerable<long> ticks)
    {
        ArgumentNullException.ThrowIfNull(ticks);
        _microseconds = [.. ticks.Select(t => t * 1_000_000.0 / Stopwatch.Frequency).Order()];
        if (_microseconds.Length == 0)
        {
            throw new ArgumentException("No samples.", nameof(ticks));
        }
    }

    public int Count => _microseconds.Length;

    public double Mean => _microseconds.Average();

    public double Max => _microseconds[^1];

    /// <summary>Nearest-rank percentile: the smallest sample with at least <paramref name="p"/>% at or below it.</summary>
    public double Percentile(double p)
    {
        var rank = (int)Math.Ceiling(p / 100.0 * _microseconds.Length);
        return _microseconds[Math.Clamp(rank - 1, 0, _microseconds.Length - 1)];
    }

    public double P50 => Percentile(50);

    public double P99 => Percentile(99);

    /// <summary>Microseconds below 10 ms, milliseconds above, for tables.</summary>
    public static string Format(double microseconds) => microseconds < 10_000
        ? microseconds.ToString("0.0", CultureInfo.InvariantCulture) + " µs"
        : (microseconds / 1000).ToString("0.00", CultureInfo.InvariantCulture) + " ms";
}
