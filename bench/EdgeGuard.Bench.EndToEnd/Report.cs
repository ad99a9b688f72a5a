using System.Globalization;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>The run's figures and the targets of shared/DESIGN.md, as one Markdown table.</summary>
internal sealed class Report(BenchOptions options)
{
    private const double P50Target = 1.5;
    private const double P99Target = 2.0;

    public int PayloadBytes { get; set; }

    /// <summary>Whether the office subscriber ran in a child process (the default) or in the bench's.</summary>
    public bool SubscriberOutOfProcess { get; set; }

    public bool InlineEdges { get; set; }

    public LatencyStats? BareLatency { get; set; }

    public LatencyStats? GatewayLatency { get; set; }

    public (SampleCost Bare, SampleCost Gateway)? LatencyCosts { get; set; }

    public (ContextSwitches Bare, ContextSwitches Gateway)? LatencySwitches { get; set; }

    /// <summary>Untimed rounds of both rows before the timed blocks, and whether the last compiled nothing (see LatencyRows).</summary>
    public (int Rounds, bool Quiet) JitWarmUp { get; set; }

    public LatencyStats? ToJournal { get; set; }

    public LatencyStats? JournalToSubscriber { get; set; }

    public StreamResult? BareSequential { get; set; }

    public StreamResult? BarePipelined { get; set; }

    public StreamResult? Gateway { get; set; }

    public long JournalBatches { get; set; }

    /// <summary>Retained state messages the publisher sent from the first edge to the last receipt, and in all once it settled.</summary>
    public (long During, long InAll) StatePublishes { get; set; }

    /// <summary>Delivery cursor writes (fsync each) from the first edge until the publisher settled.</summary>
    public long CursorWrites { get; set; }

    public int BenchPoints { get; set; }

    public LatencyStats? EdgeToLockdown { get; set; }

    public LatencyStats? EdgeToClear { get; set; }

    /// <summary>The broker-outage run (<c>--outage</c>), which replaces every other row.</summary>
    public OutageResult? Outage { get; set; }

    public TimeSpan Elapsed { get; set; }

    public TimeSpan ArmedAfter { get; set; }

    /// <summary>/proc/loadavg at start and end: on a shared 2-core machine other work skews every row.</summary>
    public string LoadAtStart { get; } = LoadAverage();

    /// <summary>Nothing lost, duplicated or reordered in any stream.</summary>
    public bool Intact => new[] { BareSequential, BarePipelined, Gateway }.All(s => s?.Check.Intact ?? true) && (Outage?.Intact ?? true);

