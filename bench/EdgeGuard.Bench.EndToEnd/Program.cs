using System.Diagnostics;
using EdgeGuard.Bench;
using EdgeGuard.Bench.EndToEnd;
using EdgeGuard.Testing;

// Bare MQTTnet against the whole gateway, on one real Mosquitto, in one run. The latency rows are
// measured in alternating blocks (LatencyRows.cs) so drift of the machine hits both rows alike.
// Exit codes: 0 ran (timing targets met or not: they are reported, never failed), 1 an event was
// lost, duplicated or reordered, 2 the harness could not run (bad option, no Mosquitto).
if (args is [OfficeSubscriberProcess.ChildArgument, .. var childArgs])
{
    return await OfficeSubscriberProcess.RunChildAsync(childArgs);
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(BenchOptions.Usage);
    return 0;
}

// Opened before anything runs, so a file that cannot be written stops the bench at once.
if (!TryOpenSampleLog(options.SamplesFile, out var opened))
{
    return 2;
}

await using var sampleLog = opened;
var report = new Report(options);
MosquittoBroker broker;
try
{
    broker = await MosquittoBroker.StartAsync();
}
catch (InvalidOperationException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

var total = Stopwatch.StartNew();
try
{
    await using (broker)
    {
        await MeasureAsync(broker, options, report, sampleLog);
    }
}
catch (Exception ex) when (ex is DeliveryException or TimeoutException)
{
    // An event (or bare message) that never came, or came out of turn, in a latency run.
    Console.Error.WriteLine($"[bench] delivery failed: {ex.Message}");
    return 1;
}

report.Elapsed = total.Elapsed;
report.Print(Console.Out);
return report.Intact ? 0 : 1;

static void Step(string what) => Console.Error.WriteLine($"[bench] {what}");

static bool TryOpenSampleLog(string? path, out StreamWriter? writer)
{
    writer = null;
    try
    {
        writer = path is null ? null : new StreamWriter(path);
        return true;
    }
    catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
    {
        Console.Error.WriteLine($"--samples-file: cannot write {path}: {ex.Message}");
        return false;
    }
}

static async Task MeasureAsync(MosquittoBroker broker, BenchOptions options, Report report, TextWriter? sampleLog)
{
    Step($"Mosquitto on 127.0.0.1:{broker.Port}; starting the gateway host ({options.LogLevel} logs, state under {options.StateDir ?? Path.GetTempPath()})");
    // 40 door contacts: none changes 1000 times within a second (the chatter limit) in a default
    // burst, and the paced generator can offer 36,000 edges/s, well over what the gateway delivers.
    const int benchPoints = 40;
    await using var gateway = await GatewayUnderTest.StartAsync(
        broker.Port, [GatewayRuns.Panic, GatewayRuns.Key], benchPoints, options.LogLevel, options.StateDir);
    // The latency rows' subscriber runs in a child process unless asked otherwise (TimedSubscriber);
    // the outage run's is a persistent session that outlives the broker's restart.
    var subscriber = options.Outage > 0 ? await TimedSubscriber.ConnectPersistentAsync(broker.Port, "bench-office-persistent", [gateway.EventsTopic])
        : options.InProcessSubscriber ? await TimedSubscriber.ConnectAsync(broker.Port, BareMqtt.Topic, gateway.EventsTopic)
        : await TimedSubscriber.StartProcessAsync(broker.Port, BareMqtt.Topic, gateway.EventsTopic);
    report.SubscriberOutOfProcess = subscriber.OutOfProcess;
    try
    {
        using var edges = options.InlineEdges ? null : new EdgeThread();
        var runs = new GatewayRuns(gateway, subscriber, benchPoints, edges);
        report.InlineEdges = options.InlineEdges;
        report.BenchPoints = benchPoints;
        report.ArmedAfter = gateway.ArmedAfter;
        if (options.Outage > 0)
        {
            report.PayloadBytes = await runs.WarmUpAsync(options.Warmup);
            Step($"broker outage: Mosquitto stopped, {options.Outage:N0} edges, Mosquitto started again");
            report.Outage = await new OutageRun(gateway, broker, runs).RunAsync(options.Outage);
            return;
        }

        // Warm-up: JIT, SQLite page cache, TCP buffers. Also learns the size of a real event payload,
        // which the bare publisher then uses so both rows move the same bytes.
        var eventBytes = await runs.WarmUpAsync(options.Warmup);
        report.PayloadBytes = options.PayloadBytes ?? eventBytes;
        await using var bare = await BareMqtt.ConnectAsync(broker.Port, report.PayloadBytes);
        await bare.LatencyAsync(subscriber, options.Warmup);
        await bare.StreamAsync(subscriber, options.Warmup, options.InFlight);
        // Both rows are also warmed on the path their latency samples take, as the bare row just was:
        // the burst above runs the gateway's queued path, while an idle gateway decides and publishes
        // on the edge's thread (other methods), which would otherwise still be tiering up (JIT) during
        // the first timed blocks. A gateway in the field has run that path long before it matters.
        for (var i = 0; i < options.Warmup; i++)
        {
            await runs.SampleAsync();
        }

        report.JitWarmUp = await LatencyRows.WarmUntilJitQuietAsync(bare, subscriber, runs, broker.ProcessId);

        Step($"latency: {options.LatencySamples} ping-pong samples each, in alternating blocks of {LatencyRows.Block}");
        sampleLog?.WriteLine($"# row start_ns latency_ns (CLOCK_MONOTONIC); pids: bench {Environment.ProcessId} subscriber {subscriber.ProcessId} broker {broker.ProcessId}");
        var rows = await LatencyRows.InterleavedAsync(bare, subscriber, runs, options.LatencySamples, broker.ProcessId, sampleLog);
        sampleLog?.Flush();
        report.BareLatency = new LatencyStats(rows.Bare);
        report.GatewayLatency = new LatencyStats(rows.Gateway);
        report.LatencyCosts = (rows.BareCost, rows.GatewayCost);
        report.LatencySwitches = (rows.BareSwitches, rows.GatewaySwitches);
        (report.ToJournal, report.JournalToSubscriber) = await runs.LatencyBreakdownAsync(Math.Max(options.LatencySamples / 2, 1)) switch
        {
            var (j, s) => (new LatencyStats(j), new LatencyStats(s)),
        };

        if (subscriber.OutOfProcess)
        {
            // Throughput with the subscriber in this process, as in every run before Z16: in the child
            // each message costs a wake-up of two more threads on the same two cores, which took about
            // 30 % off the bare 1-in-flight stream and 20 % off the gateway's, flattering the ratio
            // (docs/PERFORMANCE.md, runs Z16).
            await runs.SettleAsync();
            await subscriber.DisposeAsync();
            subscriber = await TimedSubscriber.ConnectAsync(broker.Port, BareMqtt.Topic, gateway.EventsTopic);
            runs.Subscriber = subscriber;
            await bare.StreamAsync(subscriber, options.Warmup, options.InFlight);
            await runs.WarmUpAsync(options.Warmup);
        }

        Step($"throughput: {options.Events} messages each");
        report.BareSequential = await bare.StreamAsync(subscriber, options.Events, inFlight: 1);
        report.BarePipelined = await bare.StreamAsync(subscriber, options.Events, options.InFlight);
        await runs.SettleAsync();
        var commitsBefore = gateway.Journal.CommittedBatches;
        var statesBefore = gateway.Publisher.StatePublishes;
        var cursorBefore = gateway.Journal.CursorCommits;
        report.Gateway = await runs.StreamAsync(options.Events);
        report.JournalBatches = gateway.Journal.CommittedBatches - commitsBefore;
        var statesDuring = gateway.Publisher.StatePublishes - statesBefore;
        // Coalesced point states trail the last event by up to one refresh interval (250 ms).
        await Task.Delay(TimeSpan.FromSeconds(1));
        report.StatePublishes = (statesDuring, gateway.Publisher.StatePublishes - statesBefore);
        report.CursorWrites = gateway.Journal.CursorCommits - cursorBefore;

        if (options.OutputSamples > 0 && report.Gateway.Check.Intact)
        {
            Step($"edge → output through the running controller: {options.OutputSamples} lockdown/clear pairs");
            await runs.SettleAsync();
            (report.EdgeToLockdown, report.EdgeToClear) = await runs.EdgeToOutputAsync(options.OutputSamples) switch
            {
                var (l, c) => (new LatencyStats(l), new LatencyStats(c)),
            };
        }
    }
    finally
    {
        await subscriber.DisposeAsync(); // the last one: the throughput phase may swap it
    }
}
