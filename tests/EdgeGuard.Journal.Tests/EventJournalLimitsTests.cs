using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using static EdgeGuard.Journal.Tests.EventDataWriterTests;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>Retention of delivered records and the journal-full policy for undelivered ones.</summary>
public sealed class EventJournalLimitsTests
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    [Fact]
    public async Task Retention_deletes_delivered_records_older_than_the_limit_and_keeps_undelivered_ones_however_old()
    {
        // Age is counted from when a record was journaled, by the retention clock (running time).
        using var h = new JournalHarness(new JournalLimits(1000, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 5).Select(i => Activated(i, T0)).ToArray());
        h.Time.Advance(TimeSpan.FromDays(40));
        await h.PublishAndFlush(Enumerable.Range(6, 5).Select(i => Activated(i, T0.AddDays(40))).ToArray());

        h.Journal.MarkDelivered(3);
        h.Journal.EnforceRetention();
        Assert.Equal([4L, 5, 6, 7, 8, 9, 10], Seqs(h.All()));

        // 4 and 5 are old and now delivered; 6..8 are delivered but young.
        h.Journal.MarkDelivered(8);
        h.Journal.EnforceRetention();
        Assert.Equal([6L, 7, 8, 9, 10], Seqs(h.All()));

        // A year on: everything delivered goes, the undelivered 9 and 10 stay.
        h.Time.Advance(TimeSpan.FromDays(365));
        h.Journal.EnforceRetention();
        Assert.Equal([9L, 10], Seqs(h.All()));
        Assert.Equal([9L, 10], Seqs(h.Journal.ReadAfter(h.Journal.DeliveredThrough, 100)));
    }

    [Fact]
    public async Task Retention_trims_the_oldest_delivered_records_beyond_MaxRecords()
    {
        using var h = new JournalHarness(new JournalLimits(10, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 10).Select(i => Activated(i, T0)).ToArray());
        h.Journal.MarkDelivered(8);
        await h.PublishAndFlush(Enumerable.Range(11, 5).Select(i => Activated(i, T0)).ToArray());

        h.Journal.EnforceRetention();

        Assert.Equal(Enumerable.Range(6, 10).Select(i => (long)i), Seqs(h.All()));
        Assert.Equal(15, h.Journal.LastSeq);
    }

    [Fact]
    public async Task The_writer_applies_the_count_limit_by_itself()
    {
        using var h = new JournalHarness(new JournalLimits(10, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 10).Select(i => Activated(i, T0)).ToArray());
        h.Journal.MarkDelivered(10);

        await h.PublishAndFlush(Enumerable.Range(11, 5).Select(i => Activated(i, T0)).ToArray());

        Assert.Equal(Enumerable.Range(6, 10).Select(i => (long)i), Seqs(h.All()));
    }

    [Fact]
    public async Task Undelivered_records_are_never_deleted_by_retention()
    {
        using var h = new JournalHarness(new JournalLimits(10, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 10).Select(i => Activated(i, T0)).ToArray());
        h.Time.Advance(TimeSpan.FromDays(3650));

        Assert.Equal(0, h.Journal.EnforceRetention());

        Assert.Equal(10, h.All().Count);
    }

    [Fact]
    public async Task A_full_journal_keeps_the_first_records_drops_and_counts_the_rest_and_raises_one_fault()
    {
        using var h = new JournalHarness(new JournalLimits(100, Month));

        for (var i = 1; i <= 150; i++)
        {
            h.Publish(Activated(i));
        }

        await h.Flush();

        var records = h.All();
        Assert.Equal(101, records.Count);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => $"p{i}"), records.Take(100).Select(record => record.Point));
        Assert.Equal(Enumerable.Range(1, 101).Select(i => (long)i), Seqs(records));
        var fault = records[100];
        Assert.Equal("fault.journal-full", fault.Type);
        Assert.Equal(Severity.Critical, fault.Severity);
        using (var data = System.Text.Json.JsonDocument.Parse(fault.DataJson))
        {
            Assert.Equal(100, data.RootElement.GetProperty("undelivered").GetInt64());
            Assert.Contains("100", data.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
        }

        Assert.Single(records, record => record.Type == "fault.journal-full");
        Assert.Equal(50, h.Journal.Dropped);
        Assert.True(h.Journal.IsFull);
        Assert.Empty(h.Errors);
    }

    [Fact]
    public async Task When_room_returns_the_journal_records_the_recovery_with_the_dropped_count_before_new_events()
    {
        using var h = new JournalHarness(new JournalLimits(100, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 150).Select(i => Activated(i)).ToArray());
        await h.PublishAndFlush(Enumerable.Range(151, 10).Select(i => Activated(i)).ToArray());
        Assert.Equal(60, h.Journal.Dropped);
        Assert.Equal(101, h.Journal.LastSeq);

        h.Journal.MarkDelivered(100);
        await h.PublishAndFlush(Enumerable.Range(201, 5).Select(i => Activated(i)).ToArray());

        var tail = h.Journal.ReadAfter(100, 100);
        Assert.Equal(
            ["fault.journal-full", "journal.recovered", "point.activated", "point.activated", "point.activated", "point.activated", "point.activated"],
            tail.Select(record => record.Type));
        AssertData(tail[1].DataJson, ("dropped", 60L));
        Assert.Equal(Severity.Alarm, tail[1].Severity);
        Assert.Equal(["p201", "p202", "p203", "p204", "p205"], tail.Skip(2).Select(record => record.Point));
        Assert.Equal(Enumerable.Range(101, 7).Select(i => (long)i), Seqs(tail));
        Assert.False(h.Journal.IsFull);
        Assert.Equal(60, h.Journal.Dropped);

        // The host heard of the episode once when it began and once when it ended.
        Assert.Collection(
            h.JournalEvents,
            e => Assert.Equal(100, Assert.IsType<JournalFull>(e).Undelivered),
            e => Assert.Equal(60, Assert.IsType<JournalRecovered>(e).Dropped));
    }

    [Fact]
    public async Task A_second_episode_gets_its_own_fault_and_recovery()
    {
        using var h = new JournalHarness(new JournalLimits(10, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 12).Select(i => Activated(i)).ToArray());
        h.Journal.MarkDelivered(11);
        await h.PublishAndFlush(Enumerable.Range(13, 12).Select(i => Activated(i)).ToArray());

        // Retention may already have trimmed the first fault (it was delivered); the host heard of all of it.
        Assert.Collection(
            h.JournalEvents,
            e => Assert.IsType<JournalFull>(e),
            e => Assert.Equal(2, Assert.IsType<JournalRecovered>(e).Dropped),
            e => Assert.IsType<JournalFull>(e));
        var tail = h.Journal.ReadAfter(11, 100);
        Assert.Equal("journal.recovered", tail[0].Type);
        Assert.Equal(Enumerable.Range(13, 9).Select(i => $"p{i}"), tail.Skip(1).Take(9).Select(record => record.Point));
        Assert.Equal("fault.journal-full", tail[^1].Type);
        Assert.Equal(11, tail.Count);
        Assert.True(h.Journal.IsFull);
        Assert.Equal(2 + 3, h.Journal.Dropped);
    }

    [Fact]
    public async Task A_restart_while_full_raises_the_fault_again_and_keeps_the_undelivered_records()
    {
        using var h = new JournalHarness(new JournalLimits(10, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 12).Select(i => Activated(i)).ToArray());

        h.Reopen();
        await h.PublishAndFlush(Activated(13));

        var records = h.All();
        Assert.Equal(12, records.Count);
        Assert.Equal(["fault.journal-full", "fault.journal-full"], records.Skip(10).Select(record => record.Type));
        Assert.Equal(1, h.Journal.Dropped);
        Assert.True(h.Journal.IsFull);
    }

    [Fact]
    public async Task When_SQLite_reports_the_disk_full_events_are_dropped_and_counted_and_the_fault_is_journaled_once_room_returns()
    {
        using var h = new JournalHarness(new JournalLimits(1_000_000, Month));
        await h.PublishAndFlush(Activated(1));
        var pages = h.Database.Read(connection => Scalar(connection, "PRAGMA page_count;"));
        // The shared connection may not grow the file any further: SQLite answers SQLITE_FULL.
        h.Database.Read(connection => Scalar(connection, $"PRAGMA max_page_count = {pages};"));

        await h.PublishAndFlush(Enumerable.Range(2, 2000).Select(i => Activated(i)).ToArray());

        Assert.True(h.Journal.IsFull);
        Assert.Equal(2000, h.Journal.Dropped);
        Assert.NotEmpty(h.Errors);
        var announced = Assert.Single(h.JournalEvents.OfType<JournalFull>());
        Assert.Contains("disk is full", announced.Reason, StringComparison.Ordinal);
        // The first batch had been handed to the outbox before its commit failed: it is still
        // served from memory (and published), under seqs nothing else will ever use.
        var handedOut = h.Journal.ReadAfter(1, 5000);
        Assert.Equal(Enumerable.Range(2, EventJournal.MaxBatch).Select(i => $"p{i}"), handedOut.Take(EventJournal.MaxBatch).Select(record => record.Point));
        // The gap and the fault then fit in the pages left and were committed.
        Assert.Equal(["journal.gap", "fault.journal-full"], handedOut.Skip(EventJournal.MaxBatch).Select(record => record.Type));
        Assert.Equal(handedOut[5], h.Journal.FindById(handedOut[5].Id));

        h.Database.Read(connection => Scalar(connection, "PRAGMA max_page_count = 1073741823;"));
        await h.PublishAndFlush(Activated(3000));
        // The outbox goes on from the failed records to the gap row and what followed, seq by seq.
        Assert.Equal(Enumerable.Range(2, EventJournal.MaxBatch + 4).Select(i => (long)i), h.Journal.ReadAfter(1, 5000).Select(record => record.Seq));

        var records = h.All();
        Assert.Equal("p1", records[0].Point);
        Assert.Equal(["journal.gap", "fault.journal-full", "journal.recovered", "point.activated"], records.Skip(1).Select(record => record.Type));
        // The batch that met the full disk had already been handed to the publisher (seqs 2..): its
        // seqs are skipped, never reused, and the gap row says so. Later batches were not handed
        // out before their commit, so nothing more was skipped.
        AssertData(records[1].DataJson, ("fromSeq", 2L), ("throughSeq", 1L + EventJournal.MaxBatch), ("cause", "write-failed"));
        Assert.Equal(2L + EventJournal.MaxBatch, records[1].Seq);
        Assert.Contains("disk is full", records[2].DataJson, StringComparison.Ordinal);
        AssertData(records[3].DataJson, ("dropped", 2000L));
        Assert.Equal("p3000", records[4].Point);
        Assert.Equal(Seqs(records).Skip(1), Enumerable.Range(0, records.Count - 1).Select(i => records[1].Seq + i));
        Assert.Single(h.JournalEvents.OfType<JournalGap>());
        Assert.False(h.Journal.IsFull);

        // After a restart only the journal is left: the outbox resumes at the gap row.
        h.Reopen();
        Assert.Equal(records.Skip(1).Select(record => record.Seq), h.Journal.ReadAfter(1, 5000).Select(record => record.Seq));
        Assert.Null(h.Journal.FindById(handedOut[5].Id));
        using var reader = JournalReader.Open(h.Path);
        var report = JournalVerifier.Verify(reader);
        Assert.True(report.IsIntact, string.Join(Environment.NewLine, report.Problems.Select(p => p.Message)));
    }

    [Fact]
    public async Task Events_beyond_the_in_memory_queue_are_dropped_counted_and_reported_after_those_queued_before_them()
    {
        using var h = new JournalHarness();
        h.Journal.QueueCapacity = 10;

        // One call: the writer cannot drain the queue while Publish holds it.
        h.Publish(Enumerable.Range(1, 25).Select(i => Activated(i)).ToArray());
        await h.Flush();

        var records = h.All();
        Assert.Equal(Enumerable.Range(1, 10).Select(i => $"p{i}"), records.Take(10).Select(record => record.Point));
        Assert.Equal(["fault.journal-full", "journal.recovered"], records.Skip(10).Select(record => record.Type));
        Assert.Contains("fell behind", records[10].DataJson, StringComparison.Ordinal);
        AssertData(records[11].DataJson, ("dropped", 15L));
        Assert.Equal(15, h.Journal.Dropped);
        Assert.False(h.Journal.IsFull);
    }

    [Fact]
    public async Task Events_dropped_at_the_queue_count_in_the_recovery_when_the_write_that_was_to_report_them_fails()
    {
        using var h = new JournalHarness(new JournalLimits(1_000_000, Month));
        await h.PublishAndFlush(Activated(1));
        // Reopened, the journal has no reservation to hand events out before their commit: they
        // go through the writer's queue.
        h.Reopen();
        var pages = h.Database.Read(connection => Scalar(connection, "PRAGMA page_count;"));
        h.Database.Read(connection => Scalar(connection, $"PRAGMA max_page_count = {pages};"));
        h.Journal.QueueCapacity = 600;

        // 600 queued, 400 dropped at the queue; the batch of 600 that reports them meets a full disk.
        h.Publish(Enumerable.Range(2, 1000).Select(i => Activated(i)).ToArray());
        await h.Flush();
        Assert.Equal(1000, h.Journal.Dropped);

        h.Journal.QueueCapacity = EventJournal.MaxQueued;
        h.Database.Read(connection => Scalar(connection, "PRAGMA max_page_count = 1073741823;"));
        await h.PublishAndFlush(Activated(100));

        var recovered = Assert.Single(h.All(), record => record.Type == "journal.recovered");
        AssertData(recovered.DataJson, ("dropped", 1000L));
        Assert.Equal(1000, h.Journal.Dropped);
    }

    [Fact]
    public async Task An_event_whose_data_cannot_be_written_is_journaled_with_empty_data_and_its_batch_kept()
    {
        using var h = new JournalHarness();
        // A role the data writer does not know (a bug: a role added without its wire name).
        var unwritable = new EdgeGuard.Core.Commands.CommandReceived(T0, "cmd-1", EdgeGuard.Core.Commands.CommandType.Lockdown, "op", (EdgeGuard.Core.Commands.OperatorRole)99);

        await h.PublishAndFlush(Activated(1), unwritable, Activated(2));

        var records = h.All();
        Assert.Equal(["point.activated", "command.received", "point.activated"], records.Select(record => record.Type));
        Assert.Equal("{}", records[1].DataJson);
        Assert.Equal(["p1", null, "p2"], records.Select(record => record.Point));
        Assert.Equal(0, h.Journal.Dropped);
        Assert.Contains(h.Errors, ex => ex.Message.Contains("command.received", StringComparison.Ordinal));
    }

    [Fact]
    public void Limits_must_be_positive()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new JournalLimits(0, Month).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new JournalLimits(10, TimeSpan.Zero).Validate());
        // DESIGN.md: a broker outage of 1,000,000 events, with room for the gateway's own records.
        Assert.True(JournalLimits.Default.MaxRecords > 1_000_000);
        Assert.True(JournalLimits.Default.MaxDeliveredAge >= Month);
    }

    private static IEnumerable<long> Seqs(IReadOnlyList<JournalRecord> records) => records.Select(record => record.Seq);

    private static long Scalar(Microsoft.Data.Sqlite.SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }
}
