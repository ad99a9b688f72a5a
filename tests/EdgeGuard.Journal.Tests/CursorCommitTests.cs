using Microsoft.Extensions.Time.Testing;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The delivery cursor made durable by the journal's writer alone: the publisher only reports its
/// PUBACKs in memory (<see cref="EventJournal.Acknowledged"/>) and never writes to the disk. With
/// no events to carry the acknowledged prefix, the idle writer commits it alone after
/// <see cref="EventJournal.CursorWriteInterval"/> (driven here by the harness's fake clock) or a
/// batch of PUBACKs; a cursor-only commit never holds up an event.
/// </summary>
public sealed class CursorCommitTests : IDisposable
{
    // How long a test waits for something that must happen promptly: well below Patience.
    private static readonly TimeSpan Prompt = TimeSpan.FromSeconds(10);

    private readonly JournalHarness _h = new();
    private readonly TempDirectory _crash = new();
    private readonly ManualResetEventSlim _release = new();

    public void Dispose()
    {
        _release.Set();
        _h.Dispose();
        _crash.Dispose();
        _release.Dispose();
    }

    [Fact]
    public async Task The_idle_writer_commits_the_acknowledged_prefix_alone_once_the_interval_has_passed()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));

        // The PUBACKs came after the commit (a remote broker): no commit of events carries them.
        _h.Journal.Acknowledged(2);
        _h.Time.Advance(EventJournal.DefaultCursorWriteInterval - TimeSpan.FromMilliseconds(1));
        await GiveTheWriterAChance();
        Assert.Equal(0, _h.Journal.DeliveredThrough);
        Assert.Equal(0, _h.Journal.CursorCommits);

        _h.Time.Advance(TimeSpan.FromMilliseconds(1));
        await DeliveredThrough(2);
        Assert.Equal(1, _h.Journal.CursorCommits);
        _h.Reopen();
        Assert.Equal(2, _h.Journal.DeliveredThrough); // durable: what a restart reads
        Assert.Empty(_h.Errors);
    }

    [Fact]
    public async Task A_batch_of_acknowledgements_is_committed_without_waiting_for_the_interval()
    {
        _h.Journal.CursorWriteBatch = 4;
        await _h.PublishAndFlush([.. Enumerable.Range(1, 6).Select(i => Activated(i))]);

        _h.Journal.Acknowledged(3);
        await GiveTheWriterAChance();
        Assert.Equal(0, _h.Journal.DeliveredThrough); // fewer than a batch, the clock stopped

        _h.Journal.Acknowledged(4);
        await DeliveredThrough(4);
        _h.Reopen();
        Assert.Equal(4, _h.Journal.DeliveredThrough);
    }

    [Fact]
    public async Task A_crash_right_after_the_PUBACKs_replays_at_most_a_batch_less_one_and_nothing_once_the_interval_passed()
    {
        const int Events = 300;
        await _h.PublishAndFlush([.. Enumerable.Range(1, Events).Select(i => Activated(i))]);

        // Every PUBACK at once, the clock stopped: only whole batches are committed.
        for (var seq = 1; seq <= Events; seq++)
        {
            _h.Journal.Acknowledged(seq);
        }

        await Eventually(() => _h.Journal.DeliveredThrough > Events - EventJournal.DefaultCursorWriteBatch, "a batch's cursor commit");
        var replayed = Events - DeliveredAfterACrash(); // what a restart sends again
        Assert.InRange(replayed, 0, EventJournal.DefaultCursorWriteBatch - 1);

        // The rest once the interval has passed, with no event to carry it.
        _h.Time.Advance(EventJournal.DefaultCursorWriteInterval);
        await DeliveredThrough(Events);
        Assert.Equal(Events, DeliveredAfterACrash());
    }

    [Fact]
    public async Task While_events_flow_their_commits_carry_the_cursor_and_none_is_committed_alone()
    {
        await _h.PublishAndFlush(Activated(1));
        for (var i = 2; i <= 5; i++)
        {
            _h.Journal.Acknowledged(i - 1);
            await _h.PublishAndFlush(Activated(i));
            Assert.Equal(i - 1, _h.Journal.DeliveredThrough);
        }

        Assert.Equal(0, _h.Journal.CursorCommits);
    }

    [Fact]
    public async Task An_event_published_during_a_hung_cursor_only_commit_is_handed_out_at_once()
    {
        await _h.PublishAndFlush(Activated(1));
        var held = HoldTheCursorCommit();
        _h.Journal.Acknowledged(1);
        _h.Time.Advance(EventJournal.DefaultCursorWriteInterval);
        await held.WaitAsync(Prompt);

        // The card hangs in the cursor's fsync: the next event still reaches the publisher now.
        _h.Publish(Activated(2));
        await _h.Journal.WaitForRecordsAfterAsync(1, CancellationToken.None).WaitAsync(Prompt);
        Assert.Equal(2, Assert.Single(_h.Journal.ReadAfter(1, 10)).Seq);
        Assert.Equal(1, _h.Journal.DurableSeq); // its commit waits for the cursor's, as for any

        _release.Set();
        await _h.Flush();
        Assert.Equal(2, _h.Journal.DurableSeq);
        Assert.Equal(1, _h.Journal.DeliveredThrough);
    }

    [Fact]
    public async Task CursorDurableAsync_asks_for_the_commit_now_and_completes_once_it_is_durable()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));

        // No clock movement: the request makes it due at once.
        await _h.Journal.CursorDurableAsync(2).WaitAsync(Prompt);
        Assert.Equal(2, _h.Journal.DeliveredThrough);
        Assert.True(_h.Journal.CursorDurableAsync(1).IsCompletedSuccessfully);
        _h.Reopen();
        Assert.Equal(2, _h.Journal.DeliveredThrough);
    }

    [Fact]
    public async Task CursorDurableAsync_returns_at_once_and_stays_pending_while_the_cursor_commit_hangs()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));
        var held = HoldTheCursorCommit();

        // The caller's thread is not held: it gets a task, and bounds its wait itself.
        var durable = _h.Journal.CursorDurableAsync(2);
        await held.WaitAsync(Prompt);
        Assert.False(durable.IsCompleted);

        _release.Set();
        await durable.WaitAsync(Prompt);
        Assert.Equal(2, _h.Journal.DeliveredThrough);
    }

    [Fact]
    public async Task A_failed_cursor_commit_faults_its_waiter_and_is_retried_an_interval_later()
    {
        await _h.PublishAndFlush(Activated(1));
        var failures = new FirstCursorCommitFails(_h.Journal);

        await Assert.ThrowsAsync<JournalException>(() => _h.Journal.CursorDurableAsync(1).WaitAsync(Prompt));
        await GiveTheWriterAChance();
        Assert.Equal(0, _h.Journal.DeliveredThrough);
        Assert.Equal(1, failures.Tries); // not retried in a loop on a failing disk

        _h.Time.Advance(EventJournal.DefaultCursorWriteInterval);
        await DeliveredThrough(1);

        // The failure, then its recovery once the retry made the cursor durable.
        await Eventually(() => Errors().Length >= 2, "the recovery reported");
        var errors = Errors();
        Assert.Equal(2, errors.Length);
        Assert.Contains("could not commit the delivery cursor", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("durable again", errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_disk_that_keeps_failing_the_cursor_commit_is_reported_once_and_its_recovery_once()
    {
        await _h.PublishAndFlush(Activated(1));
        var failures = 0;
        var failing = true;
        _h.Journal.BeforeCursorCommit = _ =>
        {
            Interlocked.Increment(ref failures);
            if (Volatile.Read(ref failing))
            {
                throw new JournalException("disk I/O error");
            }
        };

        // Retried every interval: ten retries after the first failure, one report for them all.
        _h.Journal.Acknowledged(1);
        for (var tries = 1; tries <= 11; tries++)
        {
            _h.Time.Advance(EventJournal.DefaultCursorWriteInterval);
            await Eventually(() => Volatile.Read(ref failures) >= tries, $"cursor commit try {tries}");
        }

        await GiveTheWriterAChance();
        var failure = Assert.IsType<JournalException>(Assert.Single(Errors()));
        Assert.Contains("disk I/O error", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, _h.Journal.DeliveredThrough);

        Volatile.Write(ref failing, false);
        _h.Time.Advance(EventJournal.DefaultCursorWriteInterval);
        await DeliveredThrough(1);
        await Eventually(() => Errors().Length >= 2, "the recovery reported");
        await GiveTheWriterAChance();
        var errors = Errors();
        Assert.Equal(2, errors.Length);
        Assert.Contains("durable again", errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_waiter_during_the_failure_backoff_is_served_when_the_backoff_ends_even_if_the_timer_fires_early()
    {
        using var directory = new TempDirectory();
        var fake = new FakeTimeProvider(T0);
        using var database = JournalDatabase.Open(directory.File("early.db"));
        using var journal = new EventJournal(database, new EarlyTimerClock(fake));
        journal.Publish([Activated(1)]);
        await journal.FlushAsync().WaitAsync(Prompt);
        var failures = new FirstCursorCommitFails(journal);
        await Assert.ThrowsAsync<JournalException>(() => journal.CursorDurableAsync(1).WaitAsync(Prompt));

        // Asked again during the backoff: due once it ends, not at the writer's 30 s idle wake.
        var durable = journal.CursorDurableAsync(1);
        fake.Advance(EventJournal.DefaultCursorWriteInterval - TimeSpan.FromMilliseconds(1));
        await GiveTheWriterAChance();
        Assert.False(durable.IsCompleted); // the timer fired a tick early: still backing off
        fake.Advance(TimeSpan.FromMilliseconds(1));
        await durable.WaitAsync(Prompt);
        Assert.Equal(1, journal.DeliveredThrough);
        Assert.Equal(2, failures.Tries);
    }

    [Fact]
    public async Task A_stop_during_the_failure_backoff_still_makes_its_final_cursor_commit()
    {
        await _h.PublishAndFlush(Activated(1));
        var failures = new FirstCursorCommitFails(_h.Journal);
        await Assert.ThrowsAsync<JournalException>(() => _h.Journal.CursorDurableAsync(1).WaitAsync(Prompt));

        // The clock stands still: the stop comes well within the interval after the failure.
        _h.Reopen();
        Assert.Equal(1, _h.Journal.DeliveredThrough);
        Assert.Equal(2, failures.Tries);
    }

    // Holds the writer inside its next cursor-only commit until _release; completes once it is there.
    private Task HoldTheCursorCommit()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _h.Journal.BeforeCursorCommit = _ =>
        {
            held.TrySetResult();
            _release.Wait(Patience);
        };

        return held.Task;
    }

    // Time for a writer that would commit too early to do so. Not a speed assertion: nothing may
    // commit here however long the wait (the fake clock stands still), and an event published to
    // sync with the writer would carry the cursor in its own commit.
    private static Task GiveTheWriterAChance() => Task.Delay(TimeSpan.FromMilliseconds(100));

    // The cursor a restart reads from a copy of the journal's files as a power cut now leaves them.
    private long DeliveredAfterACrash()
    {
        var image = _crash.File($"crash-{Guid.NewGuid():N}.db");
        File.Copy(_h.Path, image);
        if (File.Exists(_h.Path + "-wal"))
        {
            File.Copy(_h.Path + "-wal", image + "-wal");
        }

        using var database = JournalDatabase.Open(image);
        using var journal = new EventJournal(database, _h.Time);
        return journal.DeliveredThrough;
    }

    private Exception[] Errors()
    {
        lock (_h.Errors)
        {
            return [.. _h.Errors];
        }
    }

    private Task DeliveredThrough(long seq) => Eventually(() => _h.Journal.DeliveredThrough >= seq, $"cursor durable at {seq}");

    private static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for: {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>Fails a journal's first cursor-only commit with a disk error, counting every try.</summary>
    private sealed class FirstCursorCommitFails
    {
        private int _tries;

        public FirstCursorCommitFails(EventJournal journal) => journal.BeforeCursorCommit = _ =>
        {
            if (Interlocked.Increment(ref _tries) == 1)
            {
                throw new JournalException("disk I/O error");
            }
        };

        public int Tries => Volatile.Read(ref _tries);
    }
}