    public void Print(TextWriter o)
    {
        ArgumentNullException.ThrowIfNull(o);
        o.WriteLine(Invariant($"## EdgeGuard end-to-end ({Environment.ProcessorCount} cores, Mosquitto QoS 1 on loopback, latency subscriber {(SubscriberOutOfProcess ? "in a child process" : "in the bench's process")}, edges {(InlineEdges ? "set inline on the bench's thread" : "on an event thread woken by the kernel")}, payload {PayloadBytes} B, journal under {options.StateDir ?? Path.GetTempPath()}, {Elapsed.TotalSeconds:0} s)"));
        o.WriteLine($"Load average (1/5/15 min) at start {LoadAtStart}, at end {LoadAverage()}.");
        o.WriteLine();
        if (BareLatency is { } bare && GatewayLatency is { } gw)
        {
            o.WriteLine(Invariant($"Latency, publish/edge → subscriber ({bare.Count} ping-pong samples each, in alternating blocks of {LatencyRows.Block}, each block after {LatencyRows.WarmUp} untimed)"));
            o.WriteLine();
            o.WriteLine("| row | p50 | p90 | p99 | max |");
            o.WriteLine("| --- | --- | --- | --- | --- |");
            Row(o, "bare MQTTnet publish → subscriber", bare);
            Row(o, "EdgeGuard edge → subscriber (journal on)", gw);
            if (ToJournal is { } toJournal && JournalToSubscriber is { } rest)
            {
                Row(o, Invariant($"  split pass ({toJournal.Count}): edge → journaled, handed to the outbox (commit still running)"), toJournal);
                Row(o, "  split pass: handed to the outbox → subscriber", rest);
            }

            o.WriteLine();
            Verdict(o, "p50 ratio", gw.P50 / bare.P50, P50Target);
            Verdict(o, "p99 ratio", gw.P99 / bare.P99, P99Target);
            if (LatencyCosts is { } costs)
            {
                var (bareCost, gatewayCost) = costs;
                o.WriteLine(Invariant(
                    $"- per sample, whole process: bare {bareCost.BytesPerSample / 1024:0.0} KiB allocated, {bareCost.WorkItemsPerSample:0.0} thread-pool work items; ") +
                    Invariant($"EdgeGuard {gatewayCost.BytesPerSample / 1024:0.0} KiB, {gatewayCost.WorkItemsPerSample:0.0}"));
                var quiet = JitWarmUp.Quiet ? "a round compiled nothing" : "still compiling: stopped at the limit";
                o.WriteLine(Invariant(
                    $"- JIT compiling during the timed blocks: bare {bareCost.Jit.TotalMilliseconds:0.0} ms, EdgeGuard {gatewayCost.Jit.TotalMilliseconds:0.0} ms ") +
                    Invariant($"(after {JitWarmUp.Rounds} untimed rounds of a block of each row; {quiet})"));
            }

            if (LatencySwitches is { } switches && switches.Bare.Describe() is { Length: > 0 } bareSwitches)
            {
                o.WriteLine($"- context switches per sample, by thread: bare {bareSwitches}; EdgeGuard {switches.Gateway.Describe()}");
                if (switches.Bare.DescribeCpu() is { Length: > 0 } bareCpu)
                {
                    o.WriteLine($"- CPU µs per sample, by thread: bare {bareCpu}; EdgeGuard {switches.Gateway.DescribeCpu()}");
                }
            }

            o.WriteLine();
        }

        if (BareSequential is { } seq && BarePipelined is { } pipe && Gateway is { } stream)
        {
            o.WriteLine(Invariant($"Throughput, first send/edge → last receipt ({options.Events} messages each; gateway edges round-robin over {BenchPoints} door contacts, at most {BenchPoints * GatewayRuns.TransitionsPerPointPerSecond:N0} edges/s offered)"));
            o.WriteLine();
            o.WriteLine("| row | msgs/s | elapsed | delivery |");
            o.WriteLine("| --- | --- | --- | --- |");
            Row(o, "bare, awaiting each PUBACK (1 in flight)", seq);
            Row(o, Invariant($"bare, pipelined ({options.InFlight} in flight)"), pipe);
            Row(o, Invariant($"EdgeGuard, journal on ({JournalBatches} journal commits)"), stream);
            o.WriteLine();
            o.WriteLine(Invariant($"- EdgeGuard's extra MQTT messages: {StatePublishes.During:N0} retained state messages until the last event arrived, {StatePublishes.InAll:N0} once settled; {CursorWrites:N0} delivery cursor writes (the journal's commits of the cursor alone)"));
            Verdict(o, "events/s vs bare 1 in flight", stream.PerSecond / seq.PerSecond, 1.0, atLeast: true);
            Verdict(o, Invariant($"events/s vs bare {options.InFlight} in flight"), stream.PerSecond / pipe.PerSecond, 1.0, atLeast: true);
            o.WriteLine();
        }

        if (EdgeToLockdown is { } on && EdgeToClear is { } off)
        {
            o.WriteLine(Invariant($"Edge → output written through the running controller ({on.Count} samples; includes the channel hop and the safety-state fsync)"));
            o.WriteLine();
            o.WriteLine("| row | p50 | p90 | p99 | max |");
            o.WriteLine("| --- | --- | --- | --- | --- |");
            Row(o, "panic press → lockdown lamp on", on);
            Row(o, "keyswitch → lockdown lamp off", off);
            o.WriteLine();
            o.WriteLine("(The 50 µs target is for the loop's own work, measured by bench/EdgeGuard.Bench.Micro --latency.)");
            o.WriteLine();
        }

        Outage?.Print(o);
        o.WriteLine(Invariant($"Host build → armed (in-process, JIT, includes the {EdgeGuard.Controller.SiteController.SettleTime.TotalMilliseconds:0} ms input settle): {ArmedAfter.TotalMilliseconds:0} ms. The AOT cold-start target is measured by bench/cold-start/run.sh."));
        o.WriteLine();
        o.WriteLine(Intact ? "Delivery: nothing lost, duplicated or reordered." : "Delivery: FAILED — see the delivery column.");
    }

    private static void Row(TextWriter o, string name, LatencyStats s) =>
        o.WriteLine($"| {name} | {F(s.P50)} | {F(s.Percentile(90))} | {F(s.P99)} | {F(s.Max)} |");

    private static void Row(TextWriter o, string name, StreamResult s) =>
        o.WriteLine(Invariant($"| {name} | {s.PerSecond:N0} | {s.Elapsed.TotalSeconds:0.00} s | {s.Check.Describe()} |"));

    private static void Verdict(TextWriter o, string what, double ratio, double target, bool atLeast = false)
    {
        var met = atLeast ? ratio >= target : ratio <= target;
        var bound = atLeast ? "≥" : "≤";
        o.WriteLine(Invariant($"- {what}: {ratio:0.00}× (target {bound} {target:0.0}×) → {(met ? "MET" : "MISSED")}"));
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join('/', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private static string F(double microseconds) => LatencyStats.Format(microseconds);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
