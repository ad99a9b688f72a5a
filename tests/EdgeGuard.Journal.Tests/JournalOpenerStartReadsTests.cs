using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Testing;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A damaged page under what the journal's start reads (the EventJournal constructor: the
/// journal.gap rows through events_gaps, the ends of events, gateway_meta, the outbox cursor, the
/// retention clock) in a file whose header and schema SQLite reads. The open used to find it
/// sound and hand it over; the constructor then threw SQLITE_CORRUPT in the host's DI, and the
/// gateway did not start, restarted by systemd into the same failure. Now the open reads those
/// pages too, and the damage is decided as any the open finds (JournalOpener.Attempt).
/// </summary>
public sealed class JournalOpenerStartReadsTests : JournalOpenerFixture
{
    [Theory]
    [InlineData("events_gaps")]
    [InlineData("events")]
    [InlineData("gateway_meta")]
    [InlineData("outbox")]
    [InlineData("retention_clock")]
    [InlineData("retention_marks")]
    public async Task A_damaged_page_the_start_reads_is_moved_aside_and_the_journal_starts_on_a_new_one(string btree)
    {
        await AJournalWithAGapRowAndALockdown(Real);
        SqlitePages.CorruptRootPage(Real, btree);
        var damaged = File.ReadAllBytes(Real);

        var opening = JournalOpener.Open(Real, Volatile, Time, ReplaceDeadline);
        using var database = opening.Database;
        var started = Record.Exception(() => new EventJournal(database, Time).Dispose());

        Assert.Null(started);
        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Equal(Real, database.Path);
        Assert.Contains("malformed", fault.Problem, StringComparison.Ordinal);
        Assert.Equal(damaged, File.ReadAllBytes(fault.KeptAt));
        Assert.False(File.Exists(FallbackFile), "no volatile journal");
    }

    // The volatile journal an earlier start of this boot ran on, damaged the same way, beside a
    // state directory that cannot be written: set aside as unreadable and a new one made.
    [Fact]
    public async Task A_volatile_journal_with_a_damaged_page_the_start_reads_is_set_aside_and_a_new_one_made()
    {
        var blocker = TempFile("state-blocked");
        File.WriteAllText(blocker, "in the way");
        await AJournalWithAGapRowAndALockdown(FallbackFile);
        SqlitePages.CorruptRootPage(FallbackFile, "events_gaps");
        var damaged = File.ReadAllBytes(FallbackFile);

        var opening = JournalOpener.Open(Path.Combine(blocker, JournalDatabase.FileName), Volatile, Time);
        using var database = opening.Database;
        var started = Record.Exception(() => new EventJournal(database, Time).Dispose());

        Assert.Null(started);
        Assert.Equal(FallbackFile, database.Path);
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        var aside = Assert.Single(Directory.GetFiles(Volatile, JournalDatabase.FileName + ".damaged-*"));
        Assert.Equal(damaged, File.ReadAllBytes(aside));
        Assert.Contains(aside, fault.Reason, StringComparison.Ordinal);
    }

    // A journal that ran: a lockdown saved, a journal.gap row (its floors raised), events on both
    // sides of it, some delivered; then checkpointed into the main file, as the last run left it.
    private async Task AJournalWithAGapRowAndALockdown(string path)
    {
        using var database = JournalDatabase.Open(path);
        new SqliteSafetyStateStore(database, Time).Save(Lockdown);
        using (var journal = new EventJournal(database, Time))
        {
            journal.Publish([.. Enumerable.Range(1, 5).Select(i => (DomainEvent)Activated(i))]);
            await journal.FlushAsync();
        }

        database.RaiseFloors(1_000, 0, JournalGapCause.UncleanShutdown);
        using (var journal = new EventJournal(database, Time))
        {
            journal.Publish([.. Enumerable.Range(6, 5).Select(i => (DomainEvent)Activated(i))]);
            await journal.FlushAsync();
            journal.Acknowledged(3);
        }
    }
}
