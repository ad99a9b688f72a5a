using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A damaged page among the last undelivered rows before a declared gap that jumps the seqs to a
/// new journal's floor (~1.7 × 10^15). The range read SQLite refuses is read again row by row;
/// before, that meant every seq up to the floor in turn, holding the journal's read lock
/// practically forever, so no later event (a lockdown, a fire) reached the office.
/// </summary>
public sealed class DamagedRangeAcrossGapTests : IDisposable
{
    private readonly JournalHarness _h = new();
    private Task<IReadOnlyList<JournalRecord>>? _read;

    // A read still running holds the journal's read lock, which its disposal takes: left open, so
    // a test whose read never ends fails rather than hangs the run.
    public void Dispose()
    {
        if (_read is null || _read.IsCompleted)
        {
            _h.Dispose();
        }
    }

    [Fact]
    public async Task Rows_on_a_damaged_page_before_the_gap_are_journal_unreadable_and_delivery_reaches_the_rows_after_it()
    {
        var stored = await RowsAcrossAFallbackGapWithTheTableDamagedAt(275);

        var records = ReadAllUndelivered();

        Assert.Equal(stored.Select(r => r.Seq), records.Select(r => r.Seq));
        var unreadable = records.Where(r => r.Type == EventJournal.UnreadableType).ToList();
        Assert.Contains(unreadable, r => r.Seq == 275);
        Assert.All(records.Except(unreadable), r => Assert.Equal(stored.Single(s => s.Seq == r.Seq), r));
    }

    [Fact]
    public async Task With_the_id_index_damaged_too_the_range_the_key_cannot_pass_is_one_journal_unreadable_at_its_end()
    {
        var stored = await RowsAcrossAFallbackGapWithTheTableDamagedAt(150);
        _h.Journal.Dispose();
        _h.Database.Dispose();
        UnreadableRowTests.CorruptPage(_h.Path, stored[149], inIdIndex: true);
        _h.Reopen();
        _h.Errors.Clear();

        var records = ReadAllUndelivered();

        var unreadable = Assert.Single(records, r => r.Type == EventJournal.UnreadableType);
        Assert.InRange(unreadable.Seq, 150, 299);
        Assert.Contains("nor which seqs from", unreadable.DataJson, StringComparison.Ordinal);
        // Every row outside the damaged page as stored, the gap and the rows after it included.
        var skipped = stored.Where(s => records.All(r => r.Seq != s.Seq)).Select(s => s.Seq).ToList();
        Assert.InRange(skipped.Count, 1, 100);
        Assert.All(skipped, seq => Assert.InRange(seq, 130, unreadable.Seq - 1));
        Assert.All(records.Where(r => r != unreadable), r => Assert.Equal(stored.Single(s => s.Seq == r.Seq), r));
        Assert.Contains(records, r => r.Type == "journal.gap");
        Assert.Equal(stored[^1], records[^1]);
    }

    // 300 events, a fallback-journal gap up to a new journal's floor, three events above it; then
    // the table page holding the row at seq damaged, and the journal reopened so delivery reads
    // from SQLite. Returns every row as stored before the damage.
    private async Task<IReadOnlyList<JournalRecord>> RowsAcrossAFallbackGapWithTheTableDamagedAt(long seq)
    {
        await _h.PublishAndFlush([.. Enumerable.Range(1, 300).Select(i => (DomainEvent)Activated(i))]);
        _h.Journal.Dispose();
        _h.Database.RaiseFloors(JournalOpener.SeqFloor(_h.Time) - 1, 0, JournalGapCause.FallbackJournal);
        _h.Reopen();
        await _h.PublishAndFlush(Activated(301), Activated(302), Activated(303));
        var stored = _h.All();
        Assert.True(stored[^1].Seq > 1_000_000_000_000_000, "the seqs jumped to a new journal's floor");
        _h.Journal.Dispose();
        _h.Database.Dispose();
        UnreadableRowTests.CorruptPageHolding(_h.Path, stored[(int)seq - 1]);
        _h.Reopen();
        _h.Errors.Clear();
        return stored;
    }

    // What the publisher reads from a journal that delivered nothing yet, bounded by Patience.
    private IReadOnlyList<JournalRecord> ReadAllUndelivered()
    {
        _read = Task.Run(() => _h.Journal.ReadAfter(_h.Journal.DeliveredThrough, 1000));
        Assert.True(_read.Wait(Patience), "the read of the damaged range did not end");
        Assert.Contains(_h.Errors, e => e.Message.Contains("reading them one by one", StringComparison.Ordinal));
        return _read.Result;
    }
}
