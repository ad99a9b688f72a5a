using System.Diagnostics;
using System.Globalization;
using EdgeGuard.Testing;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>
/// The DESIGN.md target "broker outage of 1,000,000 events: all delivered in order after it
/// returns, none lost" (<c>--outage N</c>). The office's client holds a persistent session on a
/// Mosquitto with persistence; the broker is stopped (SIGTERM, as a restart or an upgrade of the
/// office's broker does), the bench sets N edges on the gateway's door contacts while it is gone,
/// and starts it again on the same port. Every event journaled meanwhile must then reach the
/// office once, in seq order. Reported: how fast the gateway journaled with the link down, what
/// the journal held on disk, the process's memory, how long the gateway took to come back (its
/// reconnect backoff grows to 30 s during a long outage) and to deliver everything.
/// </summary>
/// <param name="runs">The gateway's runs, over a subscriber from <see cref="TimedSubscriber.ConnectPersistentAsync"/>.</param>
internal sealed class OutageRun(GatewayUnderTest gateway, MosquittoBroker broker, GatewayRuns runs)
{
    // Edges set between two looks at the journal: a multiple of the 40 doors (each call of
    // GatewayRuns.OfferEdges paces its own rounds, so a chunk boundary can bring one round early:
    // at 100 rounds a chunk that is at most 909 changes per door per second, under the 1000 the
    // bench's chatter limit allows).
    private const int Chunk = 4_000;

    // Lockdown/clear cycles during the replay for the state/lockdown figure.
    private const int PanicCycles = 3;

    // Edges set but not yet sequenced by the journal, at most. The bench offers up to 36,000
    // edges/s, faster than the writer commits to this disk, and the journal's in-memory queue
    // (262,144) would overflow and drop, rightly counted as a fault. A site's contacts never
    // change that fast; the target is about the outage, not about the input rate.
    private const int MaxBacklog = 50_000;

    /// <summary>Runs the outage with <paramref name="edges"/> door edges and returns its figures.</summary>
    public async Task<OutageResult> RunAsync(int edges)
    {
        var office = runs.Subscriber;
        // Sees state/lockdown only (a separate client, so the million events do not pass through it).
        await using var mode = await TimedSubscriber.ConnectPersistentAsync(broker.Port, "bench-office-mode", [gateway.Publisher.Topics.LockdownState], keepText: true);
        await runs.SettleAsync();
        var journal = gateway.Journal;
        var firstSeq = journal.LastSeq + 1;
        var droppedBefore = journal.Dropped;
        var connectsBefore = gateway.Publisher.Connects;
        var rssBefore = Memory("VmRSS");

        await broker.StopAsync(graceful: true);
        var generating = Stopwatch.GetTimestamp();
        for (var offered = 0; offered < edges;)
        {
            var chunk = Math.Min(Chunk, edges - offered);
            runs.OfferEdges(chunk);
            offered += chunk;
            while (offered - (journal.LastSeq - firstSeq + 1) > MaxBacklog)
            {
                await Task.Delay(5);
            }
        }

        // Edges may still sit in the controller's channel: wait for every one, then for quiet.
        while (journal.LastSeq - firstSeq + 1 < edges && Stopwatch.GetElapsedTime(generating) < TimeSpan.FromMinutes(10))
        {
            await Task.Delay(5);
        }

        await journal.FlushAsync();
        var generated = Stopwatch.GetElapsedTime(generating);
        await Task.Delay(100);
        await journal.FlushAsync();
        var lastSeq = journal.LastSeq;
        var journaled = lastSeq - firstSeq + 1;
        var disk = JournalBytes(gateway.Directory);
        var rssOutage = Memory("VmRSS");
        // What the process holds once garbage is gone: the backlog must be on disk, not in memory.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var heapOutage = GC.GetTotalMemory(forceFullCollection: false);

        await broker.StartAgainAsync();
        var back = Stopwatch.GetTimestamp();
        await office.ReconnectAsync();
        await mode.ReconnectAsync();
        var collect = office.CollectAsync(gateway.EventsTopic, firstSeq, checked((int)journaled), TimeSpan.FromSeconds(90));
        while (gateway.Publisher.Connects == connectsBefore && Stopwatch.GetElapsedTime(back) < TimeSpan.FromSeconds(90))
        {
            await Task.Delay(10);
        }

        var reconnected = Stopwatch.GetElapsedTime(back);
        var panic = await LockdownsDuringReplayAsync(mode, firstSeq + (journaled / 4), lastSeq);
        var check = await collect;
        runs.Saw(check.MaxSeq);
        var delivered = TimeSpan.FromSeconds((double)(check.LastTimestamp - back) / Stopwatch.Frequency);
        return new OutageResult(
            edges, journaled, journal.Dropped - droppedBefore, generated, disk, check, reconnected, delivered,
            panic, rssBefore, rssOutage, heapOutage, Memory("VmHWM"));
    }

