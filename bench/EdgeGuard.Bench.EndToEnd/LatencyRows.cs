using System.Diagnostics;
using System.Globalization;
using System.Runtime;

namespace EdgeGuard.Bench.EndToEnd;

// The two latency rows are measured in alternating blocks rather than one after the other: this
// machine's host is noisy for seconds at a time, and rows measured seconds apart saw different
// hosts (bare p50 ranged 102–264 µs between runs of the same code). Fair to both rows:
// - a block of gateway samples keeps the gateway's own shape: each sample 1 ms after the previous
//   PUBACK, its commit possibly still running, its state refreshes due when they are;
// - before a block of bare samples the gateway finishes all of that (PUBACKs, commits, the
//   coalesced state refreshes of up to StateRefreshInterval), so the bare row never pays for it;
// - before every block the heap is collected, so a garbage collection during a block is paid for
//   by what that block allocated, not by the other row's debt;
// - the first samples of each block are untimed: the other row has just run through the caches,
//   and in one-after-the-other passes only the first few samples of a whole run paid for that;
// - the timed blocks start once the JIT has gone quiet (WarmUntilJitQuietAsync), so neither row
//   shares its two cores with the compiler, and the JIT time left in each row's blocks is reported.
// Each block also counts (BlockMeter) what the process allocated and how many thread-pool work
// items it ran, per sample (SampleCost): wake-ups and garbage are what cold caches are made of, and
// a publisher that spun before each refresh (docs/PERFORMANCE.md) showed there first. And the
// context switches of the threads that carry a sample, Mosquitto's included (ContextSwitches), read
// outside the allocation count: on this machine's VM each wake-up is dearer than the work around
// it. The gateway's trailing work that QuietAsync waits out before a bare block is outside every
// block, so in neither row.
internal static class LatencyRows
{
    /// <summary>Timed samples per block: short enough that host noise (seconds) hits both rows alike.</summary>
    public const int Block = 100;

    /// <summary>Untimed samples at the start of each block.</summary>
    public const int WarmUp = 3;

    /// <summary>At most this many untimed rounds (a block of each row) before the timed blocks.</summary>
    public const int MaxJitRounds = 30;

    /// <summary>
    /// Untimed rounds of a block of each row, each measured as the timed blocks will be, until one
    /// round compiles no method; returns how many rounds that took (<see cref="MaxJitRounds"/> at
    /// most). A fixed warm-up left the JIT compiling through the timed blocks, on two cores shared
    /// with both rows' threads and the broker: in one run 85, 42 and 17 ms in the first three
    /// gateway blocks (the gateway's path tiering up), and later, every 15 blocks or so, the harness's
    /// own per-block measuring (<see cref="BlockMeter"/>) reaching its next tier. A gateway in the
    /// field has compiled its path long before the event that matters.
    /// </summary>
    public static async Task<(int Rounds, bool Quiet)> WarmUntilJitQuietAsync(BareMqtt bare, TimedSubscriber subscriber, GatewayRuns runs, int brokerPid)
    {
        await BlockMeter.WarmUpAsync(brokerPid);
        for (var round = 1; round <= MaxJitRounds; round++)
        {
            var compiled = JitInfo.GetCompiledMethodCount();
            await UntimedBlockAsync(bareTurn: true, bare, subscriber, runs, brokerPid);
            await UntimedBlockAsync(bareTurn: false, bare, subscriber, runs, brokerPid);

            if (JitInfo.GetCompiledMethodCount() == compiled)
            {
                return (round, true);
            }
        }

        return (MaxJitRounds, false);
    }

    // One block of a row, measured and run as a timed one would be, its figures dropped.
    private static async Task UntimedBlockAsync(bool bareTurn, BareMqtt bare, TimedSubscriber subscriber, GatewayRuns runs, int brokerPid)
    {
        if (bareTurn)
        {
            await runs.QuietAsync();
        }

        var meter = BlockMeter.Start(brokerPid);
        for (var i = 0; i < Block; i++)
        {
            _ = bareTurn ? await bare.SampleAsync(subscriber) : await runs.SampleAsync();
        }

        meter.Stop(Block, new SampleCost(), new ContextSwitches());
    }

    /// <summary>
    /// <paramref name="samples"/> timed ping-pong samples of each row, in alternating blocks of
    /// <see cref="Block"/>; <paramref name="brokerPid"/> is Mosquitto's, whose switches are counted too.
    /// Each timed sample also goes to <paramref name="sampleLog"/> when given: "bare" or "gateway",
    /// its start (stamped just before the sample's own) and its latency, in ns of CLOCK_MONOTONIC.
    /// </summary>
    public static async Task<InterleavedRows> InterleavedAsync(BareMqtt bare, TimedSubscriber subscriber, GatewayRuns runs, int samples, int brokerPid, TextWriter? sampleLog)
    {
        var bareLatency = new List<long>(samples);
        var gatewayLatency = new List<long>(samples);
        var bareCost = new SampleCost();
        var gatewayCost = new SampleCost();
        var bareSwitches = new ContextSwitches();
        var gatewaySwitches = new ContextSwitches();
        for (var block = 0; bareLatency.Count < samples; block++)
        {
            var size = Math.Min(Block, samples - bareLatency.Count);
            // Alternate which row goes first, so neither always follows the other.
            for (var turn = 0; turn < 2; turn++)
            {
                var bareTurn = (block + turn) % 2 == 0;
                if (bareTurn)
                {
                    await runs.QuietAsync();
                }

                var into = bareTurn ? bareLatency : gatewayLatency;
                var meter = BlockMeter.Start(brokerPid);
                for (var i = -WarmUp; i < size; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    var latency = bareTurn ? await bare.SampleAsync(subscriber) : await runs.SampleAsync();
                    if (i >= 0)
                    {
                        into.Add(latency);
                        sampleLog?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(bareTurn ? "bare" : "gateway")} {Nanoseconds(started)} {Nanoseconds(latency)}"));
                    }
                }

                meter.Stop(WarmUp + size, bareTurn ? bareCost : gatewayCost, bareTurn ? bareSwitches : gatewaySwitches);
            }
        }

        return new InterleavedRows(bareLatency, gatewayLatency, bareCost, gatewayCost, bareSwitches, gatewaySwitches);
    }

    // Stopwatch ticks are ns of CLOCK_MONOTONIC on Linux, the clock `perf record -k CLOCK_MONOTONIC` uses.
    private static long Nanoseconds(long ticks) => (long)(ticks * (1e9 / Stopwatch.Frequency));
}

/// <summary>Both latency rows, what each cost the process per sample, and where its threads switched.</summary>
internal sealed record InterleavedRows(
    List<long> Bare, List<long> Gateway, SampleCost BareCost, SampleCost GatewayCost, ContextSwitches BareSwitches, ContextSwitches GatewaySwitches);
