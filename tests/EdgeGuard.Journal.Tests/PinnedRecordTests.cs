using Microsoft.Data.Sqlite;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using static EdgeGuard.Journal.Tests.JournalHarness;
using static EdgeGuard.Journal.Tests.WriteFailureHandOutTests;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A record handed to the publisher that never reached SQLite (its commit failed, or it went out
/// from memory while commits failed) exists only in memory. It must stay readable until the
/// office has acknowledged it, however many records come after it: with the link down through a
/// disk-full episode and beyond, such a lockdown otherwise fell out of the in-memory tail after
/// 8,192 more events, and the office only ever heard its seq declared skipped by journal.gap.
/// </summary>
public sealed class PinnedRecordTests
{
    // More than the tail holds, so anything kept only by the tail is gone.
    private static readonly int MoreThanTheTail = EventJournal.TailCapacity + EventJournal.MaxBatch;

    [Theory]
    [InlineData(Failure.DiskFull)]
    [InlineData(Failure.ReadOnly)]
    public async Task A_lockdown_handed_out_from_memory_is_still_read_after_the_tail_moved_on_with_the_cursor_behind_it(Failure failure)
    {
        using var h = new JournalHarness();
        var fromMemory = await LockdownFromMemoryThenRecovery(h, failure);
        var lockdown = fromMemory[3];

        // The office link stays down (the cursor never moves) while the site goes on.
        await h.PublishAndFlush(Enumerable.Range(1000, MoreThanTheTail).Select(i => (DomainEvent)Activated(i)).ToArray());
        Assert.Equal(1, h.Journal.DeliveredThrough);
        Assert.Equal(9 + MoreThanTheTail, h.Journal.LastSeq);

        // The publisher resumes at its cursor: the records it was handed from memory come first,
        // as they were handed out (same ids, same seqs), then the gap row that declares them.
        var resumed = h.Journal.ReadAfter(h.Journal.DeliveredThrough, 256);
        Assert.Equal(fromMemory, resumed.Take(4));
        Assert.Equal("journal.gap", resumed[4].Type);
        Assert.Equal(6, resumed[4].Seq);
        Assert.Equal(lockdown, h.Journal.FindById(lockdown.Id));

        // Paging through the outbox as the publisher does, in small and large pages: every seq
        // from the cursor to LastSeq comes once, in order, from memory or from SQLite.
        var expected = Enumerable.Range(2, (int)h.Journal.LastSeq - 1).Select(i => (long)i).ToList();
        Assert.Equal(expected, ReadEverything(h.Journal, 3));
        Assert.Equal(expected, ReadEverything(h.Journal, 256));
        AssertIntact(h.Path);
    }

    [Fact]
    public async Task Records_kept_from_memory_are_released_once_delivered()
    {
        using var h = new JournalHarness();
        var fromMemory = await LockdownFromMemoryThenRecovery(h, Failure.DiskFull);
        await h.PublishAndFlush(Enumerable.Range(1000, MoreThanTheTail).Select(i => (DomainEvent)Activated(i)).ToArray());
        Assert.Equal(fromMemory[1], h.Journal.FindById(fromMemory[1].Id));
        Assert.Equal(4, h.Journal.PinnedCount);

        // The publisher's cursor write covers the door and the fault (seqs 2 and 3): only they go.
        h.Journal.MarkDelivered(3);
        Assert.Equal(2, h.Journal.PinnedCount);
        Assert.Null(h.Journal.FindById(fromMemory[1].Id));
        Assert.Equal([4L, 5, 6, 7], h.Journal.ReadAfter(1, 4).Select(record => record.Seq));
        Assert.Equal(fromMemory[3], h.Journal.FindById(fromMemory[3].Id));

        // A commit that carries the acknowledged prefix as the cursor releases the lockdown too.
        h.Journal.Acknowledged(5);
        await h.PublishAndFlush(Activated(5000));
        Assert.Equal(5, h.Journal.DeliveredThrough);
        Assert.Equal(0, h.Journal.PinnedCount);
        Assert.Null(h.Journal.FindById(fromMemory[2].Id));
        Assert.Null(h.Journal.FindById(fromMemory[3].Id));
        Assert.Equal([6L, 7], h.Journal.ReadAfter(1, 2).Select(record => record.Seq));
    }

    [Fact]
    public async Task Pinned_records_are_bounded_and_a_full_set_stops_hand_outs_before_the_commit_and_from_memory()
    {
        using var h = new JournalHarness();
        h.Journal.PinCapacity = 8;
        await h.PublishAndFlush(Activated(1));
        h.Journal.MarkDelivered(1);
        FailCommits(h, Failure.DiskFull);

        // The door at 2 (before its commit) and the fault at 3 leave room for 6 of 10 retriggers.
        await h.PublishAndFlush(Activated(2));
        await h.PublishAndFlush(Enumerable.Range(0, 10).Select(i => (DomainEvent)Retriggered(i)).ToArray());
        Assert.Equal(9, h.Journal.LastSeq);
        Assert.Equal(Enumerable.Range(2, 8).Select(i => (long)i), h.Journal.ReadAfter(1, 100).Select(record => record.Seq));
        Assert.Equal(8, h.Journal.PinnedCount);
        Assert.Single(h.Errors, ex => ex.Message.Contains("not acknowledged", StringComparison.Ordinal));

        // The disk recovers (gap 10, fault 11, recovered 12, door 13); the office is still away.
        AllowCommits(h, Failure.DiskFull);
        await h.PublishAndFlush(Activated(100));
        Assert.Equal(13, h.Journal.LastSeq);

        // No room to pin a batch whose commit might fail: it is announced only after its commit.
        long announcedAtCommit = 0;
        h.Journal.BeforeCommit = _ => announcedAtCommit = h.Journal.LastSeq;
        await h.PublishAndFlush(Activated(101));
        Assert.Equal(13, announcedAtCommit);
        Assert.Equal(14, h.Journal.LastSeq);

        // Nor does a failed commit hand anything out from memory: the lockdown is dropped, counted.
        FailCommits(h, Failure.DiskFull);
        var dropped = h.Journal.Dropped;
        await h.PublishAndFlush(new LockdownStarted(T0.AddSeconds(2), "panic button", "panic-1"));
        Assert.Equal(14, h.Journal.LastSeq);
        Assert.Equal(dropped + 1, h.Journal.Dropped);
        Assert.Equal(8, h.Journal.PinnedCount);
        Assert.Equal(2, h.Errors.Count(ex => ex.Message.Contains("not acknowledged", StringComparison.Ordinal)));

        // The office acknowledges: the pins go, and the next lockdown reaches the publisher again.
        // The acknowledgement also wakes the writer to retry the episode; its commit is held
        // (still failing) until the count is read, so the fault it then hands out from memory
        // cannot be pinned before that.
        var retry = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Journal.BeforeCommit = _ =>
        {
            retry.Task.Wait(TimeSpan.FromSeconds(10));
            throw new SqliteException("database or disk is full", 13);
        };
        h.Journal.MarkDelivered(14);
        Assert.Equal(0, h.Journal.PinnedCount);
        retry.SetResult();
        await h.PublishAndFlush(new LockdownStarted(T0.AddSeconds(3), "panic button", "panic-1"));
        Assert.Equal(["fault.journal-full", "lockdown.started"], h.Journal.ReadAfter(14, 100).Select(record => record.Type));
        Assert.Equal(2, h.Journal.PinnedCount);

        // With room, a batch is handed out before its commit again.
        AllowCommits(h, Failure.DiskFull);
        await h.PublishAndFlush(Activated(102));
        h.Journal.MarkDelivered(h.Journal.LastSeq);
        h.Journal.BeforeCommit = _ => announcedAtCommit = h.Journal.LastSeq;
        await h.PublishAndFlush(Activated(103));
        Assert.Equal(h.Journal.LastSeq, announcedAtCommit);
        AssertIntact(h.Path);
    }

    // Seq 1 delivered; the disk fails: the door at 2 (handed out before its commit), the episode's
    // fault at 3, the panic button at 4 and the lockdown at 5 (from memory) exist only in memory.
    // Then the disk recovers: gap 6 (2..5), fault 7, recovered 8, door 9. Returns seqs 2..5.
    private static async Task<IReadOnlyList<JournalRecord>> LockdownFromMemoryThenRecovery(JournalHarness h, Failure failure)
    {
        await h.PublishAndFlush(Activated(1));
        h.Journal.MarkDelivered(1);
        FailCommits(h, failure);
        await h.PublishAndFlush(Activated(2));
        await h.PublishAndFlush(
            new PointActivated(T0.AddSeconds(1), "panic-1", PointKind.PanicButton, "zone-a"),
            new LockdownStarted(T0.AddSeconds(1), "panic button", "panic-1"));
        var fromMemory = h.Journal.ReadAfter(1, 100);
        Assert.Equal(["point.activated", "fault.journal-full", "point.activated", "lockdown.started"], fromMemory.Select(record => record.Type));
        Assert.Equal([2L, 3, 4, 5], fromMemory.Select(record => record.Seq));

        AllowCommits(h, failure);
        await h.PublishAndFlush(Activated(100));
        Assert.Equal(["point.activated", "journal.gap", "fault.journal-full", "journal.recovered", "point.activated"], h.All().Select(record => record.Type));
        Assert.Equal(9, h.Journal.LastSeq);
        return fromMemory;
    }

    private static LockdownRetriggered Retriggered(int i) => new(T0.AddMilliseconds(i), "panic button", "panic-1");

    // What a publisher reads from afterSeq to LastSeq, page by page.
    private static List<long> ReadEverything(EventJournal journal, int page)
    {
        var seqs = new List<long>();
        var after = journal.DeliveredThrough;
        while (after < journal.LastSeq)
        {
            var records = journal.ReadAfter(after, page);
            Assert.NotEmpty(records);
            Assert.True(records.Count <= page);
            seqs.AddRange(records.Select(record => record.Seq));
            after = records[^1].Seq;
        }

        return seqs;
    }

    // The cursor moves (a PUBACK on the publisher's thread) while a failed commit pins what it had
    // handed out, after the pinning read the cursor: the release saw nothing pinned yet and did
    // not look again, so delivered records stayed pinned (taking PinCapacity) until the cursor
    // moved once more, which a quiet site may not do for a long time.
    [Fact]
    public async Task A_cursor_that_moves_while_records_are_being_pinned_leaves_none_of_them_pinned()
    {
        using var h = new JournalHarness();
        await h.PublishAndFlush(Activated(1));
        var moved = false;
        h.Journal.AfterPinReadsCursor = _ =>
        {
            if (!moved)
            {
                moved = true;
                h.Journal.MarkDelivered(3); // the office acknowledged both while their commit failed
            }
        };
        FailCommits(h, Failure.DiskFull);

        await h.PublishAndFlush(Activated(2), Activated(3)); // handed out early; the commit fails

        Assert.True(moved);
        Assert.Equal(3, h.Journal.DeliveredThrough);
        // What the failed commit handed out from memory after them (the fault) is pinned; nothing
        // the office has acknowledged is.
        var undelivered = h.Journal.ReadAfter(h.Journal.DeliveredThrough, 100);
        Assert.Equal(["fault.journal-full"], undelivered.Select(record => record.Type));
        Assert.Equal(undelivered.Count, h.Journal.PinnedCount);
    }
}
