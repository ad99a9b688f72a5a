using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A real journal file in a temp directory, a fake clock, and an <see cref="EventJournal"/> over
/// them that can be closed and reopened like a gateway restart.
/// </summary>
internal sealed class JournalHarness : IDisposable
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 14, 9, 0, 0, TimeSpan.Zero);

    /// <summary>Bound on every wait in a test, so a bug fails the test instead of hanging the run; never a speed assertion.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _temp = new();
    private readonly JournalLimits? _limits;

    public JournalHarness(JournalLimits? limits = null)
    {
        _limits = limits;
        Path = _temp.File("gateway.db");
        Open();
    }

    public string Path { get; }

    public FakeTimeProvider Time { get; } = new(T0);

    public JournalDatabase Database { get; private set; } = null!;

    public EventJournal Journal { get; private set; } = null!;

    public List<Exception> Errors { get; } = [];

    public List<DomainEvent> JournalEvents { get; } = [];

    /// <summary>Closes the journal and the database and opens both again, as after a restart.</summary>
    public void Reopen()
    {
        Close();
        Open();
    }

    public void Publish(params DomainEvent[] events) => Journal.Publish(events);

    public async Task PublishAndFlush(params DomainEvent[] events)
    {
        Journal.Publish(events);
        await Flush();
    }

    public Task Flush() => Journal.FlushAsync().WaitAsync(Patience);

    public IReadOnlyList<JournalRecord> All() => Journal.Read(0, int.MaxValue);

    /// <summary>Asserts that `journal verify` finds the file at <paramref name="path"/> intact, naming every problem if not.</summary>
    public static void AssertIntact(string path)
    {
        using var reader = JournalReader.Open(path);
        var report = JournalVerifier.Verify(reader);
        Assert.True(report.IsIntact, string.Join(Environment.NewLine, report.Problems.Select(p => p.Message)));
    }

    public static PointActivated Activated(int i, DateTimeOffset? at = null) =>
        new(at ?? T0.AddMilliseconds(i), $"p{i}", PointKind.DoorContact, "zone-a");

    public void Dispose()
    {
        Close();
        _temp.Dispose();
    }

    private void Open()
    {
        Database = JournalDatabase.Open(Path);
        Journal = new EventJournal(
            Database,
            Time,
            _limits,
            onError: ex => { lock (Errors) { Errors.Add(ex); } },
            onJournalEvent: e => { lock (JournalEvents) { JournalEvents.Add(e); } });
    }

    private void Close()
    {
        Journal?.Dispose();
        Database?.Dispose();
    }
}
