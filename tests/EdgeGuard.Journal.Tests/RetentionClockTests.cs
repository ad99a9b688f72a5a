using Microsoft.Extensions.Time.Testing;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// Delivered records age by the retention clock (time the journal has been open, from the monotonic
/// clock, summed over restarts), not by the wall clock: a gateway without an RTC can have its clock
/// stepped by a bad NTP or GPS answer, and the local history (EN 50131: at least 30 days) must not go
/// with it. <see cref="FakeTimeProvider.Advance"/> is real time passing (both clocks);
/// <see cref="SteppableClock.Step"/> moves the wall clock alone.
/// </summary>
public sealed class RetentionClockTests : IDisposable
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);
    private static readonly TimeSpan TenYears = TimeSpan.FromDays(3652);

    private readonly TempDirectory _temp = new();
    private readonly FakeTimeProvider _real = new(T0);
    private readonly SteppableClock _clock;
    private JournalDatabase _database = null!;
    private EventJournal _journal = null!;

    public RetentionClockTests()
    {
        _clock = new SteppableClock(_real);
        Open();
    }

    public void Dispose()
    {
        Close();
        _temp.Dispose();
    }

    [Fact]
    public async Task Delivered_records_survive_the_wall_clock_stepping_ten_years_ahead_and_go_once_their_age_has_really_passed()
    {
        await DeliveredRecords(10);

        _clock.Step(TenYears);
        // The writer's own age check runs too, after this batch (stamped by the stepped clock).
        await PublishAndFlush(11);
        Assert.Equal(0, _journal.EnforceRetention());
        Assert.Equal(11, Seqs().Count);

        _real.Advance(Month + TimeSpan.FromDays(1));
        Assert.Equal(10, _journal.EnforceRetention());
        Assert.Equal([11L], Seqs()); // undelivered: never deleted
    }

    [Fact]
    public async Task Delivered_records_survive_a_restart_on_a_wall_clock_stepped_ahead_because_the_retention_clock_resumes_where_it_was()
    {
        await DeliveredRecords(10);

        _clock.Step(TenYears);
        Reopen();
        await PublishAndFlush(11);
        Assert.Equal(0, _journal.EnforceRetention());
        Assert.Equal(11, Seqs().Count);

        _real.Advance(Month + TimeSpan.FromDays(1));
        Assert.Equal(10, _journal.EnforceRetention());
    }

    [Fact]
    public async Task Records_journaled_before_the_wall_clock_was_stepped_back_still_age_out()
    {
        await DeliveredRecords(5);
        _clock.Step(-TenYears);
        // Now the first five look ten years in the future, which stopped age-based deletion at them.
        await PublishAndFlush(6, 7, 8, 9, 10);
        _journal.MarkDelivered(10);
        // The writer's next age check (every minute) marks them as journaled now; this one runs it now.
        Assert.Equal(0, _journal.EnforceRetention());

        _real.Advance(Month + TimeSpan.FromDays(1));
        Assert.Equal(10, _journal.EnforceRetention());
        Assert.Empty(Seqs());
    }

    [Fact]
    public async Task The_retention_clock_counts_running_time_over_restarts()
    {
        await DeliveredRecords(10);
        _real.Advance(TimeSpan.FromDays(20));
        Assert.Equal(0, _journal.EnforceRetention());

        Reopen();
        _real.Advance(TimeSpan.FromDays(9));
        Assert.Equal(0, _journal.EnforceRetention()); // 29 days of running time
        _real.Advance(TimeSpan.FromDays(2));
        Assert.Equal(10, _journal.EnforceRetention());
    }

    [Fact]
    public async Task Time_powered_off_is_not_counted_so_records_are_kept_longer_never_shorter()
    {
        await DeliveredRecords(10);
        Close();
        _real.Advance(TimeSpan.FromDays(40)); // off: no monotonic link across it
        Open();

        Assert.Equal(0, _journal.EnforceRetention());
        _real.Advance(Month + TimeSpan.FromMinutes(2));
        Assert.Equal(10, _journal.EnforceRetention());
    }

    [Fact]
    public async Task A_record_is_aged_from_the_first_age_check_after_it_was_journaled_so_it_is_never_deleted_early()
    {
        await DeliveredRecords(1);
        // Journaled 29 days later; the writer's next age check is due by then and marks it.
        _real.Advance(TimeSpan.FromDays(29));
        await PublishAndFlush(2);
        _journal.MarkDelivered(2);

        _real.Advance(TimeSpan.FromDays(2));
        Assert.Equal(1, _journal.EnforceRetention());
        Assert.Equal([2L], Seqs());
    }

    // Journals `count` events stamped by the wall clock and has the office acknowledge them all.
    private async Task DeliveredRecords(int count)
    {
        await PublishAndFlush([.. Enumerable.Range(1, count)]);
        _journal.MarkDelivered(_journal.LastSeq);
    }

    private async Task PublishAndFlush(params int[] points)
    {
        _journal.Publish([.. points.Select(i => Activated(i, _clock.GetUtcNow()))]);
        await _journal.FlushAsync().WaitAsync(Patience);
    }

    private List<long> Seqs() => [.. _journal.Read(0, int.MaxValue).Select(record => record.Seq)];

    private void Open()
    {
        _database = JournalDatabase.Open(_temp.File("gateway.db"));
        _journal = new EventJournal(_database, _clock, new JournalLimits(1000, Month));
    }

    private void Close()
    {
        _journal.Dispose();
        _database.Dispose();
    }

    private void Reopen()
    {
        Close();
        Open();
    }

    /// <summary>
    /// A wall clock that can be stepped without the monotonic clock moving, as NTP steps a gateway's
    /// clock. <see cref="FakeTimeProvider"/> alone cannot: its timestamp follows its UTC time, so
    /// <see cref="FakeTimeProvider.Advance"/> and <see cref="FakeTimeProvider.SetUtcNow"/> move both.
    /// </summary>
    private sealed class SteppableClock(FakeTimeProvider real) : TimeProvider
    {
        private TimeSpan _step;

        public void Step(TimeSpan by) => _step += by;

        public override DateTimeOffset GetUtcNow() => real.GetUtcNow() + _step;

        public override long GetTimestamp() => real.GetTimestamp();

        public override long TimestampFrequency => real.TimestampFrequency;

        public override TimeZoneInfo LocalTimeZone => real.LocalTimeZone;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            real.CreateTimer(callback, state, dueTime, period);
    }
}
