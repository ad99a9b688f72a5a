using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Reports;

namespace EdgeGuard.Bench.Micro;

/// <summary>
/// Mean, spread and percentiles (P50, P95, P100 = worst iteration) plus allocations. BenchmarkDotNet
/// percentiles are over iteration means, not single operations; per-operation percentiles (the
/// p99 the target names) come from the <c>--latency</c> mode.
/// </summary>
public sealed class HotPathConfig : ManualConfig
{
    public HotPathConfig()
    {
        AddColumn(StatisticColumn.Mean, StatisticColumn.StdDev, StatisticColumn.P50, StatisticColumn.P95, StatisticColumn.P100);
        AddDiagnoser(MemoryDiagnoser.Default);
        WithSummaryStyle(SummaryStyle.Default.WithMaxParameterColumnWidth(40));
    }
}
