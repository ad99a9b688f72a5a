using EdgeGuard.Core.Lockdown;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A start on a full card: the journal's saved lockdown is readable, but opening it needs a write
/// (the -shm, a schema upgrade) that fails. Before, the open retried the I/O error for the whole
/// 10 s deadline, the gateway booted on a new volatile journal in Normal, and the takeover once
/// the card was back copied that Normal over the card's lockdown. Now the failure is final and
/// the volatile journal is seeded with the card's safety state, read without writing.
/// </summary>
public sealed class JournalOpenerFullCardTests : JournalOpenerFixture
{
    /// <summary>What an open on a full card throws: SQLITE_IOERR_SHMSIZE, SQLITE_FULL.</summary>
    public static TheoryData<bool, int, int> Failures => new()
    {
        { false, 10, 4874 },
        { true, 10, 4874 },
        { false, 13, 13 },
        { true, 13, 13 },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void A_lockdown_on_a_journal_that_cannot_be_written_goes_on_in_the_volatile_journal_and_comes_back_to_the_card(bool olderSchema, int code, int extended)
    {
        SaveLockdownOnTheCard(olderSchema);
        var tries = 0;
        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), path =>
        {
            if (path != Real)
            {
                return JournalDatabase.Open(path);
            }

            tries++;
            throw new JournalException("full", new SqliteException("database or disk is full", code, extended));
        });

        using (var db = opening.Database)
        {
            Assert.Equal(FallbackFile, db.Path);
            Assert.Equal(LockdownAsLoaded(olderSchema), new SqliteSafetyStateStore(db, Time).Load());
            var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
            Assert.Contains("goes on in the volatile journal", fault.Reason, StringComparison.Ordinal);
        }

        Assert.Equal(1, tries); // final: not tried again for the whole deadline

        // The card has room again: the takeover writes the lockdown back, not a Normal.
        var back = JournalOpener.Open(Real, Volatile, Time);
        using var real = back.Database;
        Assert.Equal(Real, real.Path);
        Assert.Equal(LockdownAsLoaded(olderSchema), new SqliteSafetyStateStore(real, Time).Load());
    }

    [Fact]
    public void A_journal_that_cannot_be_read_either_leaves_the_volatile_journal_in_Normal_and_says_so()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Real)!);
        File.WriteAllBytes(Real, new byte[8192]); // not an EdgeGuard journal at all

        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), path =>
            path == Real
                ? throw new JournalException("full", new SqliteException("database or disk is full", 13))
                : JournalDatabase.Open(path));

        using var db = opening.Database;
        Assert.Equal(FallbackFile, db.Path);
        Assert.Equal(SiteMode.Normal, new SqliteSafetyStateStore(db, Time).Load().Mode);
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        Assert.Contains("may have been lost", fault.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_restart_on_the_volatile_journal_keeps_its_own_state_not_the_cards()
    {
        SaveLockdownOnTheCard(olderSchema: false);
        static JournalDatabase Full(string path, string real) =>
            path == real
                ? throw new JournalException("full", new SqliteException("database or disk is full", 13))
                : JournalDatabase.Open(path);

        using (var first = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), path => Full(path, Real)).Database)
        {
            // The office clears the lockdown while the gateway runs on the volatile journal.
            new SqliteSafetyStateStore(first, Time).Save(SafetyState.Initial);
        }

        var again = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), path => Full(path, Real));
        using var db = again.Database;
        Assert.Equal(FallbackFile, db.Path);
        Assert.Equal(SafetyState.Initial, new SqliteSafetyStateStore(db, Time).Load());
    }
}
