using EdgeGuard.Core;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Core.Tests;

/// <summary>Monotonic time is exact in ticks, whatever the timestamp's size.</summary>
public sealed class MomentTests
{
    [Fact]
    public void Timestamps_25_ms_apart_are_25_ms_apart_on_a_fake_clock_far_from_its_origin()
    {
        // A fake clock's timestamps are ticks since year 1 (about 6.4e17): as a double, each was
        // off by up to tens of ticks, so a debounce deadline 25 ms on read as not yet reached
        // when the controller happened to boot 110 ms after this start instead of 100 ms.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
        for (var offset = 0; offset < 1000; offset += 10)
        {
            var before = time.GetTimestamp();
            time.Advance(TimeSpan.FromMilliseconds(25));
            Assert.Equal(
                TimeSpan.FromMilliseconds(25),
                Moment.MonotonicOf(time, time.GetTimestamp()) - Moment.MonotonicOf(time, before));
            time.Advance(TimeSpan.FromMilliseconds(10));
        }
    }

    [Fact]
    public void A_nanosecond_clock_is_converted_to_whole_ticks()
    {
        var time = new NanosecondClock();

        Assert.Equal(new TimeSpan(12_345_678_901_234), Moment.MonotonicOf(time, 1_234_567_890_123_456));
    }

    /// <summary>The frequency of Stopwatch on Linux: nanoseconds.</summary>
    private sealed class NanosecondClock : TimeProvider
    {
        public override long TimestampFrequency => 1_000_000_000;
    }
}
