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
//   and in one-after-the-other passes only the first few samples of a whole run paid for that.
internal static class LatencyRows
{
    /// <summary>Timed samples per block: short enough that host noise (seconds) hits both rows alike.</summary>
    public const int Block = 100;

    /// <summary>Untimed samples at the start of each block.</summary>
    public const int WarmUp = 3;

    /// <summary><paramref name="samples"/> timed ping-pong samples of each row, in alternating blocks of <see cref="Block"/>.</summary>
    public static async Task<(List<long> Bare, List<long> Gateway)> InterleavedAsync(BareMqtt bare, TimedSubscriber subscriber, GatewayRuns runs, int samples)
    {
        var bareLatency = new List<long>(samples);
        var gatewayLatency = new List<long>(samples);
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

                GC.Collect();
                GC.WaitForPendingFinalizers();
                var into = bareTurn ? bareLatency : gatewayLatency;
                for (var i = -WarmUp; i < size; i++)
                {
                    var latency = bareTurn ? await bare.SampleAsync(subscriber) : await runs.SampleAsync();
                    if (i >= 0)
                    {
                        into.Add(latency);
                    }
                }
            }
        }

        return (bareLatency, gatewayLatency);
    }
}