    // From a quarter into the replay, a guard presses a panic button and clears the lockdown with
    // the keyswitch, a few times: how long until the office's retained state/lockdown shows each
    // (their events come after the whole backlog, in seq order). Only cycles that ended before
    // the replay did count; the check runs once a second, so each figure falls anywhere up to that.
    private async Task<List<TimeSpan>> LockdownsDuringReplayAsync(TimedSubscriber mode, long from, long lastSeq)
    {
        var shown = new List<TimeSpan>();
        var waiting = Stopwatch.GetTimestamp();
        while (gateway.Publisher.AcknowledgedThrough < from && Stopwatch.GetElapsedTime(waiting) < TimeSpan.FromMinutes(5))
        {
            await Task.Delay(10);
        }

        var panic = gateway.Point(GatewayRuns.Panic);
        var key = gateway.Point(GatewayRuns.Key);
        for (var cycle = 0; cycle < PanicCycles && gateway.Publisher.AcknowledgedThrough < lastSeq; cycle++)
        {
            var locked = await ShownAsync(mode, "lockdown", () => gateway.Set(panic, active: true));
            gateway.Set(panic, active: false);
            var cleared = await ShownAsync(mode, "normal", () => gateway.Set(key, active: true));
            gateway.Set(key, active: false);
            if (locked is null || cleared is null || gateway.Publisher.AcknowledgedThrough >= lastSeq)
            {
                break; // not shown within the wait, or the replay ended meanwhile: not a figure of it
            }

            shown.AddRange([locked.Value, cleared.Value]);
        }

        return shown;
    }

    // Acts, then waits for the first state/lockdown showing the mode; null after 90 s.
    private static async Task<TimeSpan?> ShownAsync(TimedSubscriber mode, string expected, Action act)
    {
        mode.Drain();
        var acted = Stopwatch.GetTimestamp();
        act();
        var wanted = $"\"mode\":\"{expected}\"";
        try
        {
            while (true)
            {
                var arrival = await mode.NextAsync(TimeSpan.FromSeconds(90));
                if (arrival.Text?.Contains(wanted, StringComparison.Ordinal) == true)
                {
                    return TimeSpan.FromSeconds((double)(arrival.Timestamp - acted) / Stopwatch.Frequency);
                }
            }
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    // The journal's files (database, WAL, shared memory) in the gateway's state directory.
    private static long JournalBytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories)
            .Where(f => f.Name.Contains(".db", StringComparison.Ordinal))
            .Sum(f => f.Length);

    // A line of /proc/self/status in bytes (VmRSS now, VmHWM the peak), or -1 off Linux.
    private static long Memory(string field)
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith(field + ":", StringComparison.Ordinal));
            var kib = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            return kib is null ? -1 : long.Parse(kib, CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return -1;
        }
    }
}

/// <summary>What a broker outage did: the journal's side while it lasted, the office's after.</summary>
internal sealed record OutageResult(
    int Edges,
    long Journaled,
    long Dropped,
    TimeSpan Generated,
    long JournalBytes,
    StreamCheck Check,
    TimeSpan Reconnected,
    TimeSpan Delivered,
    IReadOnlyList<TimeSpan> LockdownShown,
    long RssBefore,
    long RssOutage,
    long HeapOutage,
    long RssPeak)
{
    /// <summary>
    /// Every edge journaled as its event and nothing else (a chatter fault would stand for
    /// suppressed edges), nothing dropped, everything received once and in order.
    /// </summary>
    public bool Intact => Dropped == 0 && Journaled == Edges && Check.Intact;

    public void Print(TextWriter o)
    {
        static string Mib(long bytes) => bytes < 0 ? "n/a" : (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
        var drain = Delivered - Reconnected;
        o.WriteLine(Invariant($"Broker outage: {Edges:N0} door edges while Mosquitto was stopped (DESIGN.md: all delivered in order after it returns, none lost)"));
        o.WriteLine();
        o.WriteLine("| what | figure |");
        o.WriteLine("| --- | --- |");
        o.WriteLine(Invariant($"| events journaled with the link down (should be the edges, one each) | {Journaled:N0} in {Generated.TotalSeconds:0.0} s ({Journaled / Generated.TotalSeconds:N0}/s), {Dropped:N0} dropped |"));
        o.WriteLine(Invariant($"| journal files on disk at the end of the outage (door events, the smallest) | {Mib(JournalBytes)} ({(double)JournalBytes / Math.Max(Journaled, 1):0} B per event) |"));
        o.WriteLine(Invariant($"| broker back → gateway connected (reconnect backoff) | {Reconnected.TotalSeconds:0.0} s |"));
        o.WriteLine(Invariant($"| broker back → last event at the office | {Delivered.TotalSeconds:0.0} s ({Check.Received / Math.Max(drain.TotalSeconds, 1e-3):N0} events/s once connected) |"));
        var shown = LockdownShown.Count == 0
            ? "no cycle fitted in the replay"
            : string.Join(", ", LockdownShown.Select(t => Invariant($"{t.TotalMilliseconds:N0}"))) + Invariant($" ms (max {LockdownShown.Max().TotalMilliseconds:N0} ms)");
        o.WriteLine(Invariant($"| during the replay, panic press / keyswitch clear → the office's state/lockdown shows it (check every 1 s; the events follow the backlog) | {shown} |"));
        o.WriteLine(Invariant($"| delivery | {Check.Describe()} |"));
        o.WriteLine(Invariant($"| bench process RSS (gateway, bench, office client): before, end of outage, peak | {Mib(RssBefore)}, {Mib(RssOutage)}, {Mib(RssPeak)} |"));
        o.WriteLine(Invariant($"| managed heap after a full GC at the end of the outage (the backlog is on disk) | {Mib(HeapOutage)} |"));
        o.WriteLine();
        o.WriteLine(Intact ? "Outage: nothing lost, duplicated or reordered." : "Outage: FAILED — events were dropped, lost, duplicated or reordered.");
        o.WriteLine();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
