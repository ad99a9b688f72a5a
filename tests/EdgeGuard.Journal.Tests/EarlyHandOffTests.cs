using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using Microsoft.Extensions.Time.Testing;
using static EdgeGuard.Journal.Tests.EventDataWriterTests;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The journal hands a batch to the publisher while its commit is still running. These tests take
/// the files as a power cut would leave them (copied while the writer is held inside the commit),
/// start a journal on them, and check that no seq the publisher may have sent is ever reused, that
/// the skipped seqs are declared by journal.gap, and that the chain still verifies.
/// </summary>
public sealed class EarlyHandOffTests : IDisposable
{
    private readonly JournalHarness _h = new();
    private readonly TempDirectory _crash = new();

    public void Dispose()
    {
        _h.Dispose();
        _crash.Dispose();
    }

    [Fact]
    public async Task After_a_power_cut_during_a_commit_the_seqs_handed_out_are_skipped_and_declared_never_reused()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));
        var sentBeforeTheCut = await PowerCutWhileCommitting(Activated(3), Activated(4));
        Assert.Equal([3L, 4], sentBeforeTheCut.Select(record => record.Seq));

        using var restarted = Restart();
        await restarted.Journal.FlushAsync().WaitAsync(Patience);
        restarted.Journal.Publish([Activated(5)]);
        await restarted.Journal.FlushAsync().WaitAsync(Patience);

        var records = restarted.Journal.Read(0, 100);
        Assert.Equal(["p1", "p2", null, "p5"], records.Select(record => record.Point));
        var gap = records[2];
        Assert.Equal("journal.gap", gap.Type);
        // Everything past the last committed row up to the reservation: 3 and 4 (which the office
        // may hold) and every other seq the dead run could have handed out.
        AssertData(gap.DataJson, ("fromSeq", 3L), ("throughSeq", 2L + EventJournal.ReserveAhead), ("cause", "unclean-shutdown"));
        Assert.Equal(3L + EventJournal.ReserveAhead, gap.Seq);
        Assert.Equal(gap.Seq + 1, records[3].Seq);
        Assert.DoesNotContain(records, record => sentBeforeTheCut.Any(sent => sent.Id == record.Id || sent.Seq == record.Seq));
        Assert.Equal(JournalGapCause.UncleanShutdown, Assert.Single(restarted.JournalEvents.OfType<JournalGap>()).Cause);

        // The outbox, restarted at the cursor, goes from the last committed row to the gap row.
        Assert.Equal([gap.Seq, gap.Seq + 1], restarted.Journal.ReadAfter(2, 100).Select(record => record.Seq));
        AssertIntact(restarted.Path);
    }

    [Fact]
    public async Task Deleting_the_gap_row_shows_as_a_deletion_of_everything_it_declared()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));
        await PowerCutWhileCommitting(Activated(3));
        using (var restarted = Restart())
        {
            restarted.Journal.Publish([Activated(5)]);
            await restarted.Journal.FlushAsync().WaitAsync(Patience);
            restarted.Database.InTransaction(transaction =>
            {
                using var command = transaction.Connection!.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "DELETE FROM events WHERE type = 'journal.gap';";
                Assert.Equal(1, command.ExecuteNonQuery());
            });
        }

        using var reader = JournalReader.Open(CrashImage);
        var problems = JournalVerifier.Verify(reader).Problems;
        var deleted = Assert.Single(problems, problem => problem.Kind == JournalProblemKind.Deleted);
        Assert.Equal((3L, 3L + EventJournal.ReserveAhead), (deleted.Seq, deleted.ThroughSeq!.Value));
    }

    [Fact]
    public async Task A_clean_stop_gives_the_reservation_back_so_the_next_start_continues_without_a_gap()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));
        await _h.PublishAndFlush(Activated(3));
        _h.Reopen();
        await _h.PublishAndFlush(Activated(4));

        var records = _h.Journal.Read(0, 100);
        Assert.Equal([1L, 2, 3, 4], records.Select(record => record.Seq));
        Assert.DoesNotContain(records, record => record.Type == "journal.gap");
        AssertIntact(_h.Path);
    }

    [Fact]
    public async Task A_cursor_past_the_committed_rows_at_a_crash_resends_nothing_and_reuses_nothing()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));
        _h.Journal.MarkDelivered(2);
        await PowerCutWhileCommitting(Activated(3), Activated(4));
        // The broker acknowledged 3 and 4 and the cursor went to disk, but their rows did not (a
        // commit that failed after the hand-off, then a crash before its gap row was written).
        using (var image = JournalDatabase.Open(CrashImage))
        {
            image.InTransaction(transaction =>
            {
                using var command = transaction.Connection!.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = "UPDATE outbox SET delivered_through = 4 WHERE id = 1;";
                command.ExecuteNonQuery();
            });
        }

        using var restarted = Restart();
        await restarted.Journal.WaitForRecordsAfterAsync(4, CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(4, restarted.Journal.DeliveredThrough);
        var gap = Assert.Single(restarted.Journal.ReadAfter(restarted.Journal.DeliveredThrough, 100));
        Assert.Equal("journal.gap", gap.Type);
        AssertData(gap.DataJson, ("fromSeq", 3L), ("throughSeq", 2L + EventJournal.ReserveAhead), ("cause", "unclean-shutdown"));
        AssertIntact(restarted.Path);
    }

    [Fact]
    public async Task Skipped_seqs_do_not_count_as_waiting_for_the_office_so_a_gap_does_not_fill_a_small_journal()
    {
        using var h = new JournalHarness(new JournalLimits(100, TimeSpan.FromDays(30)));
        await h.PublishAndFlush(Activated(1), Activated(2));
        h.Journal.MarkDelivered(2);
        await PowerCutWhileCommitting(h, Activated(3));

        using var restarted = Restart(new JournalLimits(100, TimeSpan.FromDays(30)));
        restarted.Journal.Publish([.. Enumerable.Range(10, 50).Select(i => Activated(i))]);
        await restarted.Journal.FlushAsync().WaitAsync(Patience);

        // 4096 skipped seqs past the cursor, but only the gap row and 50 events wait...
        Assert.False(restarted.Journal.IsFull);
        Assert.Equal(0, restarted.Journal.Dropped);
        Assert.Equal(51, restarted.Journal.ReadAfter(2, 1000).Count);
        // ...and retention sees 53 rows, not 4,149 seqs: the delivered rows 1 and 2 are kept.
        Assert.Equal(0, restarted.Journal.EnforceRetention());
        Assert.Equal(53, restarted.Journal.Read(0, 1000).Count);
    }

    [Fact]
    public async Task Gaps_declared_before_a_later_restart_still_do_not_count_as_waiting()
    {
        var limits = new JournalLimits(1_000, TimeSpan.FromDays(30));
        using var h = new JournalHarness(limits);
        await h.PublishAndFlush(Activated(1), Activated(2));
        await PowerCutWhileCommitting(h, Activated(3));
        using (var crashed = Restart(limits))
        {
            crashed.Journal.Publish([Activated(4)]);
            await crashed.Journal.FlushAsync().WaitAsync(Patience);
        }

        // A second, clean start: the gap row is in the table, 4,096 seqs wide, the office offline.
        using var again = Restart(limits);
        again.Journal.Publish([.. Enumerable.Range(10, 50).Select(i => Activated(i))]);
        await again.Journal.FlushAsync().WaitAsync(Patience);

        Assert.False(again.Journal.IsFull);
        Assert.Equal(0, again.Journal.Dropped);
        Assert.Equal(54, again.Journal.Read(0, 1000).Count); // 1, 2, the gap row, 4 and the 50
    }

    [Fact]
    public async Task Verifying_a_crashed_journal_before_its_next_start_names_the_unclean_stop_as_a_reading_of_the_missing_seqs()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));
        var sent = await PowerCutWhileCommitting(Activated(3), Activated(4));

        using var reader = JournalReader.Open(CrashImage);
        // The office holds 3 and 4, handed out before the power went. From the file alone that
        // cannot be told from deleted rows: reported, with both readings.
        var missing = Assert.Single(JournalVerifier.Verify(reader, officeLastSeq: sent[^1].Seq).Problems);
        Assert.Equal((JournalProblemKind.Truncated, 3L, 4L), (missing.Kind, missing.Seq, missing.ThroughSeq!.Value));
        Assert.Contains("stopped uncleanly", missing.Message, StringComparison.Ordinal);
        Assert.Contains("journal.gap", missing.Message, StringComparison.Ordinal);
        // Beyond the reservation nothing can have been handed out: only deletion explains it.
        var beyond = Assert.Single(JournalVerifier.Verify(reader, officeLastSeq: 3L + EventJournal.ReserveAhead).Problems);
        Assert.DoesNotContain("uncleanly", beyond.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Retention_after_a_gap_anchors_the_chain_on_a_row_that_exists()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));
        await PowerCutWhileCommitting(Activated(3));

        // Rows 1 and 2 are past the one-minute age two minutes of running time later; the gap row
        // is as old, but not delivered.
        using var restarted = Restart(new JournalLimits(1_000, TimeSpan.FromMinutes(1)));
        restarted.Journal.Publish([.. Enumerable.Range(10, 5).Select(i => Activated(i))]);
        await restarted.Journal.FlushAsync().WaitAsync(Patience);
        restarted.Time.Advance(TimeSpan.FromMinutes(2));
        // The office acknowledged a seq inside the skipped range: the anchor must not land there.
        restarted.Journal.MarkDelivered(100);

        Assert.Equal(2, restarted.Journal.EnforceRetention());
        var left = restarted.Journal.Read(0, 100);
        Assert.Equal(["journal.gap", .. Enumerable.Repeat("point.activated", 5)], left.Select(record => record.Type));
        AssertIntact(restarted.Path);
    }

    private Task<IReadOnlyList<JournalRecord>> PowerCutWhileCommitting(params DomainEvent[] events) =>
        PowerCutWhileCommitting(_h, events);

    // Holds the writer inside the commit of events, reads what the outbox is given meanwhile,
    // copies the journal's files as a power cut would leave them (uncommitted WAL frames are
    // ignored when SQLite opens them), then lets the writer go. Returns what the outbox read.
    private async Task<IReadOnlyList<JournalRecord>> PowerCutWhileCommitting(JournalHarness h, params DomainEvent[] events)
    {
        using var release = new ManualResetEventSlim();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        h.Journal.BeforeCommit = _ =>
        {
            held.TrySetResult();
            release.Wait(Patience);
        };

        var before = h.Journal.DurableSeq;
        h.Journal.Publish(events);
        await held.Task.WaitAsync(Patience);
        var sent = h.Journal.ReadAfter(before, 100);
        File.Copy(h.Path, CrashImage, overwrite: true);
        if (File.Exists(h.Path + "-wal"))
        {
            File.Copy(h.Path + "-wal", CrashImage + "-wal", overwrite: true);
        }

        h.Journal.BeforeCommit = null;
        release.Set();
        await h.Flush();
        return sent;
    }

    private string CrashImage => _crash.File("gateway.db");

    private Restarted Restart(JournalLimits? limits = null) => new(CrashImage, limits);

    // A gateway started on the power-cut image.
    private sealed class Restarted : IDisposable
    {
        public Restarted(string path, JournalLimits? limits)
        {
            Path = path;
            Database = JournalDatabase.Open(path);
            Journal = new EventJournal(Database, Time, limits, onJournalEvent: e => { lock (JournalEvents) { JournalEvents.Add(e); } });
        }

        public string Path { get; }

        public FakeTimeProvider Time { get; } = new(T0.AddMinutes(5));

        public JournalDatabase Database { get; }

        public EventJournal Journal { get; }

        public List<DomainEvent> JournalEvents { get; } = [];

        public void Dispose()
        {
            Journal.Dispose();
            Database.Dispose();
        }
    }
}
