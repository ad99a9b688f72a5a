using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A journal the boot cannot read never disappears without a fault, and never fails the start: a
/// volatile journal that cannot be read is moved aside (never deleted) and the fault says a safety
/// state may have been lost; a replace given up on says what happened to the damaged file
/// (JournalOpener, JournalOpener.TakeOver, JournalOpener.Attempt).
/// </summary>
public sealed class JournalOpenerUnreadableTests : JournalOpenerFixture
{
    private string KeptVolatile => FallbackFile + ".damaged-20261204T160000000Z";

    [Fact]
    public void A_volatile_journal_whose_safety_state_cannot_be_read_is_kept_aside_and_the_real_journal_says_so()
    {
        JournalDatabase.Open(Real).Dispose();
        using (var fallback = JournalDatabase.Open(FallbackFile))
        {
            new SqliteSafetyStateStore(fallback).Save(Lockdown);
            fallback.RaiseFloors(Floor - 1, 0, JournalGapCause.NewJournal);
        }

        Execute(FallbackFile, "UPDATE safety_state SET mode = 'no-such-mode' WHERE id = 1;");

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;

        Assert.Equal(Real, database.Path);
        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Equal(KeptVolatile, fault.KeptAt);
        Assert.Contains("cannot be read", fault.Problem, StringComparison.Ordinal);
        Assert.Contains("may have been lost", fault.Problem, StringComparison.Ordinal);
        Assert.True(File.Exists(KeptVolatile), "never deleted");
        Assert.False(File.Exists(FallbackFile));
        Assert.True(database.SeqTop() >= Floor, "above any seq the volatile journal may have given out");
    }

    [Fact]
    public void A_volatile_journal_whose_header_is_damaged_is_kept_aside_byte_for_byte_with_a_fault()
    {
        JournalDatabase.Open(Real).Dispose();
        var garbage = Garbage(Volatile);

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;

        Assert.Equal(Real, database.Path);
        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Equal(KeptVolatile, fault.KeptAt);
        Assert.Contains("may have been lost", fault.Problem, StringComparison.Ordinal);
        Assert.Equal(garbage, File.ReadAllBytes(KeptVolatile));
    }

    [Fact]
    public void A_damaged_real_journal_replaced_beside_an_unreadable_volatile_one_names_both_in_its_fault()
    {
        var garbage = Garbage(Volatile);
        Garbage(Path.GetDirectoryName(Real)!);

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;

        Assert.Equal(Real, database.Path);
        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Equal(Real + ".damaged-20261204T160000000Z", fault.KeptAt);
        Assert.Contains(KeptVolatile, fault.Problem, StringComparison.Ordinal);
        Assert.Contains("may have been lost", fault.Problem, StringComparison.Ordinal);
        Assert.Equal(garbage, File.ReadAllBytes(KeptVolatile));
    }

