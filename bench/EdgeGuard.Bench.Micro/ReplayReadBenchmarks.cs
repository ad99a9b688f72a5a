using BenchmarkDotNet.Attributes;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;

namespace EdgeGuard.Bench.Micro;

/// <summary>
/// Reading journaled events back from SQLite, as the publisher replays them after a reconnect or a
/// restart (the in-memory tail no longer holds them). <c>ReadAfter</c> is the delivery read: it
/// checks each row's fields and its hash and turns a damaged row into <c>journal.unreadable</c>.
/// <c>Read</c> is the tools' read of the same rows without the hash check; the difference is what
/// the checks cost per replayed event.
/// </summary>
[Config(typeof(HotPathConfig))]
public class ReplayReadBenchmarks
{
    private const int Events = 10_000;
    private const int Batch = 256;
    private string _directory = null!;
    private JournalDatabase _database = null!;
    private EventJournal _journal = null!;

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("edgeguard-bench-").FullName;
        var path = Path.Combine(_directory, "edgeguard.db");
        using (var database = JournalDatabase.Open(path))
        using (var journal = new EventJournal(database, TimeProvider.System))
        {
            var at = DateTimeOffset.UnixEpoch.AddYears(56);
            journal.Publish([.. Enumerable.Range(0, Events).Select(i => (DomainEvent)new PointActivated(at.AddMilliseconds(i), $"door-{i % 40}", PointKind.DoorContact, "lobby"))]);
            journal.FlushAsync().GetAwaiter().GetResult();
        }

        // Reopened: the tail is empty, so every read goes to SQLite, as a replay after a restart does.
        _database = JournalDatabase.Open(path);
        _journal = new EventJournal(_database, TimeProvider.System);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _journal.Dispose();
        _database.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>The publisher's replay read, per event.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int ReadAfter_Delivery()
    {
        var read = 0;
        for (long after = 0; after < Events; after += Batch)
        {
            read += _journal.ReadAfter(after, Batch).Count;
        }

        return read;
    }

    /// <summary>The tools' read of the same rows, per event.</summary>
    [Benchmark(OperationsPerInvoke = Events, Baseline = true)]
    public int Read_Tools()
    {
        var read = 0;
        for (long from = 1; from <= Events; from += Batch)
        {
            read += _journal.Read(from, Batch).Count;
        }

        return read;
    }
}
