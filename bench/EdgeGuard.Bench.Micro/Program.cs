using System.Globalization;
using BenchmarkDotNet.Running;
using EdgeGuard.Bench.Micro;

// Two modes: BenchmarkDotNet (means, iteration percentiles, allocations) by default, and
// --latency [cycles] for per-operation percentiles of the same path, which is what a p99 target needs.
var latency = Array.IndexOf(args, "--latency");
if (latency >= 0)
{
    var cycles = latency + 1 < args.Length && int.TryParse(args[latency + 1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 100_000;
    return LatencyRun.Run(cycles);
}

BenchmarkSwitcher.FromAssembly(typeof(HotPathBenchmarks).Assembly).Run(args);
return 0;
