using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A power cut in the middle of replacing a damaged journal (docs/journal.md, "When the journal
/// cannot be opened at boot"): the damaged file moved aside, and the new journal in its place not
/// made, or made without its floors. The next start took it for a first boot: seq 1 again under
/// new ids, no journal.gap, no fault, the lockdown the damaged file held gone silently.
/// </summary>
public sealed class JournalReplaceCrashTests : JournalOpenerFixture
{
    [Fact]
    public async Task A_power_cut_between_creating_the_new_journal_and_raising_its_floors_reuses_no_seq()
    {
        // The office received seqs 1..3 from the journal that then got damaged.
        await ThreeEventsAndALockdownThenDamage();

        // First start: confirmed damaged (2 tries), moved aside, new file created at Real
        // (JournalOpener.Attempt.Replace: open(path) commits the schema) - and the power goes
        // before its floors commit. The hook stands for that cut.
        var calls = 0;
        try
        {
            var first = JournalOpener.Open(Real, Volatile, Time, open: p =>
            {
                if (p == Real && ++calls == 3)
                {
                    JournalDatabase.Open(p).Dispose();
                    throw new InvalidOperationException("power cut after the create, before RaiseFloors");
                }

                return JournalDatabase.Open(p);
            });
            first.Database.Dispose();
        }
#pragma warning disable CA1031 // The cut: whatever the first start did after it does not count.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(Real)!, "*.damaged-*"));
        if (Directory.Exists(Volatile))
        {
            Directory.Delete(Volatile, recursive: true); // power cut: /run is gone
        }

        Time.Advance(TimeSpan.FromSeconds(30));
        var second = JournalOpener.Open(Real, Volatile, Time);
        var records = await JournalAfter(second);
        var text = string.Join(", ", records.Select(r => $"{r.Seq}:{r.Type}"));
        Assert.True(records.All(r => r.Seq > 3),
            $"office already holds seqs 1..3 (other ids); second start journals [{text}], fault: {second.Fault?.Type ?? "none"}");
        AssertFinishedReplace(second, records);
    }

    [Fact]
    public async Task A_power_cut_right_after_moving_the_damaged_file_aside_starts_a_new_journal_at_the_floor()
    {
        await ThreeEventsAndALockdownThenDamage();

        // What the cut leaves: the damaged file (all of it) aside, nothing at its path.
        var keptAt = Real + ".damaged-20261204T160000000Z";
        JournalOpener.MoveWithSidecars(Real, keptAt);
        Assert.False(File.Exists(Real));

        Time.Advance(TimeSpan.FromSeconds(30));
        var second = JournalOpener.Open(Real, Volatile, Time);
        var records = await JournalAfter(second);
        AssertFinishedReplace(second, records);
        Assert.Equal(keptAt, Assert.IsType<JournalReplaced>(second.Fault).KeptAt);
    }

    [Fact]
    public async Task A_journal_that_has_run_beside_an_old_damaged_file_is_not_replaced_again()
    {
        await ThreeEventsAndALockdownThenDamage();
        var first = JournalOpener.Open(Real, Volatile, Time);
        Assert.IsType<JournalReplaced>(first.Fault);
        var firstRecords = await JournalAfter(first);

        Time.Advance(TimeSpan.FromSeconds(30));
        var second = JournalOpener.Open(Real, Volatile, Time);
        Assert.Null(second.Fault);
        var records = await JournalAfter(second);
        Assert.Equal(firstRecords[^1].Seq + 1, records[^1].Seq);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(Real)!, "*.damaged-*"));
    }

    private static void AssertFinishedReplace(JournalOpening second, IReadOnlyList<JournalRecord> records)
    {
        Assert.Equal("journal.gap", records[0].Type);
        Assert.Contains("new-journal", records[0].DataJson, StringComparison.Ordinal);
        var gap = System.Text.Json.JsonDocument.Parse(records[0].DataJson).RootElement;
        Assert.Equal(1, gap.GetProperty("fromSeq").GetInt64());
        Assert.True(records[0].Seq >= Floor, $"the gap row at the floor of the second start: {records[0].Seq}");
        var fault = Assert.IsType<JournalReplaced>(second.Fault);
        Assert.Equal("fault.journal-replaced", records[1].Type);
        Assert.Contains("lockdown", fault.Problem, StringComparison.Ordinal);
    }

    private async Task ThreeEventsAndALockdownThenDamage()
    {
        using (var database = JournalDatabase.Open(Real))
        {
            new SqliteSafetyStateStore(database, Time).Save(Lockdown);
            using var journal = new EventJournal(database, Time);
            journal.Publish([Activated(1), Activated(2), Activated(3)]);
            await journal.FlushAsync().WaitAsync(Patience);
            Assert.Equal(3, journal.LastSeq);
        }

        var garbage = new byte[8192];
        new Random(3).NextBytes(garbage);
        File.WriteAllBytes(Real, garbage);
        File.Delete(Real + "-wal");
        File.Delete(Real + "-shm");
    }

    // The start's journal with its fault first, as JournalLogging does, and one event after it.
    private async Task<IReadOnlyList<JournalRecord>> JournalAfter(JournalOpening opening)
    {
        using var db = opening.Database;
        using var journal = new EventJournal(db, Time);
        if (opening.Fault is { } fault)
        {
            journal.Publish([fault]);
        }

        journal.Publish([Activated(4)]);
        await journal.FlushAsync().WaitAsync(Patience);
        Assert.Equal(SiteMode.Normal, new SqliteSafetyStateStore(db).Load().Mode);
        return journal.Read(0, int.MaxValue);
    }

    private static PointActivated Activated(int n) =>
        new(Now.AddSeconds(n), "door-" + n, PointKind.DoorContact, "lobby");
}
