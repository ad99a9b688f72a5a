using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A journal confirmed damaged is moved aside and a new one made in its place, seeded from the
/// file it kept as the volatile journal is seeded from a card it cannot write (JournalOpener.Seed.cs).
/// Before, the new journal started with no safety state and an empty replay store, though the
/// damage is often one page: the lockdown in force was lost (the site booted Normal), and a
/// signed command captured off the broker could be re-published within its window and run again.
/// </summary>
public sealed class JournalOpenerReplacedSeedTests : JournalOpenerFixture
{
    private static readonly byte[] Hash = [7, .. new byte[31]];

    private static readonly CommandFinal Done = new(true, null);

    private static ReplayWindow Window => new(Now.AddSeconds(-30), Now.AddMinutes(10));

    [Fact]
    public void The_new_journal_keeps_the_lockdown_and_the_commands_the_damaged_one_had_seen()
    {
        RecordSeenCommands("cmd-evacuate");
        SaveLockdownOnTheCard(olderSchema: false);
        SqlitePages.CorruptRootPage(Real, "events_gaps"); // under the start's reads: confirmed at two tries

        Time.Advance(TimeSpan.FromSeconds(20)); // the restart
        var opening = JournalOpener.Open(Real, Volatile, Time, ReplaceDeadline);
        using var db = opening.Database;

        Assert.Equal(Real, db.Path);
        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.True(File.Exists(fault.KeptAt), "kept aside");
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(db, Time).Load());
        using var seen = new SqliteSeenCommandIds(db, Time);
        Assert.Equal(SeenStatus.Finished, seen.Record("cmd-evacuate", Hash, Window, Time.GetUtcNow()).Status);
        Assert.Contains("malformed", fault.Problem, StringComparison.Ordinal);
        Assert.Contains("a lockdown in force stays in force", fault.Problem, StringComparison.Ordinal);
        Assert.Contains("a replay of one is refused as a repeat", fault.Problem, StringComparison.Ordinal);
        Assert.DoesNotContain("may have been lost", fault.Problem, StringComparison.Ordinal);
        Assert.False(File.Exists(FallbackFile), "no volatile journal");
    }

    [Fact]
    public async Task The_new_journal_starts_above_the_kept_files_seqs_and_sessions_when_the_clock_is_behind_them()
    {
        var card = await WriteCardADayAheadAsync(sessions: 2);
        SqlitePages.CorruptRootPage(Real, "events_gaps");

        var opening = JournalOpener.Open(Real, Volatile, Time, ReplaceDeadline);
        using var db = opening.Database;

        Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.True(db.SeqTop() > card.Top, $"the new journal's seqs start above {db.SeqTop()}, the kept file's reached {card.Top}");
        using var journal = new EventJournal(db, Time);
        var session = journal.NextSession();
        Assert.True(session > card.Session, $"session {session} on the new journal after {card.Session} on the kept file");
    }

    [Fact]
    public void An_unreadable_safety_state_page_in_the_kept_file_is_named_in_the_fault_and_the_commands_are_still_kept()
    {
        RecordSeenCommands("cmd-open-door");
        SaveLockdownOnTheCard(olderSchema: false);
        SqlitePages.CorruptRootPage(Real, "safety_state");
        SqlitePages.CorruptRootPage(Real, "events_gaps");

        var opening = JournalOpener.Open(Real, Volatile, Time, ReplaceDeadline);
        using var db = opening.Database;

        Assert.Equal(Real, db.Path);
        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Contains("its saved safety state cannot be read (", fault.Problem, StringComparison.Ordinal);
        Assert.Contains("a lockdown in force on it may have been lost", fault.Problem, StringComparison.Ordinal);
        Assert.Contains("the office commands it had seen were read", fault.Problem, StringComparison.Ordinal);
        Assert.Equal(SiteMode.Normal, new SqliteSafetyStateStore(db, Time).Load().Mode);
        using var seen = new SqliteSeenCommandIds(db, Time);
        Assert.Equal(SeenStatus.Finished, seen.Record("cmd-open-door", Hash, Window, Now).Status);
    }

    [Fact]
    public void An_unreadable_replay_store_in_the_kept_file_is_named_in_the_fault_and_the_lockdown_is_still_kept()
    {
        // Enough rows that seen_commands' root page is an interior page of its own.
        RecordSeenCommands([.. Enumerable.Range(0, 400).Select(i => $"cmd-{i:D4}-{new string('x', 40)}")]);
        SaveLockdownOnTheCard(olderSchema: false);
        SqlitePages.CorruptRootPage(Real, "seen_commands");
        SqlitePages.CorruptRootPage(Real, "events_gaps");

        var opening = JournalOpener.Open(Real, Volatile, Time, ReplaceDeadline);
        using var db = opening.Database;

        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Contains("the office commands it had seen cannot be read (", fault.Problem, StringComparison.Ordinal);
        Assert.Contains("could run again if its message is replayed within its window", fault.Problem, StringComparison.Ordinal);
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(db, Time).Load());
    }

    // A kill after the damaged file was moved aside and before the new journal's floors (and its
    // seed, committed with them) leaves a new journal nothing ran on beside the kept file: the
    // next start finishes the replace (JournalOpener.FinishReplace) and seeds it then.
    [Fact]
    public void A_kill_before_the_new_journals_first_commit_is_finished_with_the_seed_at_the_next_start()
    {
        RecordSeenCommands("cmd-evacuate");
        SaveLockdownOnTheCard(olderSchema: false);
        SqlitePages.CorruptRootPage(Real, "events_gaps");

        // The hook stands for the kill: whatever the first start does after it does not count.
        var opens = 0;
        JournalOpener.Open(Real, Volatile, Time, ReplaceDeadline, path =>
        {
            if (path == Real && ++opens == 3)
            {
                JournalDatabase.Open(path).Dispose();
                throw new InvalidOperationException("killed after the create, before the floors");
            }

            return JournalDatabase.Open(path);
        }).Database.Dispose();

        Assert.Equal(3, opens);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(Real)!, "*.damaged-*"));
        if (Directory.Exists(Volatile))
        {
            Directory.Delete(Volatile, recursive: true); // a power cut: /run is gone
        }

        Time.Advance(TimeSpan.FromSeconds(30));
        var second = JournalOpener.Open(Real, Volatile, Time);
        using var db = second.Database;
        Assert.Equal(Real, db.Path);
        var fault = Assert.IsType<JournalReplaced>(second.Fault);
        Assert.Contains("a lockdown in force stays in force", fault.Problem, StringComparison.Ordinal);
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(db, Time).Load());
        using var seen = new SqliteSeenCommandIds(db, Time);
        Assert.Equal(SeenStatus.Finished, seen.Record("cmd-evacuate", Hash, Window, Time.GetUtcNow()).Status);
    }

    // A damaged file the boot did not just move (a technician deleted the journal beside an old
    // one kept aside): its lockdown is an old one, not the state in force before this start, and
    // is not restored. The floors still go above what it gave out.
    [Fact]
    public void A_journal_deleted_beside_an_old_damaged_file_is_not_seeded_from_it()
    {
        SaveLockdownOnTheCard(olderSchema: false);
        SqlitePages.CorruptRootPage(Real, "events_gaps");
        using (var first = JournalOpener.Open(Real, Volatile, Time, ReplaceDeadline).Database)
        {
            new SqliteSafetyStateStore(first, Time).Save(SafetyState.Initial); // the office cleared it
        }

        File.Delete(Real);
        File.Delete(Real + "-wal");
        File.Delete(Real + "-shm");

        var second = JournalOpener.Open(Real, Volatile, Time);
        using var db = second.Database;
        Assert.IsType<JournalReplaced>(second.Fault);
        Assert.Equal(SiteMode.Normal, new SqliteSafetyStateStore(db, Time).Load().Mode);
    }

    private void RecordSeenCommands(params string[] ids)
    {
        using var database = JournalDatabase.Open(Real);
        using var seen = new SqliteSeenCommandIds(database, Time);
        foreach (var id in ids)
        {
            Assert.Equal(SeenStatus.New, seen.Record(id, Hash, Window, Now, Done).Status);
        }
    }
}
