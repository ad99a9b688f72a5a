using System.Diagnostics;
using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The boot's open of the journal always gives the gateway a journal, in bounded time, and never
/// one that reuses a seq the office may have seen (JournalOpener). On real SQLite files.
/// </summary>
public sealed class JournalOpenerTests : JournalOpenerFixture
{
    [Fact]
    public async Task A_healthy_journal_opens_as_it_is_with_no_fault_and_no_floor()
    {
        using (var database = JournalDatabase.Open(Real))
        using (var journal = new EventJournal(database, Time))
        {
            journal.Publish([Activated(1)]);
            await journal.FlushAsync().WaitAsync(Patience);
        }

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var reopened = opening.Database;

        Assert.Null(opening.Fault);
        Assert.Equal(Real, reopened.Path);
        Assert.Equal(1, reopened.SeqTop());
        Assert.False(Directory.Exists(Volatile));
    }

    [Fact]
    public void A_failure_that_may_pass_is_tried_again_within_the_deadline()
    {
        var tries = 0;
        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(10), path =>
        {
            if (++tries < 3)
            {
                throw new JournalException("busy", new SqliteException("database is locked", 5));
            }

            return JournalDatabase.Open(path);
        });
        using var database = opening.Database;

        Assert.Equal(3, tries);
        Assert.Null(opening.Fault);
        Assert.Equal(Real, database.Path);
    }

    [Fact]
    public void An_open_that_hangs_gives_the_volatile_journal_at_the_deadline_and_what_it_opens_late_is_closed()
    {
        using var release = new ManualResetEventSlim();
        JournalDatabase? late = null;
        var started = Stopwatch.GetTimestamp();

        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromMilliseconds(300), path =>
        {
            if (path == Real)
            {
                release.Wait(Patience); // a card that does not answer
                return late = JournalDatabase.Open(path);
            }

            return JournalDatabase.Open(path);
        });
        using var database = opening.Database;

        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10), "not held by the hung open");
        Assert.Equal(FallbackFile, database.Path);
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        Assert.Equal(Real, fault.Path);
        Assert.Equal(FallbackFile, fault.FallbackPath);
        Assert.Contains("did not open within 0.3 s", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(Floor - 1, database.SeqTop());

        release.Set();
        SpinWait.SpinUntil(() => late is not null, Patience);
        Assert.True(SpinWait.SpinUntil(() => IsClosed(late!), Patience), "the late open is closed again");
    }

    [Fact]
    public void A_state_directory_that_cannot_be_created_gives_the_volatile_journal_at_once()
    {
        var blocker = TempFile("blocker");
        File.WriteAllText(blocker, "a file where a directory should be");
        var path = Path.Combine(blocker, JournalDatabase.FileName);
        var started = Stopwatch.GetTimestamp();

        var opening = JournalOpener.Open(path, Volatile, Time, TimeSpan.FromSeconds(20));
        using var database = opening.Database;

        Assert.True(Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(10), "a failure that does not pass is not retried");
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        Assert.Contains("directory could not be created", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(FallbackFile, database.Path);
    }

    [Fact]
    public async Task A_damaged_file_is_moved_aside_with_its_wal_and_shm_and_a_new_journal_starts_at_the_floor_with_a_gap()
    {
        using (var database = JournalDatabase.Open(Real))
        using (var journal = new EventJournal(database, Time))
        {
            journal.Publish([Activated(1)]);
            await journal.FlushAsync().WaitAsync(Patience);
        }

        var garbage = new byte[8192];
        new Random(3).NextBytes(garbage);
        File.WriteAllBytes(Real, garbage);

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var fresh = opening.Database;

        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Equal(Real + ".damaged-20261204T160000000Z", fault.KeptAt);
        Assert.Equal(garbage, File.ReadAllBytes(fault.KeptAt));
        Assert.Contains("not a SQLite database", fault.Problem, StringComparison.Ordinal);
        Assert.Equal(Real, fresh.Path);
        Assert.Equal(SafetyState.Initial, new SqliteSafetyStateStore(fresh).Load());

        using (var journal = new EventJournal(fresh, Time))
        {
            journal.Publish([fault, Activated(2)]);
            await journal.FlushAsync().WaitAsync(Patience);
            var records = journal.ReadAfter(0, 10);
            Assert.Equal(["journal.gap", "fault.journal-replaced", "point.activated"], records.Select(r => r.Type));
            Assert.Equal(Floor, records[0].Seq);
            var gap = JsonDocument.Parse(records[0].DataJson).RootElement;
            Assert.Equal(1, gap.GetProperty("fromSeq").GetInt64());
            Assert.Equal(Floor - 1, gap.GetProperty("throughSeq").GetInt64());
            Assert.Equal("new-journal", gap.GetProperty("cause").GetString());
        }

        using var reader = JournalReader.Open(Real);
        Assert.True(JournalVerifier.Verify(reader).IsIntact, "journal verify accepts the declared jump");
    }

    [Fact]
    public void The_damaged_files_wal_and_shm_go_aside_with_it_so_none_is_replayed_into_the_new_journal()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Real)!);
        File.WriteAllBytes(Real, [9, 9, 9]);
        File.WriteAllBytes(Real + "-wal", [1, 2, 3]);
        File.WriteAllBytes(Real + "-shm", [4, 5, 6]);
        var opens = 0;

        // SQLite itself may check the WAL of a file it cannot read; this open only says "corrupt",
        // at the first try and at the one that confirms the damage.
        var opening = JournalOpener.Open(Real, Volatile, Time, open: path => ++opens <= 2
            ? throw new JournalException("damaged", new SqliteException("database disk image is malformed", 11))
            : JournalDatabase.Open(path));
        using var fresh = opening.Database;

        var kept = Assert.IsType<JournalReplaced>(opening.Fault).KeptAt;
        Assert.Equal([9, 9, 9], File.ReadAllBytes(kept));
        Assert.Equal([1, 2, 3], File.ReadAllBytes(kept + "-wal"));
        Assert.Equal([4, 5, 6], File.ReadAllBytes(kept + "-shm"));
        Assert.Equal(Floor - 1, fresh.SeqTop());
    }

    [Fact]
    public async Task A_restart_that_still_cannot_open_the_journal_continues_the_volatile_one()
    {
        var blocker = TempFile("blocker");
        File.WriteAllText(blocker, "in the way");
        var path = Path.Combine(blocker, JournalDatabase.FileName);
        long last;
        var first = JournalOpener.Open(path, Volatile, Time);
        using (first.Database)
        using (var journal = new EventJournal(first.Database, Time))
        {
            journal.Publish([first.Fault!, Activated(1)]);
            await journal.FlushAsync().WaitAsync(Patience);
            last = journal.LastSeq;
        }

        Time.Advance(TimeSpan.FromMinutes(1)); // a later floor, which must not be taken
        var second = JournalOpener.Open(path, Volatile, Time);
        using var database = second.Database;
        using var restarted = new EventJournal(database, Time);
        restarted.Publish([second.Fault!]);
        await restarted.FlushAsync().WaitAsync(Patience);

        Assert.IsType<JournalUnavailable>(second.Fault);
        var records = restarted.ReadAfter(last, 10);
        Assert.Equal(last + 1, Assert.Single(records).Seq);
    }

    [Fact]
    public void A_volatile_journal_the_real_one_is_already_above_is_stale_and_gives_it_no_safety_state()
    {
        // A volatile journal left from before the real one was last used (a retirement that failed):
        // copying its lockdown would overwrite the newer state the real journal holds.
        using (var fallback = JournalDatabase.Open(FallbackFile))
        {
            new SqliteSafetyStateStore(fallback).Save(Lockdown);
            fallback.RaiseFloors(10, 0, JournalGapCause.NewJournal);
        }

        using (var real = JournalDatabase.Open(Real))
        {
            real.RaiseFloors(100, 0, JournalGapCause.NewJournal);
        }

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;

        Assert.Null(opening.Fault);
        Assert.Equal(SafetyState.Initial, new SqliteSafetyStateStore(database).Load());
        Assert.Equal(100, database.SeqTop());
        Assert.False(File.Exists(FallbackFile), "retired all the same");
    }

    [Fact]
    public async Task A_restart_that_opens_the_real_journal_takes_the_volatile_ones_seqs_and_lockdown_and_retires_it()
    {
        long top;
        using (var fallback = JournalDatabase.Open(FallbackFile))
        {
            new SqliteSafetyStateStore(fallback).Save(Lockdown);
            fallback.RaiseFloors(Floor - 1, 0, JournalGapCause.NewJournal);
            using var journal = new EventJournal(fallback, Time);
            journal.Publish([Activated(1), Activated(2)]); // never delivered: no broker
            await journal.FlushAsync().WaitAsync(Patience);
            top = journal.LastSeq;
        }

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;

        Assert.Equal(Lockdown, new SqliteSafetyStateStore(database).Load());
        Assert.Equal(top, database.SeqTop());
        Assert.Equal(JournalGapCause.FallbackJournal, database.StartGapCause);
        var retired = Assert.Single(Directory.GetFiles(Volatile, JournalDatabase.FileName + ".retired-*"));
        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Equal(retired, fault.KeptAt);
        Assert.Contains(" 2 of its events were not delivered", fault.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_journal_written_by_a_newer_release_is_still_refused()
    {
        JournalDatabase.Open(Real).Dispose();
        using (var raw = new SqliteConnection($"Data Source={Real};Pooling=False"))
        {
            raw.Open();
            using var command = raw.CreateCommand();
            command.CommandText = "PRAGMA user_version = 999;";
            command.ExecuteNonQuery();
        }

        var refused = Assert.Throws<JournalException>(() => JournalOpener.Open(Real, Volatile, Time));

        Assert.True(refused.FromNewerBuild);
        Assert.False(Directory.Exists(Volatile));
    }

    [Fact]
    public void The_floor_is_unix_millisecondsTimes_a_thousand_far_above_a_real_journal_and_below_2_pow_53()
    {
        Assert.Equal(Floor, JournalOpener.SeqFloor(Time));
        Assert.InRange(Floor, 1_000_000_000_000_000L, 1L << 53);
    }

    private static PointActivated Activated(int n) =>
        new(Now.AddSeconds(n), "door-" + n, PointKind.DoorContact, "lobby");
}
