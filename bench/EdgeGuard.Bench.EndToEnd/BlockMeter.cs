using System.Runtime;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>
/// What one block of latency samples cost the process, measured around it: bytes allocated,
/// thread-pool work items, JIT time and, outside those counts, the context switches and CPU time of
/// the threads that carry a sample (<see cref="ContextSwitches"/>). The heap is collected first, so
/// a garbage collection during a block is paid for by what that block allocated.
/// </summary>
internal readonly record struct BlockMeter(
    int BrokerPid, Dictionary<(string Counter, string Thread), long> Switches, long Allocated, long WorkItems, TimeSpan Jit)
{
    /// <summary>Rounds of <see cref="WarmUpCalls"/> meters at most in <see cref="WarmUpAsync"/>.</summary>
    private const int MaxWarmUpRounds = 20;

    /// <summary>Meters per warm-up round: past the JIT's call count (30) for each tier.</summary>
    private const int WarmUpCalls = 40;

    /// <summary>Starts measuring a block.</summary>
    public static BlockMeter Start(int brokerPid)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var switches = ContextSwitches.Read(brokerPid);
        return new BlockMeter(
            brokerPid, switches, GC.GetTotalAllocatedBytes(precise: true), ThreadPool.CompletedWorkItemCount, JitInfo.GetCompilationTime());
    }

    /// <summary>Ends the block of <paramref name="samples"/> samples (warm-up included) and adds what it cost to its row's totals.</summary>
    public void Stop(int samples, SampleCost cost, ContextSwitches switches)
    {
        ArgumentNullException.ThrowIfNull(cost);
        ArgumentNullException.ThrowIfNull(switches);
        cost.Add(samples, GC.GetTotalAllocatedBytes(precise: true) - Allocated, ThreadPool.CompletedWorkItemCount - WorkItems, JitInfo.GetCompilationTime() - Jit);
        switches.Add(samples, Switches, ContextSwitches.Read(BrokerPid));
    }

    /// <summary>
    /// Runs the meter itself untimed until a round of it compiles nothing: it is called twice a
    /// block, so its code (and the runtime's file and dictionary code under it) would otherwise reach
    /// each JIT tier in the middle of the timed blocks. The pause lets the JIT's background
    /// tiering (after 100 ms without new methods) run between rounds.
    /// </summary>
    public static async Task WarmUpAsync(int brokerPid)
    {
        for (var round = 0; round < MaxWarmUpRounds; round++)
        {
            var compiled = JitInfo.GetCompiledMethodCount();
            for (var i = 0; i < WarmUpCalls; i++)
            {
                Start(brokerPid).Stop(1, new SampleCost(), new ContextSwitches());
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
            if (JitInfo.GetCompiledMethodCount() == compiled)
            {
                return;
            }
        }
    }
}

/// <summary>
/// Bytes allocated, thread-pool work items run and time spent compiling (JIT), process-wide (the
/// subscriber's share is the same in both rows), over a row's blocks, warm-up samples included.
/// </summary>
internal sealed class SampleCost
{
    private long _samples;
    private long _bytes;
    private long _workItems;
    private TimeSpan _jit;

    /// <summary>Bytes the whole process allocated, per sample.</summary>
    public double BytesPerSample => _samples == 0 ? 0 : _bytes / (double)_samples;

    /// <summary>Thread-pool work items the whole process ran, per sample.</summary>
    public double WorkItemsPerSample => _samples == 0 ? 0 : _workItems / (double)_samples;

    /// <summary>Time the JIT spent compiling during the row's blocks, on any thread.</summary>
    public TimeSpan Jit => _jit;

    /// <summary>Adds one block: its samples (warm-up included) and what they cost.</summary>
    public void Add(int samples, long bytes, long workItems, TimeSpan jit)
    {
        _samples += samples;
        _bytes += bytes;
        _workItems += workItems;
        _jit += jit;
    }
}
