using Microsoft.Data.Sqlite;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The ballast (JournalDatabase.Ballast.cs): a file of <see cref="JournalDatabase.BallastBytes"/>
/// next to the database, deleted by the first commit that fails with SQLITE_FULL so that the
/// safety state and the journal's fault, which share the full disk, can still commit. The full
/// episode goes on until it is back, so door contacts do not take that space; it is written again
/// once the disk has room. (On a real 16 MiB tmpfs, checked by hand: with it, a lockdown's safety
/// save commits after the card filled up and 10,000 events came; without it, it fails.)
/// </summary>
public sealed class BallastTests : IDisposable
{
    private readonly JournalHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Opening_the_database_writes_the_ballast_next_to_it_and_keeps_one_that_is_there()
    {
        var ballast = new FileInfo(_h.Database.BallastPath);
        Assert.Equal(Path.Combine(Path.GetDirectoryName(_h.Path)!, "edgeguard.ballast"), ballast.FullName);
        Assert.Equal(JournalDatabase.BallastBytes, ballast.Length);
        Assert.False(_h.Database.BallastOut);
        var written = ballast.LastWriteTimeUtc;

        _h.Reopen();

        Assert.Equal(written, new FileInfo(_h.Database.BallastPath).LastWriteTimeUtc);
    }

    [Fact]
    public async Task A_full_disk_frees_the_ballast_and_the_episode_lasts_until_it_is_back()
    {
        await _h.PublishAndFlush(Activated(1));
        _h.Database.FreeSpace = () => 0; // the card is full
        _h.Journal.BeforeCommit = _ => throw new SqliteException("database or disk is full", 13);

        await _h.PublishAndFlush(Activated(2));

        // The commit met the full disk: the ballast's space is free, and the host is told once.
        Assert.True(_h.Database.BallastFreed);
        Assert.Equal(0, new FileInfo(_h.Database.BallastPath).Length);
        Assert.Single(_h.Errors, ex => ex.Message.Contains("the ballast", StringComparison.Ordinal));

        // Commits go through again (into the ballast's space): the fault goes in, door contacts
        // do not, since the episode lasts while the ballast is out.
        _h.Journal.BeforeCommit = null;
        await _h.PublishAndFlush(Activated(3));
        Assert.True(_h.Journal.IsFull);
        Assert.Equal(["point.activated", "journal.gap", "fault.journal-full"], _h.All().Select(r => r.Type));

        // Room on the card: the next try (a minute after the failed one) puts it back, and the
        // episode ends with the next batch.
        _h.Database.FreeSpace = () => null;
        _h.Time.Advance(EventJournal.BallastRetry);
        await _h.PublishAndFlush(Activated(4));
        Assert.False(_h.Database.BallastOut);
        Assert.Equal(JournalDatabase.BallastBytes, new FileInfo(_h.Database.BallastPath).Length);
        Assert.Contains(_h.Errors, ex => ex.Message.Contains("is back", StringComparison.Ordinal));
        await _h.PublishAndFlush(Activated(5));
        Assert.False(_h.Journal.IsFull);
        Assert.Equal(["journal.recovered", "point.activated"], _h.All().TakeLast(2).Select(r => r.Type));
        Assert.Equal("p5", _h.All()[^1].Point);
    }

    [Fact]
    public async Task A_restart_on_a_card_still_full_keeps_the_episode_until_the_ballast_is_back()
    {
        // Before, the ballast was deleted, so the next open could not tell it freed from never
        // written: the episode ended at the first commit with journal.recovered, door contacts went
        // in again, and the next SQLITE_FULL had no ballast to free for the safety save.
        await FillTheCardAsync();
        Assert.True(_h.Journal.IsFull);

        // The card still full at the restart: the ballast cannot be written back (its temporary
        // file cannot be made, as on a full disk).
        var blocked = Directory.CreateDirectory(_h.Database.BallastPath + ".new");
        _h.Reopen();
        await _h.PublishAndFlush(Activated(4));

        Assert.True(_h.Database.BallastFreed);
        Assert.True(_h.Journal.IsFull);
        Assert.DoesNotContain(_h.All(), r => r.Type == "journal.recovered");
        Assert.DoesNotContain(_h.All(), r => r.Point == "p4");

        // Room again: the ballast back, then the episode ends and door contacts go in.
        blocked.Delete();
        await BallastBackEndsTheEpisodeAsync(5);
    }

