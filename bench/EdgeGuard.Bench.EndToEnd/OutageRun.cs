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
    // Edges set between two looks at the journal: a multiple of the 40 doors, so that the rounds
    // of consecutive chunks stay aligned under the chatter limit (GatewayRuns.OfferEdges).
    private const int Chunk = 4_000;

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
        await using var mode = await TimedSubscriber.ConnectPersistentAsync(broker.Port, "bench-office-mode", gateway.Publisher.Topics.LockdownState);
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

        await journal.FlushAsync();
        var generated = Stopwatch.GetElapsedTime(generating);
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
        var panic = await PanicDuringReplayAsync(mode, firstSeq + (journaled / 2));
        var check = await collect;
        runs.Saw(check.MaxSeq);
        var delivered = TimeSpan.FromSeconds((double)(check.LastTimestamp - back) / Stopwatch.Frequency);
        return new OutageResult(
            edges, journaled, journal.Dropped - droppedBefore, generated, disk, check, reconnected, delivered,
            panic, rssBefore, rssOutage, heapOutage, Memory("VmHWM"));
    }

    // Halfway through the replay a guard presses a panic button: how long until the office's
    // retained state/lockdown shows it (its events come after the whole backlog, in seq order).
    private async Task<TimeSpan?> PanicDuringReplayAsync(TimedSubscriber mode, long halfway)
    {
        var waiting = Stopwatch.GetTimestamp();
        while (gateway.Publisher.AcknowledgedThrough < halfway)
        {
            if (Stopwatch.GetElapsedTime(waiting) > TimeSpan.FromMinutes(5))
            {
                return null; // the replay stalled; the delivery check reports what arrived
            }

            await Task.Delay(10);
        }

        mode.Drain();
        var pressed = Stopwatch.GetTimestamp();
        gateway.Set(gateway.Point(GatewayRuns.Panic), active: true);
        try
        {
            // The first state/lockdown after the press is the one the press made due.
            var shown = await mode.NextAsync(TimeSpan.FromSeconds(90));
            return TimeSpan.FromSeconds((double)(shown.Timestamp - pressed) / Stopwatch.Frequency);
        }
        catch (TimeoutException)
        {
            return null;
        }
        finally
        {
            gateway.Set(gateway.Point(GatewayRuns.Panic), active: false);
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
    TimeSpan? PanicShown,
    long RssBefore,
    long RssOutage,
    long HeapOutage,
    long RssPeak)
{
    /// <summary>Every edge journaled, nothing dropped, everything received once and in order.</summary>
    public bool Intact => Dropped == 0 && Journaled >= Edges && Check.Intact;

    public void Print(TextWriter o)
    {
        static string Mib(long bytes) => bytes < 0 ? "n/a" : (bytes / 1024.0 / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
        var drain = Delivered - Reconnected;
        o.WriteLine(Invariant($"Broker outage: {Edges:N0} door edges while Mosquitto was stopped (DESIGN.md: all delivered in order after it returns, none lost)"));
        o.WriteLine();
        o.WriteLine("| what | figure |");
        o.WriteLine("| --- | --- |");
        o.WriteLine(Invariant($"| events journaled with the link down (edges + the gateway's own) | {Journaled:N0} in {Generated.TotalSeconds:0.0} s ({Journaled / Generated.TotalSeconds:N0}/s), {Dropped:N0} dropped |"));
        o.WriteLine(Invariant($"| journal files on disk at the end of the outage | {Mib(JournalBytes)} ({(double)JournalBytes / Math.Max(Journaled, 1):0} B per event) |"));
        o.WriteLine(Invariant($"| broker back → gateway connected (reconnect backoff) | {Reconnected.TotalSeconds:0.0} s |"));
        o.WriteLine(Invariant($"| broker back → last event at the office | {Delivered.TotalSeconds:0.0} s ({Check.Received / Math.Max(drain.TotalSeconds, 1e-3):N0} events/s once connected) |"));
        o.WriteLine(Invariant($"| panic pressed halfway through the replay → the office's state/lockdown shows it | {(PanicShown is { } shown ? Invariant($"{shown.TotalMilliseconds:N0} ms") : "not within 90 s")} (its events follow the backlog, in seq order) |"));
        o.WriteLine(Invariant($"| delivery | {Check.Describe()} |"));
        o.WriteLine(Invariant($"| bench process RSS (gateway, bench, office client): before, end of outage, peak | {Mib(RssBefore)}, {Mib(RssOutage)}, {Mib(RssPeak)} |"));
        o.WriteLine(Invariant($"| managed heap after a full GC at the end of the outage (the backlog is on disk) | {Mib(HeapOutage)} |"));
        o.WriteLine();
        o.WriteLine(Intact ? "Outage: nothing lost, duplicated or reordered." : "Outage: FAILED — events were dropped, lost, duplicated or reordered.");
        o.WriteLine();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
