using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Data.Sqlite;
using static EdgeGuard.Journal.Tests.EventDataWriterTests;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// While SQLite cannot write (a full disk, a card the kernel remounted read-only, I/O errors) the
/// site is still protected, and the office must still hear of it: the episode's fault and the
/// events the full policy keeps (a lockdown, the safety-state fault) are handed to the publisher
/// from memory, under seqs inside the durable reservation, and declared skipped by the recovery's
/// journal.gap or by the next start's. Without that the office saw a healthy, quiet, online
/// gateway while the site was in lockdown.
/// </summary>
public sealed class WriteFailureHandOutTests
{
    /// <summary>How the disk fails.</summary>
    public enum Failure
    {
        /// <summary>SQLITE_FULL, raised inside the transaction and rolled back, as a full disk does.</summary>
        DiskFull,

        /// <summary>
        /// SQLITE_IOERR_WRITE (extended 778): a write() the kernel refused, what a card it remounts
        /// read-only while the gateway runs gives (EROFS). Production's case of a read-only card.
        /// </summary>
        IoErrorWrite,

        /// <summary>
        /// SQLITE_READONLY from SQLite itself (PRAGMA query_only): a connection that may not write.
        /// A live remount does not give this one (see IoErrorWrite); it stands for SQLite refusing
        /// the write before any of it reaches the file.
        /// </summary>
        ReadOnly,
    }

    [Theory]
    [InlineData(Failure.DiskFull)]
    [InlineData(Failure.IoErrorWrite)]
    [InlineData(Failure.ReadOnly)]
    public async Task While_commits_fail_a_lockdown_and_the_fault_reach_the_publisher_and_the_recovery_declares_their_seqs(Failure failure)
    {
        using var h = new JournalHarness();
        await h.PublishAndFlush(Activated(1));
        h.Journal.MarkDelivered(1);
        FailCommits(h, failure);

        // A door opens: handed out before its commit, which fails. The episode begins.
        await h.PublishAndFlush(Activated(2));
        Assert.True(h.Journal.IsFull);

        // A guard presses the panic button: the controller drives the outputs, cannot save its
        // state on this disk either, and publishes what happened. The door contact is dropped.
        await h.PublishAndFlush(
            Panic(T0.AddSeconds(1)),
            new LockdownStarted(T0.AddSeconds(1), "panic button", "panic-1"),
            new SafetyStateNotPersisted(T0.AddSeconds(1), "the disk is full"),
            Activated(3));

        // What the publisher reads: the fault and the lockdown, and LastSeq has moved.
        var handedOut = h.Journal.ReadAfter(h.Journal.DeliveredThrough, 100);
        Assert.Equal(
            ["point.activated", "fault.journal-full", "point.activated", "lockdown.started", "fault.safety-state-not-persisted"],
            handedOut.Select(record => record.Type));
        Assert.Equal([2L, 3, 4, 5, 6], handedOut.Select(record => record.Seq));
        Assert.Equal(6, h.Journal.LastSeq);
        Assert.Equal(1, h.Journal.DurableSeq);
        Assert.Equal("panic-1", handedOut[2].Point);
        Assert.Equal(handedOut[3], h.Journal.FindById(handedOut[3].Id));
        Assert.True(h.Journal.IsFull);
        Assert.Equal(5, h.Journal.Dropped);
        // The publisher acknowledges them like any record: in memory, and as the durable cursor.
        h.Journal.Acknowledged(6);
        var fault = Assert.Single(h.JournalEvents.OfType<JournalFull>());
        var reason = failure switch
        {
            Failure.DiskFull => "the disk is full",
            Failure.IoErrorWrite => "disk I/O error",
            _ => "the journal could not be written",
        };
        Assert.Equal(reason, fault.Reason.Split(':')[0]);

        // Room again: the next commit declares every seq handed out from memory skipped, then the
        // fault and the recovery go into the file.
        AllowCommits(h, failure);
        await h.PublishAndFlush(Activated(100));

        var records = h.All();
        Assert.Equal(["point.activated", "journal.gap", "fault.journal-full", "journal.recovered", "point.activated"], records.Select(record => record.Type));
        Assert.Equal([1L, 7, 8, 9, 10], records.Select(record => record.Seq));
        AssertData(records[1].DataJson, ("fromSeq", 2L), ("throughSeq", 6L), ("cause", "write-failed"));
        AssertData(records[3].DataJson, ("dropped", 5L));
        Assert.Equal("p100", records[4].Point);
        Assert.False(h.Journal.IsFull);
        // The commit carried the acknowledged prefix as the cursor: a seq inside the skipped range.
        Assert.Equal(6, h.Journal.DeliveredThrough);
        // The publisher goes on from the records it had, seq by seq, to the gap row.
        Assert.Equal([2L, 3, 4, 5, 6, 7, 8, 9, 10], h.Journal.ReadAfter(1, 100).Select(record => record.Seq));
        AssertIntact(h.Path);

        // A restart never hands those seqs out again.
        h.Reopen();
        Assert.Equal([7L, 8, 9, 10], h.Journal.ReadAfter(1, 100).Select(record => record.Seq));
        Assert.Null(h.Journal.FindById(handedOut[3].Id));
        await h.PublishAndFlush(Activated(200));
        Assert.Equal(11, h.Journal.LastSeq);
        Assert.Equal("p200", h.All()[^1].Point);
        AssertIntact(h.Path);
    }