    [Fact]
    public async Task An_unreadable_volatile_journal_while_the_real_one_cannot_be_opened_gives_a_fresh_volatile_one()
    {
        var blocker = TempFile("blocker");
        File.WriteAllText(blocker, "a file where a directory should be");
        var path = Path.Combine(blocker, JournalDatabase.FileName);
        var garbage = Garbage(Volatile);

        var opening = JournalOpener.Open(path, Volatile, Time);
        using var database = opening.Database;

        Assert.Equal(FallbackFile, database.Path);
        Assert.Equal(Floor - 1, database.SeqTop());
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        Assert.Contains("directory could not be created", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("cannot be read", fault.Reason, StringComparison.Ordinal);
        Assert.Contains(KeptVolatile, fault.Reason, StringComparison.Ordinal);
        Assert.Contains("may have been lost", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(garbage, File.ReadAllBytes(KeptVolatile));

        using var journal = new EventJournal(database, Time);
        journal.Publish([fault]);
        await journal.FlushAsync().WaitAsync(Patience);
        Assert.Equal(["journal.gap", "fault.journal-unavailable"], journal.ReadAfter(0, 10).Select(r => r.Type));
    }

    [Fact]
    public void A_real_journal_back_read_only_beside_an_unreadable_volatile_one_gives_a_fresh_volatile_one_with_a_fault()
    {
        // Before, the read-only journal was run on with no fault: nothing journaled, nothing said.
        JournalDatabase.Open(Real).Dispose();
        var garbage = Garbage(Volatile);

        var opening = JournalOpener.Open(Real, Volatile, Time, open: path => path == Real
            ? JournalDatabase.Open(path, null, SqliteOpenMode.ReadOnly)
            : JournalDatabase.Open(path));
        using var database = opening.Database;

        Assert.Equal(FallbackFile, database.Path);
        Assert.Equal(Floor - 1, database.SeqTop());
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        Assert.Contains("read-only", fault.Reason, StringComparison.Ordinal);
        Assert.Contains(KeptVolatile, fault.Reason, StringComparison.Ordinal);
        Assert.Contains("may have been lost", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(garbage, File.ReadAllBytes(KeptVolatile));
    }

    [Fact]
    public void A_volatile_journal_written_by_a_newer_release_while_the_real_one_cannot_be_opened_is_refused_in_place()
    {
        // Before, it was moved aside as damaged and a new one made: the lockdown it held was
        // dropped after a rollback, and only the fault's text said so.
        var blocker = TempFile("blocker");
        File.WriteAllText(blocker, "a file where a directory should be");
        var bytes = NewerVolatileJournal();

        var real = Path.Combine(blocker, JournalDatabase.FileName);
        var refused = Assert.Throws<JournalException>(() => JournalOpener.Open(real, Volatile, Time));

        Assert.True(refused.FromNewerBuild);
        Assert.Contains(FallbackFile, refused.Message, StringComparison.Ordinal);
        // The technician also learns why the gateway was on the RAM journal at all: the real
        // journal's own problem, which no newer release fixes.
        Assert.Contains($"the journal at '{real}' could not be opened", refused.Message, StringComparison.Ordinal);
        Assert.Equal(FallbackFile, refused.DatabasePath);
        Assert.Equal(bytes, File.ReadAllBytes(FallbackFile));
        Assert.False(File.Exists(KeptVolatile));
    }

    [Fact]
    public void A_volatile_journal_written_by_a_newer_release_is_refused_in_place_when_the_real_one_is_back()
    {
        JournalDatabase.Open(Real).Dispose();
        var bytes = NewerVolatileJournal();

        var refused = Assert.Throws<JournalException>(() => JournalOpener.Open(Real, Volatile, Time));

        Assert.True(refused.FromNewerBuild);
        Assert.Contains(FallbackFile, refused.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(FallbackFile));
        Assert.False(File.Exists(KeptVolatile));
        Assert.Equal(0, ReadTop(Real)); // nothing taken over: the newer release's state is not ours to read
    }

    [Fact]
    public void A_volatile_journal_written_by_a_newer_release_is_refused_beside_a_read_only_real_one()
    {
        // The real journal opens read-only but its seqs cannot be read (its outbox gone), so it
        // cannot take over and the start goes on to the volatile journal: a read-only real journal
        // was then run on in silence, the newer release's lockdown left unread in RAM.
        JournalDatabase.Open(Real).Dispose();
        Execute(Real, "DROP TABLE outbox;");
        var bytes = NewerVolatileJournal();

        var refused = Assert.Throws<JournalException>(() => JournalOpener.Open(Real, Volatile, Time, open: path => path == Real
            ? JournalDatabase.Open(path, null, SqliteOpenMode.ReadOnly)
            : JournalDatabase.Open(path)));

        Assert.True(refused.FromNewerBuild);
        Assert.Contains(FallbackFile, refused.Message, StringComparison.Ordinal);
        Assert.Equal(bytes, File.ReadAllBytes(FallbackFile));
    }

    [Fact]
    public void A_replace_given_up_on_past_its_grace_says_the_journal_was_damaged_and_where_it_is_kept()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Real)!);
        File.WriteAllBytes(Real, [9, 9, 9]);
        using var release = new ManualResetEventSlim();
        var opens = 0;

        var opening = JournalOpener.Open(Real, Volatile, Time, ReplaceDeadline, path =>
        {
            if (path != Real)
            {
                return JournalDatabase.Open(path);
            }

            if (++opens <= 2)
            {
                throw new JournalException("its header is unreadable", new SqliteException("file is not a database", 26));
            }

            release.Wait(Patience); // the new journal is never created on this card
            return JournalDatabase.Open(path);
        }, replaceGrace: TimeSpan.FromMilliseconds(300));
        using var database = opening.Database;

        Assert.Equal(FallbackFile, database.Path);
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        Assert.Contains("its header is unreadable", fault.Reason, StringComparison.Ordinal);
        Assert.Contains(Real + ".damaged-20261204T160000000Z", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("did not finish", fault.Reason, StringComparison.Ordinal);
        Assert.Equal([9, 9, 9], File.ReadAllBytes(Real + ".damaged-20261204T160000000Z"));
        // The open given up on goes on when the card answers: it makes the new journal, then closes
        // it. Waited for, or the directory is deleted under it (failed a CI run: "Directory not
        // empty" in Dispose).
        release.Set();
        Assert.True(SpinWait.SpinUntil(() => FloorRaised(Real), Patience), "the late journal is made");
    }

    [Fact]
    public async Task A_new_journal_that_a_replace_given_up_on_creates_late_leaves_the_restart_the_volatile_ones_lockdown()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Real)!);
        File.WriteAllBytes(Real, [9, 9, 9]);
        using var release = new ManualResetEventSlim();
        var first = OpenWithReplaceGivenUp(release);
        using (first.Database)
        {
            Assert.Equal(FallbackFile, first.Database.Path);
            new SqliteSafetyStateStore(first.Database).Save(Lockdown); // a panic on the RAM journal
            using var journal = new EventJournal(first.Database, Time);
            journal.Publish([first.Fault!]);
            await journal.FlushAsync().WaitAsync(Patience);
        }

        Time.Advance(TimeSpan.FromMinutes(1));
        release.Set(); // the new journal is created now, a minute after the RAM journal
        Assert.True(SpinWait.SpinUntil(() => FloorRaised(Real), Patience), "the late journal is made");

        var restart = JournalOpener.Open(Real, Volatile, Time);
        using var database = restart.Database;

        Assert.Equal(Real, database.Path);
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(database).Load());
    }

    // The real journal is damaged at both tries; the new journal in its place waits for release,
    // long past the deadline and the grace.
    private JournalOpening OpenWithReplaceGivenUp(ManualResetEventSlim release)
    {
        var opens = 0;
        return JournalOpener.Open(Real, Volatile, Time, ReplaceDeadline, path =>
        {
            if (path == Real && ++opens <= 2)
            {
                throw new JournalException("its header is unreadable", new SqliteException("file is not a database", 26));
            }

            if (path == Real)
            {
                release.Wait(Patience); // the card answers only after the boot gave up on it
            }

            return JournalDatabase.Open(path);
        }, replaceGrace: TimeSpan.FromMilliseconds(300));
    }

    private static bool FloorRaised(string path)
    {
        try
        {
            using var database = JournalDatabase.Open(path);
            return database.SeqTop() > 0;
        }
        catch (JournalException)
        {
            return false;
        }
    }

    // A RAM journal holding a lockdown, then stamped with a schema version this build does not
    // know (a newer release ran on it this boot and was rolled back). Returns its bytes.
    private byte[] NewerVolatileJournal()
    {
        using (var fallback = JournalDatabase.Open(FallbackFile))
        {
            new SqliteSafetyStateStore(fallback).Save(Lockdown);
            fallback.RaiseFloors(Floor - 1, 0, JournalGapCause.NewJournal);
        }

        Execute(FallbackFile, "PRAGMA user_version = 999;");
        return File.ReadAllBytes(FallbackFile);
    }

    private static long ReadTop(string path)
    {
        using var database = JournalDatabase.Open(path);
        return database.SeqTop();
    }

    private static void Execute(string path, string sql)
    {
        using var raw = new SqliteConnection($"Data Source={path};Pooling=False");
        raw.Open();
        using var command = raw.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
