using System.Diagnostics;
using EdgeGuard.Bench.Soak;
using EdgeGuard.Testing;

// The real gateway as a child process for a given time, driven like a busy site while the office's
// broker restarts, sampled every few seconds for anything that grows. Exit codes: 0 every event
// delivered and the retained state right, 1 not (or the gateway died), 2 could not run.
SoakOptions options;
try
{
    options = SoakOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(SoakOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(SoakOptions.Usage);
    return 0;
}

#if DEBUG
Console.Error.WriteLine("[soak] WARNING: a Debug build; the figures are not the shipped gateway's (use -c Release)");
#endif

// Two doors per change per second: each door then changes 5 times in 10 s, under the shipped
// chatter limit (8 in 10 s), so supervision runs as shipped and suppresses nothing.
var doors = (int)Math.Ceiling(options.Rate * 2);
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

await using (broker)
{
    var root = await GatewayChild.ShippedRootAsync();
    var ledger = new OfficeLedger(root + "/events");
    // Subscribed before the gateway starts, in a persistent session the broker keeps across its
    // restarts, so every event from seq 1 is owed to this office.
    await using var office = await TestSubscriber.ConnectAsync(broker.Port, root + "/events", "soak-office", observe: ledger.Observe);
    var work = Directory.CreateTempSubdirectory("edgeguard-soak-").FullName;
    GatewayChild gateway;
    try
    {
        gateway = await GatewayChild.StartAsync(work, options.GatewayLog, broker.Port, doors, options.JournalMaxRecords, options.GatewayExecutable);
    }
    catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
    {
        Console.Error.WriteLine(ex.Message);
        Directory.Delete(work, recursive: true);
        return 2;
    }

    await using (gateway)
    {
        return await SoakAsync(gateway, broker, ledger, work);
    }
}

async Task<int> SoakAsync(GatewayChild gateway, MosquittoBroker broker, OfficeLedger ledger, string work)
{
    Console.Error.WriteLine($"[soak] gateway pid {gateway.ProcessId}, log {gateway.LogFile}; driving for {options.Minutes} min");
    await using var csv = new StreamWriter(options.SamplesFile);
    var sampler = new ProcessSampler(gateway.ProcessId, gateway.StateDirectory, () => ledger.Received, csv);
    var driver = new SiteDriver(gateway, broker, options);
    var started = DateTime.UtcNow;
    using var stopSampling = new CancellationTokenSource();
    using var stopDriving = new CancellationTokenSource(options.Duration);
    var sampling = sampler.RunAsync(started, TimeSpan.FromSeconds(options.SampleEverySeconds), stopSampling.Token);
    var driving = driver.RunAsync(stopDriving.Token);
    // A gateway that dies ends the run at once: nothing after it would be about the gateway.
    while (!driving.IsCompleted && !gateway.HasExited)
    {
        await Task.WhenAny(driving, Task.Delay(1000));
    }

    if (gateway.HasExited)
    {
        await stopDriving.CancelAsync();
        await stopSampling.CancelAsync();
        Console.Error.WriteLine($"[soak] FAILED: the gateway exited during the soak; its log is {gateway.LogFile}, its state kept in {work}");
        return 1;
    }

    await driving;
    var driven = DateTime.UtcNow - started;
    Console.Error.WriteLine("[soak] driving done; waiting for the office to have every event");
    var (lastSeq, delivered) = await QuietAsync(gateway, ledger);
    await stopSampling.CancelAsync();
    await sampling;
    await sampler.TakeAsync(started);
    var mismatches = await StateCheck.CompareAsync(gateway, broker.Port);
    var descriptors = sampler.DescriptorKinds();
    var stateFiles = sampler.StateFiles();
    var exit = await gateway.StopAsync();
    var report = new SoakReport
    {
        Options = options, Samples = sampler.Samples, Doors = gateway.Doors.Count, EdgesSet = driver.EdgesSet,
        LastSeq = lastSeq, DeliveredThrough = delivered, Ledger = ledger, PanicCycles = driver.PanicCycles,
        BrokerRestarts = driver.BrokerRestarts, StateMismatches = mismatches, GatewayExit = exit, Driven = driven,
        Descriptors = descriptors, StateFiles = stateFiles,
    };
    report.Print(Console.Out);
    if (report.Passed)
    {
        Directory.Delete(work, recursive: true);
    }
    else
    {
        Console.Error.WriteLine($"[soak] the gateway's state is kept in {work}, its log is {gateway.LogFile}");
    }

    return report.Passed ? 0 : 1;
}

// Until the journal's last seq, the broker's acknowledgement and the office's highest seq agree and
// stay so for 3 s (a lockdown's timers may still journal), or 2 minutes pass.
static async Task<(long LastSeq, long Delivered)> QuietAsync(GatewayChild gateway, OfficeLedger ledger)
{
    var waiting = Stopwatch.StartNew();
    var quietSince = Stopwatch.StartNew();
    (long LastSeq, long Delivered) seen = (-1, -1);
    while (waiting.Elapsed < TimeSpan.FromMinutes(2))
    {
        var now = gateway.Journal();
        if (now != seen || now.LastSeq != now.DeliveredThrough || ledger.Last < now.LastSeq)
        {
            seen = now;
            quietSince.Restart();
        }
        else if (quietSince.Elapsed > TimeSpan.FromSeconds(3))
        {
            break;
        }

        await Task.Delay(200);
    }

    return seen;
}
