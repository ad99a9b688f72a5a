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
}