    [Fact]
    public async Task A_restart_before_the_disk_recovers_declares_the_seqs_handed_out_from_memory_and_never_reuses_them()
    {
        using var h = new JournalHarness();
        await h.PublishAndFlush(Activated(1));
        FailCommits(h, Failure.DiskFull);
        await h.PublishAndFlush(Activated(2));
        await h.PublishAndFlush(new LockdownStarted(T0.AddSeconds(1), "panic button", "panic-1"));
        Assert.Equal(["point.activated", "fault.journal-full", "lockdown.started"], h.Journal.ReadAfter(1, 100).Select(record => record.Type));
        // The publisher's cursor write may still succeed (the rows do not fit, a cursor update
        // does): it points at a seq that was never committed.
        h.Journal.MarkDelivered(4);
        var reserved = h.Database.Read(connection => Scalar(connection, "SELECT reserved_through FROM gateway_meta;"));
        Assert.True(reserved >= 4, $"handed out beyond the durable reservation {reserved}");

        // The stop cannot give the reservation back: the next start declares all of it.
        h.Reopen();
        Assert.Equal(4, h.Journal.DeliveredThrough);
        await h.PublishAndFlush(Activated(3));

        var records = h.All();
        Assert.Equal(["point.activated", "journal.gap", "point.activated"], records.Select(record => record.Type));
        AssertData(records[1].DataJson, ("fromSeq", 2L), ("throughSeq", reserved), ("cause", "unclean-shutdown"));
        Assert.Equal(reserved + 1, records[1].Seq);
        Assert.Equal(reserved + 2, records[2].Seq);
        // The office resumes after its cursor, at the gap row: nothing is sent twice under another id.
        Assert.Equal([reserved + 1, reserved + 2], h.Journal.ReadAfter(h.Journal.DeliveredThrough, 100).Select(record => record.Seq));
        AssertIntact(h.Path);
    }

    [Fact]
    public async Task Hand_outs_from_memory_stop_at_the_end_of_the_reservation_and_the_host_is_told_once()
    {
        using var h = new JournalHarness();
        await h.PublishAndFlush(Activated(1));
        var reserved = 1L + EventJournal.ReserveAhead;
        FailCommits(h, Failure.DiskFull);
        await h.PublishAndFlush(Activated(2));

        // More kept events than the reservation has seqs: a lockdown retriggered over and over.
        var beyond = 100;
        var retriggers = (int)(reserved - 3) + beyond;
        await h.PublishAndFlush(
            Enumerable.Range(0, retriggers)
                .Select(i => (DomainEvent)new LockdownRetriggered(T0.AddMilliseconds(i), "panic button", "panic-1"))
                .ToArray());

        // Every seq up to the reservation went out, in order, and nothing beyond it: memory holds
        // at most ReserveAhead records, all still in the tail.
        Assert.Equal(reserved, h.Journal.LastSeq);
        var handedOut = h.Journal.ReadAfter(1, int.MaxValue);
        Assert.Equal(Enumerable.Range(2, (int)reserved - 1).Select(i => (long)i), handedOut.Select(record => record.Seq));
        Assert.Equal("fault.journal-full", handedOut[1].Type);
        Assert.All(handedOut.Skip(2), record => Assert.Equal("lockdown.retriggered", record.Type));
        Assert.Single(h.Errors, ex => ex.Message.Contains("reservation", StringComparison.Ordinal));

        AllowCommits(h, Failure.DiskFull);
        await h.PublishAndFlush(Activated(3));

        var records = h.All();
        Assert.Equal(["point.activated", "journal.gap", "fault.journal-full", "journal.recovered", "point.activated"], records.Select(record => record.Type));
        AssertData(records[1].DataJson, ("fromSeq", 2L), ("throughSeq", reserved), ("cause", "write-failed"));
        AssertData(records[3].DataJson, ("dropped", 1L + retriggers));
        AssertIntact(h.Path);
    }

    [Fact]
    public async Task In_a_write_failure_episode_events_the_policy_drops_are_not_handed_out()
    {
        using var h = new JournalHarness();
        await h.PublishAndFlush(Activated(1));
        FailCommits(h, Failure.DiskFull);
        await h.PublishAndFlush(Activated(2));

        await h.PublishAndFlush(Activated(3), Activated(4), new LockdownClearRefused(T0, "guard-7", "wrong code"));

        // Only the fault follows the event that was already handed out when the disk failed.
        Assert.Equal(["point.activated", "fault.journal-full"], h.Journal.ReadAfter(1, 100).Select(record => record.Type));
        Assert.Equal(4, h.Journal.Dropped);
    }