    [Fact]
    public async Task Once_the_fault_is_in_the_episodes_counts_that_fail_to_save_are_told_to_the_host_once()
    {
        // The batches of an episode whose fault is in drop everything they hold and save only the
        // episode's count: each of those that failed was logged, a line per batch.
        await FillTheCardAsync();
        Assert.Contains(_h.All(), r => r.Type == "fault.journal-full");

        // Every write refused now, the count's own commit too (BeforeCommit is the batches' only).
        WriteFailureHandOutTests.FailCommits(_h, WriteFailureHandOutTests.Failure.ReadOnly);
        await _h.PublishAndFlush(Activated(4));
        var told = _h.Errors.Count;
        Assert.Contains(_h.Errors, ex => ex.Message.Contains("readonly", StringComparison.OrdinalIgnoreCase));
        for (var i = 5; i <= 10; i++)
        {
            await _h.PublishAndFlush(Activated(i));
        }

        Assert.True(_h.Journal.IsFull);
        Assert.Equal(told, _h.Errors.Count);
    }

    // The ballast is freed by whichever commit meets the full disk first. When that was not an
    // append (here the cursor's commit; a retention step, a session or a safety save alike), no
    // episode began, and the next batches of door contacts took the ballast's 4 MiB: the fault and
    // the lockdown's safety save then found the disk full again.
    [Fact]
    public async Task The_batch_that_starts_an_episode_is_not_handed_out_before_its_commit_and_its_fault_goes_out_once()
    {
        // Before, the batch opening the episode counted as not full (the episode was still the
        // batch's own until its commit) and went out at once; its commit failed, and the fault
        // tried alone after it went out from memory too: two fault.journal-full for one episode.
        await _h.PublishAndFlush(Activated(1));
        await FreeTheBallastThroughTheCursorCommitAsync();
        _h.Journal.BeforeCommit = _ => throw new SqliteException("database or disk is full", 13);

        await _h.PublishAndFlush(Activated(2));

        Assert.True(_h.Journal.IsFull);
        Assert.Single(_h.Journal.ReadAfter(1, 100), r => r.Type == "fault.journal-full");
        Assert.Equal(_h.Journal.LastSeq - 1, _h.Journal.DurableSeq); // only the fault went out from memory
    }

    [Fact]
    public async Task A_full_disk_met_first_by_the_cursor_commit_starts_the_episode_so_door_contacts_leave_the_ballast_alone()
    {
        await _h.PublishAndFlush(Activated(1));
        await FreeTheBallastThroughTheCursorCommitAsync();

        await _h.PublishAndFlush(Activated(2));

        Assert.True(_h.Journal.IsFull);
        Assert.Equal(["point.activated", "fault.journal-full"], _h.All().Select(r => r.Type));
        Assert.Contains("freed the ballast", _h.All()[^1].DataJson, StringComparison.Ordinal);

        // Room again: the ballast back, then the episode ends and door contacts go in.
        _h.Database.FreeSpace = () => null;
        await BallastBackEndsTheEpisodeAsync(3);
    }

    // Room on the card again: the next try (a minute after the failed one) puts the ballast back
    // with batch `next`, and the episode ends with the batch after it, whose door contact goes in.
    private async Task BallastBackEndsTheEpisodeAsync(int next)
    {
        _h.Time.Advance(EventJournal.BallastRetry);
        await _h.PublishAndFlush(Activated(next));
        Assert.False(_h.Database.BallastOut);
        await _h.PublishAndFlush(Activated(next + 1));
        Assert.False(_h.Journal.IsFull);
        Assert.Equal(["journal.recovered", "point.activated"], _h.All().TakeLast(2).Select(r => r.Type));
    }

    // The card fills up: p2's commit meets it and frees the ballast (no room to write it back),
    // and p3's batch puts the episode's fault in, p3 dropped.
    private async Task FillTheCardAsync()
    {
        await _h.PublishAndFlush(Activated(1));
        _h.Database.FreeSpace = () => 0;
        _h.Journal.BeforeCommit = _ => throw new SqliteException("database or disk is full", 13);
        await _h.PublishAndFlush(Activated(2));
        _h.Journal.BeforeCommit = null;
        await _h.PublishAndFlush(Activated(3));
    }

    // The disk full and seq 1 acknowledged: the cursor's commit meets it first and frees the
    // ballast; the disk stays full.
    private async Task FreeTheBallastThroughTheCursorCommitAsync()
    {
        _h.Database.FreeSpace = () => 0;
        var failed = 0;
        _h.Journal.BeforeCursorCommit = _ =>
        {
            Interlocked.Increment(ref failed);
            throw new SqliteException("database or disk is full", 13);
        };
        _h.Journal.Acknowledged(1);
        _h.Time.Advance(EventJournal.DefaultCursorWriteInterval);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!_h.Database.BallastFreed)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the cursor commit did not free the ballast ({Volatile.Read(ref failed)} tries)");
            await Task.Delay(10);
        }

        _h.Journal.BeforeCursorCommit = null;
    }
}
