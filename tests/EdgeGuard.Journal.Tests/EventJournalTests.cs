using System.Diagnostics;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Xunit.Abstractions;
using static EdgeGuard.Journal.Tests.EventDataWriterTests;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

public sealed class EventJournalTests(ITestOutputHelper output) : IDisposable
{
    private readonly JournalHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task Sequence_numbers_start_at_1_and_continue_by_one_after_a_restart()
    {
        Assert.Equal(0, _h.Journal.LastSeq);

        await _h.PublishAndFlush(Activated(1), Activated(2), Activated(3));
        Assert.Equal(3, _h.Journal.LastSeq);
        _h.Reopen();
        Assert.Equal(3, _h.Journal.LastSeq);
        await _h.PublishAndFlush(Activated(4), Activated(5));

        var records = _h.All();
        Assert.Equal([1L, 2, 3, 4, 5], records.Select(record => record.Seq));
        Assert.Equal(["p1", "p2", "p3", "p4", "p5"], records.Select(record => record.Point));
        Assert.Equal(5, _h.Journal.LastSeq);
    }

    [Fact]
    public async Task The_sequence_continues_even_when_retention_has_emptied_the_table()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2), Activated(3));
        _h.Journal.MarkDelivered(3);
        _h.Time.Advance(TimeSpan.FromDays(31));
        Assert.Equal(3, _h.Journal.EnforceRetention());
        Assert.Empty(_h.All());

        _h.Reopen();
        await _h.PublishAndFlush(Activated(4, _h.Time.GetUtcNow()));

        Assert.Equal(4, Assert.Single(_h.All()).Seq);
    }

    [Fact]
    public async Task Ten_thousand_events_published_quickly_are_all_committed_in_order_with_UUIDv7_ids()
    {
        const int count = 10_000;
        var events = Enumerable.Range(1, count).Select(i => Activated(i)).ToArray();
        var stopwatch = Stopwatch.StartNew();

        // One call per event, as a busy controller loop would make them.
        foreach (var domainEvent in events)
        {
            _h.Journal.Publish([domainEvent]);
        }

        var published = stopwatch.Elapsed;
        await _h.Flush();
        var committed = stopwatch.Elapsed;
        output.WriteLine($"published {count} in {published.TotalMilliseconds:F1} ms, all committed after {committed.TotalMilliseconds:F1} ms in {_h.Journal.CommittedBatches} batches");

        var records = _h.All();
        Assert.Equal(count, records.Count);
        Assert.Equal(Enumerable.Range(1, count).Select(i => (long)i), records.Select(record => record.Seq));
        Assert.Equal(events.Select(e => e.PointId), records.Select(record => record.Point));
        Assert.Equal(count, records.Select(record => record.Id).Distinct().Count());
        Assert.All(records, record => Assert.Equal(7, record.Id.Version));
        Assert.All(records, record => Assert.Equal(0b10, record.Id.Variant >> 2)); // RFC 9562 variant 10xx
        // Each event is 1 ms later than the one before, so the ids sort exactly like the sequence.
        var idsInTextOrder = records.Select(record => record.Id.ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(records.Select(record => record.Id.ToString()), idsInTextOrder);
        Assert.True(_h.Journal.CommittedBatches < count, $"{_h.Journal.CommittedBatches} batches for {count} events");
        Assert.Equal(0, _h.Journal.Dropped);
    }

    [Fact]
    public async Task Events_published_together_are_committed_in_one_group()
    {
        await _h.PublishAndFlush(Enumerable.Range(1, 1000).Select(i => Activated(i)).ToArray());

        Assert.Equal(1, _h.Journal.CommittedBatches);
        Assert.Equal(1000, _h.Journal.LastSeq);
    }

    [Fact]
    public async Task A_group_is_capped_at_MaxBatch_records()
    {
        var count = EventJournal.MaxBatch + 100;

        await _h.PublishAndFlush(Enumerable.Range(1, count).Select(i => Activated(i)).ToArray());

        Assert.Equal(2, _h.Journal.CommittedBatches);
        Assert.Equal(count, _h.All().Count);
    }

    [Fact]
    public async Task A_record_holds_the_event_time_in_UTC_the_monotonic_time_type_point_zone_and_severity()
    {
        var at = new DateTimeOffset(2025, 3, 14, 14, 30, 0, TimeSpan.FromHours(5.5)).AddTicks(1234567);
        var expectedMonotonic = TimeSpan.FromTicks((long)((Int128)_h.Time.GetTimestamp() * TimeSpan.TicksPerSecond / _h.Time.TimestampFrequency));

        await _h.PublishAndFlush(new PointActivated(at, "lobby-panic-1", PointKind.PanicButton, "lobby"));

        var record = Assert.Single(_h.All());
        Assert.Equal(at, record.Timestamp);
        Assert.Equal(TimeSpan.Zero, record.Timestamp.Offset);
        Assert.Equal(expectedMonotonic, record.Monotonic);
        Assert.Equal("point.activated", record.Type);
        Assert.Equal("lobby-panic-1", record.Point);
        Assert.Equal("lobby", record.Zone);
        Assert.Equal(Severity.Critical, record.Severity);
        Assert.False(record.Drill);
        AssertData(record.DataJson, ("kind", "panicButton"), ("active", true));
        Assert.Equal(at.ToUnixTimeMilliseconds(), UuidV7Milliseconds(record.Id));
    }

    [Fact]
    public async Task Columns_are_stored_as_plain_text_a_technician_can_read()
    {
        await _h.PublishAndFlush(new LockdownStarted(T0, "panic-button", "lobby-panic-1"));

        var (ts, severity, drill, data) = _h.Database.Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT ts, severity, drill, data FROM events WHERE seq = 1;";
            using var reader = command.ExecuteReader();
            reader.Read();
            return (reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3));
        });

        Assert.Equal("2025-03-14T09:00:00.0000000Z", ts);
        Assert.Equal("critical", severity);
        Assert.Equal(0, drill);
        Assert.Equal("""{"cause":"panic-button","scenario":"lockdown"}""", data);
    }

    [Fact]
    public async Task The_drill_flag_is_false_by_default_and_stored_when_given()
    {
        _h.Journal.Publish([Activated(1)]);
        _h.Journal.Publish([Activated(2)], drill: true);
        await _h.Flush();

        var records = _h.All();
        Assert.False(records[0].Drill);
        Assert.True(records[1].Drill);
    }

    [Fact]
    public async Task Every_event_type_round_trips_with_its_data()
    {
        var since = T0.AddMinutes(-5);
        await _h.PublishAndFlush(
            new PointActivated(T0, "lobby-door", PointKind.DoorContact, "lobby"),
            new PointRestored(T0, "lobby-door", PointKind.DoorContact, "lobby"),
            new LockdownStarted(T0, "panic-button", "lobby-panic-1"),
            new LockdownRetriggered(T0, "panic-button", "lobby-panic-2"),
            new LockdownCleared(T0, "guard-keyswitch", since),
            new LockdownClearRefused(T0, "office:alice", "second operator required"),
            new SirenTimedOut(T0),
            new GatewayStarted(T0, SiteMode.Lockdown, "panic-button"),
            new PointActiveAtBoot(T0, "fence-north", PointKind.Perimeter, "perimeter"),
            new SafetyStateNotPersisted(T0, "disk I/O error"),
            new OutputFault(T0, "lobby-lock", "read-back mismatch"),
            new JournalFull(T0, 7, "limit"),
            new JournalRecovered(T0, 3),
            new DeliveryFault(T0, 12, "quota"));

        var r = _h.All();
        Assert.Equal(
            ["point.activated", "point.restored", "lockdown.started", "lockdown.retriggered", "lockdown.cleared", "lockdown.clear-refused", "siren.timed-out", "gateway.started", "point.active-at-boot", "fault.safety-state-not-persisted", "fault.output", "fault.journal-full", "journal.recovered", "fault.delivery"],
            r.Select(record => record.Type));
        AssertData(r[0].DataJson, ("kind", "doorContact"), ("active", true));
        AssertData(r[1].DataJson, ("kind", "doorContact"), ("active", false));
        AssertData(r[2].DataJson, ("cause", "panic-button"), ("scenario", "lockdown"));
        Assert.Equal("lobby-panic-2", r[3].Point);
        AssertData(r[4].DataJson, ("clearedBy", "guard-keyswitch"), ("lockdownSince", "2025-03-14T08:55:00.000Z"), ("scenario", "lockdown"));
        AssertData(r[5].DataJson, ("attemptedBy", "office:alice"), ("reason", "second operator required"));
        Assert.Equal("{}", r[6].DataJson);
        AssertData(r[7].DataJson, ("restoredMode", "lockdown"), ("lockdownCause", "panic-button"), ("suspended", EventDataWriterTests.NoneSuspended));
        Assert.Equal(Severity.Warning, r[7].Severity);
        AssertData(r[8].DataJson, ("kind", "perimeter"));
        Assert.Equal("perimeter", r[8].Zone);
        AssertData(r[9].DataJson, ("reason", "disk I/O error"));
        Assert.Equal("lobby-lock", r[10].Point);
        AssertData(r[10].DataJson, ("output", "lobby-lock"), ("reason", "read-back mismatch"));
        AssertData(r[11].DataJson, ("undelivered", 7L), ("reason", "limit"));
        AssertData(r[12].DataJson, ("dropped", 3L));
        AssertData(r[13].DataJson, ("seq", 12L), ("reason", "quota"));
        Assert.All(r.Skip(2).Where(record => record.Seq != r[8].Seq), record => Assert.Null(record.Zone));
    }

    [Fact]
    public async Task ReadAfter_returns_only_later_records_in_order_and_at_most_max()
    {
        await _h.PublishAndFlush(Enumerable.Range(1, 10).Select(i => Activated(i)).ToArray());

        Assert.Equal([4L, 5, 6], _h.Journal.ReadAfter(3, 3).Select(record => record.Seq));
        Assert.Equal([1L, 2], _h.Journal.ReadAfter(-5, 2).Select(record => record.Seq));
        Assert.Equal([10L], _h.Journal.ReadAfter(9, 100).Select(record => record.Seq));
        Assert.Empty(_h.Journal.ReadAfter(10, 100));
        Assert.Equal([3L, 4], _h.Journal.Read(3, 2).Select(record => record.Seq));
        Assert.Empty(_h.Journal.ReadAfter(long.MaxValue, 100));
        Assert.Throws<ArgumentOutOfRangeException>(() => _h.Journal.ReadAfter(0, 0));
    }

    [Fact]
    public async Task FindById_returns_the_record_with_that_id_and_null_for_an_id_never_journaled()
    {
        await _h.PublishAndFlush(Enumerable.Range(1, 5).Select(i => Activated(i)).ToArray());
        var third = _h.Journal.Read(3, 1)[0];

        Assert.Equal(third, _h.Journal.FindById(third.Id));
        Assert.Null(_h.Journal.FindById(Guid.CreateVersion7()));
    }

    [Fact]
    public async Task The_delivery_cursor_and_the_records_survive_a_restart()
    {
        await _h.PublishAndFlush(Enumerable.Range(1, 5).Select(i => Activated(i)).ToArray());
        Assert.Equal(0, _h.Journal.DeliveredThrough);
        _h.Journal.MarkDelivered(3);

        _h.Reopen();

        Assert.Equal(3, _h.Journal.DeliveredThrough);
        Assert.Equal(5, _h.Journal.LastSeq);
        var undelivered = _h.Journal.ReadAfter(_h.Journal.DeliveredThrough, 100);
        Assert.Equal([4L, 5], undelivered.Select(record => record.Seq));
        Assert.Equal(["p4", "p5"], undelivered.Select(record => record.Point));
    }

    [Fact]
    public async Task MarkDelivered_never_moves_the_cursor_backwards()
    {
        await _h.PublishAndFlush(Enumerable.Range(1, 5).Select(i => Activated(i)).ToArray());

        _h.Journal.MarkDelivered(4);
        _h.Journal.MarkDelivered(2);
        _h.Journal.MarkDelivered(0);
        Assert.Equal(4, _h.Journal.DeliveredThrough);

        _h.Reopen();
        Assert.Equal(4, _h.Journal.DeliveredThrough);
    }

    [Fact]
    public async Task MarkDelivered_refuses_sequence_numbers_not_yet_journaled_or_negative()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));

        Assert.Throws<ArgumentOutOfRangeException>(() => _h.Journal.MarkDelivered(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => _h.Journal.MarkDelivered(-1));
        Assert.Equal(0, _h.Journal.DeliveredThrough);
    }

    [Fact]
    public async Task WaitForRecordsAfter_completes_when_a_record_arrives()
    {
        var waiting = _h.Journal.WaitForRecordsAfterAsync(0, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        _h.Publish(Activated(1));

        await waiting.WaitAsync(Patience);
        Assert.Equal(1, _h.Journal.LastSeq);
    }

    [Fact]
    public async Task WaitForRecordsAfter_ignores_records_up_to_afterSeq_and_completes_at_once_when_later_ones_exist()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));

        await _h.Journal.WaitForRecordsAfterAsync(1, CancellationToken.None).WaitAsync(Patience);
        var waiting = _h.Journal.WaitForRecordsAfterAsync(2, CancellationToken.None);
        await _h.PublishAndFlush(Activated(3));
        await waiting.WaitAsync(Patience);

        Assert.Equal(3, _h.Journal.LastSeq);
    }

    [Fact]
    public async Task WaitForRecordsAfter_a_seq_beyond_the_next_waits_past_the_announcements_before_it()
    {
        var waiting = _h.Journal.WaitForRecordsAfterAsync(2, CancellationToken.None);

        for (var seq = 1; seq <= 2; seq++)
        {
            // The announcement's own signal, awaited after it, has run the waiter's continuation.
            var announced = _h.Journal.WaitForRecordsAfterAsync(seq - 1, CancellationToken.None);
            await _h.PublishAndFlush(Activated(seq));
            await announced.WaitAsync(Patience);
            Assert.False(waiting.IsCompleted, $"completed at seq {seq}");
        }

        await _h.PublishAndFlush(Activated(3));
        await waiting.WaitAsync(Patience);
        Assert.Equal(3, _h.Journal.LastSeq);
    }

    [Fact]
    public async Task WaitForRecordsAfter_fails_a_waiter_still_waiting_when_the_journal_is_disposed()
    {
        await _h.PublishAndFlush(Activated(1));
        var waiting = _h.Journal.WaitForRecordsAfterAsync(1, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        _h.Journal.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting.WaitAsync(Patience));
    }

    [Fact]
    public async Task WaitForRecordsAfter_can_be_cancelled()
    {
        using var cancellation = new CancellationTokenSource();
        var waiting = _h.Journal.WaitForRecordsAfterAsync(0, cancellation.Token);

        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Patience));
    }

    // Housekeeping runs after the round's commit: its failure (a bug, not a write failure, which
    // retention handles itself) must not count the committed batch as dropped.
    [Fact]
    public async Task A_housekeeping_failure_does_not_count_the_committed_batch_as_dropped()
    {
        _h.Journal.BeforeHousekeep = () => throw new OverflowException("a bug in retention");

        await _h.PublishAndFlush(Activated(1), Activated(2));

        Assert.Equal(0, _h.Journal.Dropped);
        Assert.Equal([1L, 2], _h.All().Select(record => record.Seq));
        Assert.IsType<OverflowException>(Assert.Single(_h.Errors));
        _h.Journal.BeforeHousekeep = null;
        await _h.PublishAndFlush(Activated(3));
        Assert.Equal(0, _h.Journal.Dropped);
        Assert.Equal(["point.activated"], _h.All().Select(record => record.Type).Distinct());
    }

    [Fact]
    public void The_session_counter_starts_at_1_and_increments_across_restarts()
    {
        Assert.Equal(1, _h.Journal.NextSession());
        Assert.Equal(2, _h.Journal.NextSession());

        _h.Reopen();

        Assert.Equal(3, _h.Journal.NextSession());
    }

    [Fact]
    public void Dispose_drains_what_was_queued()
    {
        _h.Publish(Enumerable.Range(1, 500).Select(i => Activated(i)).ToArray());

        _h.Reopen();

        Assert.Equal(500, _h.Journal.LastSeq);
        Assert.Equal(500, _h.All().Count);
    }

    [Fact]
    public async Task Publishing_after_dispose_neither_throws_nor_writes_but_counts()
    {
        await _h.PublishAndFlush(Activated(1));
        _h.Journal.Dispose();

        _h.Publish(Activated(2), Activated(3));

        Assert.Equal(2, _h.Journal.Dropped);
        Assert.Equal(1, _h.Journal.LastSeq);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _h.Journal.WaitForRecordsAfterAsync(5, CancellationToken.None));
    }

    [Fact]
    public async Task Events_before_1970_still_get_a_valid_UUIDv7()
    {
        await _h.PublishAndFlush(Activated(1, new DateTimeOffset(1969, 12, 31, 0, 0, 0, TimeSpan.Zero)));

        var record = Assert.Single(_h.All());
        Assert.Equal(7, record.Id.Version);
        Assert.Equal(new DateTimeOffset(1969, 12, 31, 0, 0, 0, TimeSpan.Zero), record.Timestamp);
    }

    private static long UuidV7Milliseconds(Guid id) => Convert.ToInt64(id.ToString("N")[..12], 16);
}