    [Fact]
    public async Task In_a_write_failure_episode_a_resends_end_goes_out_beside_its_commands_done()
    {
        // The office's resend is answered done, and resend.ended says how far it got: on a failing
        // card the office got the done and waited for an end that was dropped.
        using var h = new JournalHarness();
        await h.PublishAndFlush(Activated(1));
        FailCommits(h, Failure.DiskFull);
        await h.PublishAndFlush(Activated(2));

        const string resend = "5d0c3b8e-2f1a-4c7d-9e6b-8a1f0c2d4e6f";
        await h.PublishAndFlush(
            new CommandDone(T0.AddSeconds(1), resend, Core.Commands.CommandType.Resend, "officer.jones", "resending seqs 1 to 1"),
            new ResendEnded(T0.AddSeconds(2), resend, 1, 1, 1, 1, null));

        Assert.Equal(
            ["point.activated", "fault.journal-full", "command.done", "resend.ended"],
            h.Journal.ReadAfter(1, 100).Select(record => record.Type));
    }

    // A failed fsync (IOERR_FSYNC) comes after the WAL's commit frame was written, and the next
    // start may find that commit under the seqs a hand-out from memory would have taken; so may
    // an I/O error that does not say which call failed. Nothing goes out then.
    [Theory]
    [InlineData(10)] // SQLITE_IOERR, no detail
    [InlineData(1034)] // SQLITE_IOERR_FSYNC
    public async Task After_an_IO_error_that_may_follow_the_commit_frame_nothing_is_handed_out_from_memory(int extended)
    {
        using var h = new JournalHarness();
        await h.PublishAndFlush(Activated(1));
        h.Journal.BeforeCommit = _ => throw new SqliteException("disk I/O error", 10, extended);
        await h.PublishAndFlush(Activated(2)); // handed out before its commit, as any first failure

        await h.PublishAndFlush(Panic(T0.AddSeconds(1)), new LockdownStarted(T0.AddSeconds(1), "panic-button", "panic-1"));

        Assert.Equal(2, h.Journal.LastSeq);
        Assert.Empty(h.Journal.ReadAfter(2, 100));
    }

    [Theory]
    [InlineData(Failure.DiskFull)]
    [InlineData(Failure.IoErrorWrite)]
    [InlineData(Failure.ReadOnly)]
    public async Task A_disk_that_keeps_failing_is_told_to_the_host_once_per_episode_not_at_every_batch(Failure failure)
    {
        // Before, every failed batch was logged, and the fault's own try after it too: two lines
        // per batch into journald, often on the same failing card.
        using var h = new JournalHarness();
        await h.PublishAndFlush(Activated(1));
        h.Database.FreeSpace = () => failure == Failure.DiskFull ? 0 : null; // no room to put the ballast back
        FailCommits(h, failure);
        await h.PublishAndFlush(Activated(2));
        var told = h.Errors.Count;
        Assert.Contains(h.Errors, IsWriteFailure);

        for (var i = 3; i <= 8; i++)
        {
            await h.PublishAndFlush(Activated(i));
        }

        Assert.Equal(told, h.Errors.Count);
        Assert.True(h.Journal.IsFull);

        // The episode ends (a full disk's once the ballast is back); the next one's first failure
        // is told again.
        AllowCommits(h, failure);
        h.Database.FreeSpace = () => null;
        h.Time.Advance(EventJournal.BallastRetry);
        await h.PublishAndFlush(Activated(9));
        await h.PublishAndFlush(Activated(10));
        Assert.False(h.Journal.IsFull);
        FailCommits(h, failure);
        await h.PublishAndFlush(Activated(11));
        Assert.Equal(2, h.Errors.Count(IsWriteFailure));

        static bool IsWriteFailure(Exception ex) => ex is SqliteException || ex.InnerException is SqliteException;
    }

    internal static void FailCommits(JournalHarness h, Failure failure)
    {
        if (failure == Failure.DiskFull)
        {
            h.Journal.BeforeCommit = _ => throw new SqliteException("database or disk is full", 13);
        }
        else if (failure == Failure.IoErrorWrite)
        {
            // As Microsoft.Data.Sqlite raises it: the primary code, and the extended one beside it.
            h.Journal.BeforeCommit = _ => throw new SqliteException("disk I/O error", 10, 778);
        }
        else
        {
            h.Database.Read(connection => Scalar(connection, "PRAGMA query_only = 1;"));
        }
    }

    internal static void AllowCommits(JournalHarness h, Failure failure)
    {
        if (failure is Failure.DiskFull or Failure.IoErrorWrite)
        {
            h.Journal.BeforeCommit = null;
        }
        else
        {
            h.Database.Read(connection => Scalar(connection, "PRAGMA query_only = 0;"));
        }
    }

    internal static long Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() is long value ? value : 0;
    }

    private static PointActivated Panic(DateTimeOffset at) => new(at, "panic-1", PointKind.PanicButton, "zone-a");
}
