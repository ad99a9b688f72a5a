using EdgeGuard.Hosting.Systemd;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Hosting;

/// <summary>The stall state/delivery shows: the watchdog's rule, with a start that holds while it lasts.</summary>
public sealed class JournalStallSourceTests
{
    [Fact]
    public void A_writer_without_progress_for_a_minute_with_events_waiting_is_stalled_until_it_moves()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
        var progress = new JournalProgress(10, 7);
        var source = new JournalStallSource(() => progress, time);
        var started = time.GetUtcNow();

        Assert.Null(source.Stall);
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.Null(source.Stall); // a slow fsync is not a hang
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(new Core.Ports.JournalStall(started, 3), source.Stall);
        progress = new JournalProgress(12, 7);
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(new Core.Ports.JournalStall(started, 5), source.Stall); // same start, more waiting

        progress = new JournalProgress(12, 8); // the writer moved
        Assert.Null(source.Stall);
        progress = new JournalProgress(12, 12);
        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(source.Stall); // idle is never stuck
    }

    [Fact]
    public void Events_first_seen_waiting_after_a_long_gap_start_the_count_there_and_a_real_stall_still_shows()
    {
        // The publisher samples only while it runs its state check: disconnected or replaying,
        // it may not look for minutes. An event handed over just before the next look is not a
        // writer that has made no progress since the idle look before.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
        var progress = new JournalProgress(5, 5);
        var source = new JournalStallSource(() => progress, time);

        Assert.Null(source.Stall);
        time.Advance(TimeSpan.FromMinutes(5));
        progress = new JournalProgress(6, 5);
        Assert.Null(source.Stall); // was "no progress for 5 min" and a retained false alarm
        var started = time.GetUtcNow();

        // It then stays stuck, looked at every 10 s: a minute on, it is stalled since that look.
        for (var look = 1; look < 6; look++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            Assert.Null(source.Stall);
        }

        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(new Core.Ports.JournalStall(started, 1), source.Stall);
        time.Advance(TimeSpan.FromSeconds(50));
        Assert.Equal(new Core.Ports.JournalStall(started, 1), source.Stall);
    }

    [Fact]
    public void A_writer_seen_stuck_before_a_long_gap_is_stalled_since_that_sample()
    {
        // Events waited at the last look and none moved since: that is no progress for the whole
        // gap, whatever its length (a state check interval of up to a minute, a long watchdog
        // period), so the gap does not hide the stall.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 4, 12, 0, 0, TimeSpan.Zero));
        var progress = new JournalProgress(5, 5);
        var source = new JournalStallSource(() => progress, time);

        Assert.Null(source.Stall);
        progress = new JournalProgress(6, 5);
        Assert.Null(source.Stall);
        var started = time.GetUtcNow();
        time.Advance(TimeSpan.FromMinutes(5));
        progress = new JournalProgress(8, 5);
        Assert.Equal(new Core.Ports.JournalStall(started, 3), source.Stall);
    }
}
