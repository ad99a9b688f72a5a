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
