using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The replay store shares the journal's one connection with the writer. An SD card hung in fsync
/// holds the writer inside its commit for minutes; the office's commands must get a prompt
/// <c>unavailable</c> then, not wait for the card. These tests hold the writer inside a commit
/// instead of timing a disk; every wait is bounded by <see cref="Patience"/>.
/// </summary>
public sealed class SeenCommandWaitTests : HeldWriterFixture
{
    private static readonly byte[] Hash = SHA256.HashData("payload"u8);

    [Fact]
    public async Task Record_start_and_finish_give_up_as_busy_while_the_writer_is_held_inside_a_commit()
    {
        var seen = new SqliteSeenCommandIds(H.Database, H.Time) { Wait = TimeSpan.FromMilliseconds(100) };
        var window = new ReplayWindow(T0.AddSeconds(-30), T0.AddSeconds(90));
        Assert.Equal(SeenStatus.New, seen.Record("c-1", Hash, window, T0).Status);
        await HoldTheWriterInsideACommit();

        // Before the bound each of these waited for the commit, for as long as the disk took: here
        // until the test released the writer, twice Patience later.
        var record = await Assert.ThrowsAsync<JournalException>(() => Task.Run(() => seen.Record("c-2", Hash, window, T0)).WaitAsync(Patience));
        Assert.Contains("busy", record.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<JournalException>(() => Task.Run(() => seen.Start("c-1")).WaitAsync(Patience));
        await Assert.ThrowsAsync<JournalException>(() => Task.Run(() => seen.Finish("c-1", new CommandFinal(true, null))).WaitAsync(Patience));

        ReleaseTheWriter();
        await H.Flush();
        // Nothing was written by the ones that gave up: c-2 is new, c-1 unfinished.
        Assert.Equal(SeenStatus.New, seen.Record("c-2", Hash, window, T0).Status);
        Assert.Equal(SeenStatus.Unfinished, seen.Record("c-1", Hash, window, T0).Status);
    }

    [Fact]
    public async Task A_wait_that_ran_out_says_so_with_a_timeout_unlike_a_failing_disk()
    {
        // The command path carries out an authentic lockdown the store did not answer for in time,
        // but refuses on a store that failed: the exception must tell the two apart.
        var seen = new SqliteSeenCommandIds(H.Database, H.Time) { Wait = TimeSpan.FromMilliseconds(100) };
        var window = new ReplayWindow(T0.AddSeconds(-30), T0.AddSeconds(90));
        await HoldTheWriterInsideACommit();

        var busy = await Assert.ThrowsAsync<JournalException>(() => Task.Run(() => seen.Record("c-1", Hash, window, T0)).WaitAsync(Patience));

        Assert.IsType<TimeoutException>(busy.InnerException);
        Assert.True(UnrecordedCommands.DidNotAnswerInTime(busy));
        Assert.False(UnrecordedCommands.DidNotAnswerInTime(new JournalException("disk I/O error")));
    }

    [Fact]
    public async Task RecordWithin_gives_up_after_the_wait_given_when_that_is_shorter_than_the_stores_own()
    {
        // A lockdown's record waits only for what is left of its one-second deadline; the store's
        // own bound (a slow card's, here longer than the test's patience) is not waited out.
        var seen = new SqliteSeenCommandIds(H.Database, H.Time) { Wait = 2 * Patience };
        var window = new ReplayWindow(T0.AddSeconds(-30), T0.AddSeconds(90));
        await HoldTheWriterInsideACommit();

        var busy = await Assert.ThrowsAsync<JournalException>(
            () => Task.Run(() => seen.RecordWithin("c-1", Hash, window, T0, TimeSpan.FromMilliseconds(100))).WaitAsync(Patience));

        Assert.Contains("more than 100 ms", busy.Message, StringComparison.Ordinal);
        Assert.True(UnrecordedCommands.DidNotAnswerInTime(busy));
        ReleaseTheWriter();
        await H.Flush();
        Assert.Equal(SeenStatus.New, seen.Record("c-1", Hash, window, T0).Status); // nothing was written
    }

    [Fact]
    public async Task StartWithin_with_no_time_left_gives_up_at_once_while_the_writer_is_held()
    {
        // A lockdown whose recording deadline passed (its command.received hangs in this commit):
        // its start mark does not wait the store's own bound (here longer than the test's patience).
        var seen = new SqliteSeenCommandIds(H.Database, H.Time) { Wait = 2 * Patience };
        seen.Record("c-1", Hash, new ReplayWindow(T0.AddSeconds(-30), T0.AddSeconds(90)), T0);
        await HoldTheWriterInsideACommit();

        var busy = await Assert.ThrowsAsync<JournalException>(() => Task.Run(() => seen.StartWithin("c-1", TimeSpan.Zero)).WaitAsync(Patience));

        Assert.Contains("more than 0 ms", busy.Message, StringComparison.Ordinal);
        Assert.True(UnrecordedCommands.DidNotAnswerInTime(busy));
        ReleaseTheWriter();
        await H.Flush();
        seen.StartWithin("c-1", TimeSpan.Zero); // a free database is taken with no time left
        Assert.Equal(SeenStatus.Started, seen.Find("c-1", Hash)?.Status);
    }

    [Fact]
    public void RecordWithin_with_no_time_left_still_records_when_the_database_is_free()
    {
        // The deadline may be used up by the handler's own lock before the store is asked: a free
        // database is still taken, and the lockdown is recorded as usual.
        var seen = new SqliteSeenCommandIds(H.Database, H.Time);
        var window = new ReplayWindow(T0.AddSeconds(-30), T0.AddSeconds(90));

        Assert.Equal(SeenStatus.New, seen.RecordWithin("c-1", Hash, window, T0, TimeSpan.FromMilliseconds(-5)).Status);
        Assert.Equal(SeenStatus.Unfinished, seen.Record("c-1", Hash, window, T0).Status);
    }

    [Fact]
    public async Task Find_reads_the_committed_rows_while_the_writer_is_held_inside_a_commit()
    {
        // Asked when Record timed out: only an id the store is known not to hold may then run
        // without a record, so the read must not wait for the writer's lock.
        using var seen = new SqliteSeenCommandIds(H.Database, H.Time) { Wait = TimeSpan.FromMilliseconds(100) };
        var window = new ReplayWindow(T0.AddSeconds(-30), T0.AddSeconds(90));
        seen.Record("c-done", Hash, window, T0);
        seen.Finish("c-done", new CommandFinal(true, "lockdown running"));
        seen.Record("c-started", Hash, window, T0);
        seen.Start("c-started");
        await HoldTheWriterInsideACommit();

        var done = await Task.Run(() => seen.Find("c-done", Hash)).WaitAsync(Patience);
        var started = await Task.Run(() => seen.Find("c-started", Hash)).WaitAsync(Patience);
        var other = await Task.Run(() => seen.Find("c-done", SHA256.HashData("other"u8))).WaitAsync(Patience);
        var unknown = await Task.Run(() => seen.Find("c-new", Hash)).WaitAsync(Patience);

        Assert.Equal(new SeenCommand(SeenStatus.Finished, new CommandFinal(true, "lockdown running")), done);
        Assert.Equal(SeenStatus.Started, started?.Status);
        Assert.Equal(SeenStatus.OtherPayload, other?.Status);
        Assert.Null(unknown);
    }

    [Fact]
    public void The_wait_is_sized_by_the_disk_within_its_bounds()
    {
        var seen = new SqliteSeenCommandIds(H.Database, H.Time);
        Assert.InRange(seen.EffectiveWait, SqliteSeenCommandIds.MinWait, SqliteSeenCommandIds.MaxWait);
    }

    [Fact]
    public void A_repeat_of_a_recorded_command_writes_nothing_not_even_the_clock_row()
    {
        // Anyone who can read the command topic can republish captured bytes for the command's
        // whole lifetime: each copy must not cost a durable write (it did: the clock row).
        var seen = new SqliteSeenCommandIds(H.Database, H.Time);
        var window = new ReplayWindow(T0.AddSeconds(-30), T0.AddSeconds(90));
        seen.Record("c-1", Hash, window, T0);
        seen.Finish("c-1", new CommandFinal(true, null));
        var before = TotalChanges();

        for (var i = 1; i <= 3; i++)
        {
            H.Time.Advance(TimeSpan.FromSeconds(1));
            Assert.Equal(SeenStatus.Finished, seen.Record("c-1", Hash, window, T0.AddSeconds(i)).Status);
        }

        Assert.Equal(before, TotalChanges());
    }

    [Fact]
    public void Finds_reader_is_opened_by_the_first_record_the_store_answers_not_during_a_stall()
    {
        // Find is asked when the store did not answer: a hung card. Opening its connection then
        // reads the file's header, schema and index pages, any of which may have to come from the
        // hung card while the command handler waits; opened and warmed while the disk answers,
        // they are in the page cache.
        using var seen = new SqliteSeenCommandIds(H.Database, H.Time);
        Assert.False(seen.ReaderOpen);

        seen.Record("c-1", Hash, new ReplayWindow(T0.AddSeconds(-30), T0.AddSeconds(90)), T0);

        Assert.True(seen.ReaderOpen);
    }

    [Fact]
    public void Find_after_dispose_refuses_instead_of_opening_a_connection_nothing_closes()
    {
        var seen = new SqliteSeenCommandIds(H.Database, H.Time);
        seen.Record("c-1", Hash, new ReplayWindow(T0.AddSeconds(-30), T0.AddSeconds(90)), T0);
        seen.Dispose();

        Assert.Throws<ObjectDisposedException>(() => seen.Find("c-1", Hash));
        Assert.False(seen.ReaderOpen);
    }

    private long TotalChanges() => H.Database.Read(connection =>
    {
        using var query = connection.CreateCommand();
        query.CommandText = "SELECT total_changes();";
        return (long)query.ExecuteScalar()!;
    });
}
