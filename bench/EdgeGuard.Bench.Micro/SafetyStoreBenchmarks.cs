using BenchmarkDotNet.Attributes;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;

namespace EdgeGuard.Bench.Micro;

/// <summary>
/// The safety-state save the controller does before it drives outputs on a mode change (lockdown
/// starts or clears): a SQLite transaction with synchronous=FULL, so one fsync of the temp disk.
/// It is outside the 50 µs target by design ("durable before effect") and shown here to size it.
/// </summary>
[Config(typeof(HotPathConfig))]
public class SafetyStoreBenchmarks
{
    private static readonly SafetyState Locked = new(SiteMode.Lockdown, new LockdownInfo("panic-button", BenchSite.Panic, DateTimeOffset.UnixEpoch), SirenSounding: true);
    private string _directory = null!;
    private JournalDatabase _database = null!;
    private SqliteSafetyStateStore _store = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("edgeguard-bench-").FullName;
        _database = JournalDatabase.Open(Path.Combine(_directory, "edgeguard.db"));
        _store = new SqliteSafetyStateStore(_database);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _database.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>Lockdown saved, then normal saved (per save).</summary>
    [Benchmark(OperationsPerInvoke = 2)]
    public void SaveLockdownThenNormal()
    {
        _store.Save(Locked);
        _store.Save(SafetyState.Initial);
    }
}
