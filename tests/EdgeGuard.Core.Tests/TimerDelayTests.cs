using CsCheck;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// .NET timers drop the part of a delay below one millisecond, so 0.4 ms fires at once. Every timer
/// of the gateway that waits for a deadline asks <see cref="TimerDelay.Until"/> for its delay.
/// </summary>
public sealed class TimerDelayTests
{
    [Theory]
    [InlineData(0.0001, 1)]
    [InlineData(0.4, 1)]
    [InlineData(1.0, 1)]
    [InlineData(1.0001, 2)]
    [InlineData(249.6, 250)]
    public void A_wait_left_is_rounded_up_to_whole_milliseconds(double leftMs, int expectedMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), TimerDelay.Until(TimeSpan.FromMilliseconds(leftMs)));

    [Theory]
    [InlineData(0.0)]
    [InlineData(-0.4)]
    [InlineData(-5000.0)]
    public void A_deadline_already_reached_fires_at_once(double leftMs) =>
        Assert.Equal(TimeSpan.Zero, TimerDelay.Until(TimeSpan.FromMilliseconds(leftMs)));

    [Fact]
    public void A_deadline_exactly_one_millisecond_past_fires_at_once_though_that_is_the_value_of_never() =>
        Assert.Equal(TimeSpan.Zero, TimerDelay.Until(TimeSpan.FromMilliseconds(-1)));

    [Fact]
    public void The_delay_is_never_shorter_than_what_is_left_nor_a_whole_millisecond_longer() =>
        Gen.Long[1, TimeSpan.FromDays(2).Ticks].Sample(ticks =>
        {
            var left = TimeSpan.FromTicks(ticks);
            var delay = TimerDelay.Until(left);
            Assert.True(delay >= left, $"{delay} for {left}");
            Assert.True(delay - left < TimeSpan.FromMilliseconds(1), $"{delay} for {left}");
            Assert.Equal(0, delay.Ticks % TimeSpan.TicksPerMillisecond);
        });
}
