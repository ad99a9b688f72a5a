using EdgeGuard.Core.Lockdown;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A journal file is moved aside as damaged only when the damage is confirmed, and never behind
/// the back of a boot that has switched to the volatile journal (JournalOpener.Attempt).
/// </summary>
public sealed class JournalOpenerDamageTests : JournalOpenerFixture
{
    [Fact]
    public void A_single_corrupt_read_just_after_a_power_cut_does_not_move_the_journal_aside()
    {
        JournalDatabase.Open(Real).Dispose();
        var opens = 0;

        // The card returns a short read once; the next try reads the file as it is.
        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(10), path => ++opens == 1
            ? throw new JournalException("damaged", new SqliteException("file is not a database", 26))
            : JournalDatabase.Open(path));
        using var database = opening.Database;

        Assert.Null(opening.Fault);
        Assert.Equal(Real, database.Path);
        Assert.Equal(2, opens);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Real)!, "*.damaged-*"));
    }

    // After a power cut the open is slow (a WAL replay, busy retries) until near its deadline; one
    // corrupt read then comes with no time left to confirm it. Before, the file was left in place
    // but the volatile journal was not seeded: the site booted Normal over the card's lockdown,
    // and its replay store started empty.
    [Fact]
    public void A_corrupt_read_too_late_to_confirm_leaves_the_file_in_place_and_seeds_its_lockdown()
    {
        SaveLockdownOnTheCard(olderSchema: false);
        var deadline = TimeSpan.FromSeconds(2);
        var opens = 0;
        var started = System.Diagnostics.Stopwatch.StartNew();

        var opening = JournalOpener.Open(Real, Volatile, Time, deadline, path =>
        {
            if (path != Real)
            {
                return JournalDatabase.Open(path);
            }

            opens++;
            // Within the retry pause (200 ms) of the deadline: no time for another try, and well
            // before the deadline itself, so the open ends with the damage, not timed out.
            Thread.Sleep(deadline - TimeSpan.FromMilliseconds(150) - started.Elapsed);
            throw new JournalException("damaged", new SqliteException("database disk image is malformed", 11));
        });

        using var db = opening.Database;
        Assert.Equal(1, opens);
        Assert.Equal(FallbackFile, db.Path);
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        Assert.Contains("not confirmed by another try within the deadline", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("goes on in the volatile journal", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(db, Time).Load());
        Assert.True(File.Exists(Real), "left in place");
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(Real)!, "*.damaged-*"));
    }

    [Fact]
    public void A_replace_under_way_at_the_deadline_is_waited_for_so_the_boot_runs_on_the_journal_it_made()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Real)!);
        File.WriteAllBytes(Real, [9, 9, 9]);
        var opens = 0;

        var opening = JournalOpener.Open(Real, Volatile, Time, ReplaceDeadline, path =>
        {
            if (path != Real)
            {
                return JournalDatabase.Open(path);
            }

            if (++opens <= 2)
            {
                throw new JournalException("damaged", new SqliteException("file is not a database", 26));
            }

            // The new journal is slow to create on this card: still under way at the deadline for
            // sure, since the replace began before it (the damage was confirmed within it).
            Thread.Sleep(ReplaceDeadline);
            return JournalDatabase.Open(path);
        });
        using var database = opening.Database;

        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Equal(Real, database.Path);
        Assert.Equal([9, 9, 9], File.ReadAllBytes(fault.KeptAt));
        Assert.False(File.Exists(Path.Combine(Volatile, JournalDatabase.FileName)), "no volatile journal");
    }
}
