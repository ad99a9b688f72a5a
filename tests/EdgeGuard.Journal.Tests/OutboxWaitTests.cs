using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The MQTT publisher's writes to the journal (the session counter; the delivery cursor is the
/// writer's own, the publisher only asks for it at a stop) share the one connection with the
/// writer. An SD card hung in fsync holds the writer inside its commit
/// for minutes; the publisher's loop, which also shows a lockdown and reconnects, must get a
/// prompt "busy" then, not wait for the card. The writer is held inside a commit here instead of
/// timing a disk.
/// </summary>
public sealed class OutboxWaitTests : HeldWriterFixture
{
    // How long a test waits for an answer that must come promptly: well below the test's release.
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task NextSession_hands_out_a_value_unsaved_while_the_writer_is_held_inside_a_commit()
    {
        await HoldTheWriterInsideACommit();

        // Before the bound it waited for the commit, for as long as the disk took; then it gave up
        // as busy, and the publisher never connected during the hang: no birth, no state, no will.
        var first = await Task.Run(() => H.Journal.NextSession()).WaitAsync(Prompt);
        var second = await Task.Run(() => H.Journal.NextSession()).WaitAsync(Prompt);
        Assert.Equal(1, first);
        Assert.Equal(2, second); // never repeats within the process
        Assert.Contains(H.Errors, e => e.Message.Contains("session 1 is used unsaved", StringComparison.Ordinal));

        // Saved by the writer once its commit ends: the next start counts on from it.
        ReleaseTheWriter();
        await H.Flush();
        await H.PublishAndFlush(Activated(3)); // a round after the release saves what is owed
        Assert.Equal(3, H.Journal.NextSession());
    }

    [Fact]
    public async Task The_cursor_asked_for_while_the_writer_is_held_inside_a_commit_never_holds_the_caller()
    {
        await HoldTheWriterInsideACommit();
        Assert.Equal(2, H.Journal.LastSeq); // handed out, its commit held

        // The publisher's stop asks for the cursor and bounds its own wait: the call returns at once.
        var durable = await Task.Run(() => Task.FromResult(H.Journal.CursorDurableAsync(2))).WaitAsync(Prompt);
        Assert.False(durable.IsCompleted);
        Assert.Equal(0, H.Journal.DeliveredThrough); // the cursor lags; it never moves on unwritten

        ReleaseTheWriter();
        await durable.WaitAsync(Prompt);
        Assert.Equal(2, H.Journal.DeliveredThrough);
        H.Reopen();
        Assert.Equal(2, H.Journal.DeliveredThrough); // durable
    }

    [Fact]
    public async Task EventsWaiting_shows_the_events_queued_behind_a_held_commit_until_they_are_readable()
    {
        await HoldTheWriterInsideACommit();
        // Handed out on the caller's thread while the commit hangs, up to a batch past the last
        // durable seq (1): readable, so nothing waits.
        H.Publish([.. Enumerable.Range(3, EventJournal.MaxBatch - 1).Select(i => Activated(i))]);
        Assert.Equal(1L + EventJournal.MaxBatch, H.Journal.LastSeq);
        Assert.False(H.Journal.EventsWaiting);

        // The next decision's event is queued without a seq: the site's state may already show
        // it, and no reader can have it.
        H.Publish(Activated(EventJournal.MaxBatch + 2));
        Assert.True(H.Journal.EventsWaiting);
        Assert.Equal(1L + EventJournal.MaxBatch, H.Journal.LastSeq);

        ReleaseTheWriter();
        await H.Flush();
        Assert.False(H.Journal.EventsWaiting);
        Assert.Equal(2L + EventJournal.MaxBatch, H.Journal.LastSeq);
    }
}
