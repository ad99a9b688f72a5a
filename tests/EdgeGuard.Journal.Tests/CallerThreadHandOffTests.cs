using EdgeGuard.Core.Lockdown;
using static EdgeGuard.Journal.Tests.EventDataWriterTests;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The idle fast path (EventJournal.Inline.cs): with the writer idle, Publish sequences and
/// announces on the caller's thread and wakes readers there; the writer commits right after, and an
/// event published during that commit is handed out without waiting for it. A commit that fails
/// after the fast path handed its event out skips that seq, and any handed out behind it, and says so.
/// </summary>
public sealed class CallerThreadHandOffTests : IDisposable
{
    private readonly JournalHarness _h = new();
    private readonly ManualResetEventSlim _releaseCommit = new();
    private readonly ManualResetEventSlim _commitEntered = new();

    public void Dispose()
    {
        _releaseCommit.Set();
        _h.Dispose();
        _releaseCommit.Dispose();
        _commitEntered.Dispose();
    }

    [Fact]
    public async Task With_the_writer_idle_an_event_is_announced_and_its_reader_woken_on_the_publishing_thread_before_its_commit()
    {
        // The first batch after a start commits before it is announced (no reservation yet).
        await _h.PublishAndFlush(Activated(1));
        HoldCommits();
        var woken = -1;
        var reader = _h.Journal.WaitForRecordsAfterAsync(1, CancellationToken.None)
            .ContinueWith(_ => woken = Environment.CurrentManagedThreadId, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        _h.Publish(Activated(2));

        // Nothing awaited: the reader already ran, on this thread, and the commit is still held.
        Assert.True(reader.IsCompleted);
        Assert.Equal(Environment.CurrentManagedThreadId, woken);
        Assert.Equal(2, _h.Journal.LastSeq);
        Assert.Equal(1, _h.Journal.DurableSeq);
        Assert.Equal("p2", Assert.Single(_h.Journal.ReadAfter(1, 10)).Point);

        _releaseCommit.Set();
        await _h.Flush();
        Assert.Equal(2, _h.Journal.DurableSeq);
        Assert.Equal(["p1", "p2"], _h.All().Select(record => record.Point));
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task An_event_published_while_the_writer_commits_is_handed_out_at_once_and_committed_after_it()
    {
        await HoldTheCommitOf2Async();

        var commits = _h.Journal.CommittedBatches;
        _h.Publish(Activated(3));
        _h.Publish(Activated(4));

        // 2's commit (an fsync, on a gateway's SD card milliseconds) does not hold 3 and 4 back.
        Assert.Equal(4, _h.Journal.LastSeq);
        Assert.Equal(1, _h.Journal.DurableSeq);
        Assert.Equal(["p2", "p3", "p4"], _h.Journal.ReadAfter(1, 10).Select(record => record.Point));
        _releaseCommit.Set();
        await _h.Flush();
        var records = _h.All();
        Assert.Equal(["p1", "p2", "p3", "p4"], records.Select(record => record.Point));
        Assert.Equal([1L, 2, 3, 4], records.Select(record => record.Seq));
        Assert.Equal(4, _h.Journal.DurableSeq);
        // 2's commit, then 3 and 4 together.
        Assert.Equal(commits + 2, _h.Journal.CommittedBatches);
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_caller_runs_at_most_one_batch_ahead_of_the_last_commit()
    {
        await HoldTheCommitOf2Async();

        // 1 is durable: seqs up to 1 + MaxBatch may be handed out, the next one waits.
        _h.Publish([.. Enumerable.Range(3, EventJournal.MaxBatch - 1).Select(i => Activated(i))]);
        Assert.Equal(1L + EventJournal.MaxBatch, _h.Journal.LastSeq);
        _h.Publish(Activated(5000));
        Assert.Equal(1L + EventJournal.MaxBatch, _h.Journal.LastSeq);

        _releaseCommit.Set();
        await _h.Flush();
        var records = _h.All();
        Assert.Equal(2L + EventJournal.MaxBatch, records.Count);
        Assert.Equal("p5000", records[^1].Point);
        Assert.Equal(Enumerable.Range(1, records.Count).Select(i => (long)i), records.Select(record => record.Seq));
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_commit_that_fails_while_more_events_were_handed_out_skips_them_all_under_one_gap()
    {
        await _h.PublishAndFlush(Activated(1));
        HoldCommits(failFirst: 1);
        _h.Publish(Activated(2));
        Assert.True(_commitEntered.Wait(Patience), "the writer never started committing 2");
        _h.Publish(Activated(3));
        _h.Publish(Activated(4));
        Assert.Equal(4, _h.Journal.LastSeq);

        _releaseCommit.Set();
        await _h.Flush();
        _h.Journal.BeforeCommit = null;
        await _h.PublishAndFlush(Activated(5));

        // 3 and 4 were handed out behind 2; once 2 could not be written, they could not follow it.
        var records = _h.All();
        Assert.Equal("p1", records[0].Point);
        Assert.Equal("journal.gap", records[1].Type);
        AssertData(records[1].DataJson, ("fromSeq", 2L), ("throughSeq", 4L), ("cause", "write-failed"));
        Assert.Equal(5, records[1].Seq);
        Assert.Equal("p5", records[^1].Point);
        Assert.DoesNotContain(records, record => record.Seq is >= 2 and <= 4);
        Assert.Equal(3, _h.Journal.Dropped);
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_failed_commit_of_an_event_handed_out_on_the_publishing_thread_skips_its_seq_and_says_so()
    {
        await _h.PublishAndFlush(Activated(1));
        // Every commit fails as a dying SD card makes it fail: inside the transaction, rolled back.
        _h.Journal.BeforeCommit = _ => throw new Microsoft.Data.Sqlite.SqliteException("disk I/O error", 10);

        _h.Publish(Activated(2));
        // Handed out before the commit, so the publisher has it whatever the disk says.
        Assert.Equal("p2", Assert.Single(_h.Journal.ReadAfter(1, 10)).Point);
        await _h.Flush();

        Assert.True(_h.Journal.IsFull);
        Assert.Equal(1, _h.Journal.Dropped);
        Assert.Contains("disk I/O error", Assert.Single(_h.JournalEvents.OfType<JournalFull>()).Reason, StringComparison.Ordinal);
        // The fault could not be committed either, and after an I/O error it does not follow from
        // memory: that commit may yet have been written (WriteFailureHandOutTests).
        Assert.Equal(["point.activated"], _h.Journal.ReadAfter(1, 10).Select(record => record.Type));
        _h.Journal.BeforeCommit = null;
        await _h.PublishAndFlush(Activated(3));

        var records = _h.All();
        Assert.Equal("p1", records[0].Point);
        Assert.Equal("journal.gap", records[1].Type);
        AssertData(records[1].DataJson, ("fromSeq", 2L), ("throughSeq", 2L), ("cause", "write-failed"));
        Assert.Equal("p3", records[^1].Point);
        Assert.DoesNotContain(records, record => record.Seq == 2);
        AssertIntact(_h.Path);
    }

    // Holds the writer inside each commit, after its rows are inserted, until released; the first
    // failFirst commits then fail as a dying SD card makes them fail (inside the transaction, rolled back).
    private void HoldCommits(int failFirst = 0) => _h.Journal.BeforeCommit = _ =>
    {
        _commitEntered.Set();
        _releaseCommit.Wait(Patience);
        if (Interlocked.Decrement(ref failFirst) >= 0)
        {
            throw new Microsoft.Data.Sqlite.SqliteException("disk I/O error", 10);
        }
    };

    // 1 committed (the first batch after a start commits before it is handed out), then 2 handed
    // out on this thread and its commit held open.
    private async Task HoldTheCommitOf2Async()
    {
        await _h.PublishAndFlush(Activated(1));
        HoldCommits();
        _h.Publish(Activated(2));
        Assert.True(_commitEntered.Wait(Patience), "the writer never started committing 2");
    }
}
