using EdgeGuard.Core.Lockdown;
using Microsoft.Extensions.Time.Testing;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A journal the opener makes at boot (in place of a damaged file, or the RAM journal in /run)
/// starts its seqs at the clock floor (about 1.8e15), behind a new-journal gap from seq 1. Its
/// table was empty when it opened, so retention's idea of the first row was seq 1, more than a
/// chunk in front of the real first row: every chunk found nothing to delete and never moved on,
/// and delivered rows were kept (by age or by count) until the next restart, filling /run, which
/// the RAM journal's smaller limit is there to prevent.
/// </summary>
public sealed class NewJournalRetentionTests
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    [Fact]
    public async Task A_new_journal_behind_its_new_journal_gap_ages_out_delivered_rows_in_its_first_run()
    {
        using var temp = new TempDirectory();
        var time = new FakeTimeProvider(T0);
        using var database = NewJournalDatabase(temp, time);
        using var journal = new EventJournal(database, time, new JournalLimits(10, Month));

        journal.Publish(Enumerable.Range(1, 5).Select(i => (DomainEvent)Activated(i)).ToArray());
        await journal.FlushAsync().WaitAsync(Patience);
        journal.MarkDelivered(journal.LastSeq);
        journal.EnforceRetention(); // the age check marks the rows
        time.Advance(TimeSpan.FromDays(40));
        journal.EnforceRetention(); // delivered and 40 days old: every row goes

        var kept = journal.Read(0, int.MaxValue);
        Assert.True(kept.Count == 0, $"{kept.Count} delivered rows 40 days old kept: " + string.Join(", ", kept.Select(r => $"{r.Seq} {r.Type}")));
        AssertIntact(database.Path);
    }

    [Fact]
    public async Task The_writer_keeps_a_new_journal_to_its_limit_in_its_first_run()
    {
        using var temp = new TempDirectory();
        var time = new FakeTimeProvider(T0);
        using var database = NewJournalDatabase(temp, time);
        using var journal = new EventJournal(database, time, new JournalLimits(10, Month));

        // Only the writer's own housekeeping after each commit, as in production.
        for (var round = 0; round < 10; round++)
        {
            journal.Publish(Enumerable.Range(1, 10).Select(i => (DomainEvent)Activated((round * 10) + i)).ToArray());
            await journal.FlushAsync().WaitAsync(Patience);
            journal.MarkDelivered(journal.LastSeq);
        }

        journal.Publish([Activated(1000)]);
        await journal.FlushAsync().WaitAsync(Patience);

        var kept = journal.Read(0, int.MaxValue);
        Assert.True(kept.Count <= 11, $"{kept.Count} rows kept, limit 10");
        Assert.Equal(journal.LastSeq, kept[^1].Seq);
        AssertIntact(database.Path);
    }

    // What JournalOpener does for a journal it makes at boot: seqs from the clock floor, the
    // range below declared by a new-journal gap.
    private static JournalDatabase NewJournalDatabase(TempDirectory temp, FakeTimeProvider time)
    {
        var database = JournalDatabase.Open(temp.File("gateway.db"));
        database.RaiseFloors(JournalOpener.SeqFloor(time) - 1, JournalOpener.SessionFloor(time), JournalGapCause.NewJournal);
        return database;
    }
}
