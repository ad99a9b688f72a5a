using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> whose timers fire 1 ms early, as a real timer may by a tick
/// of its granularity: code woken by one must not take it for the deadline it asked for. A due
/// time of 1 ms or less is kept, so a timer re-armed for the rest fires on time.
/// </summary>
internal sealed class EarlyTimerClock(FakeTimeProvider fake) : TimeProvider
{
    private static readonly TimeSpan Early = TimeSpan.FromMilliseconds(1);

    public override DateTimeOffset GetUtcNow() => fake.GetUtcNow();

    public override long GetTimestamp() => fake.GetTimestamp();

    public override long TimestampFrequency => fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        new EarlyTimer(fake.CreateTimer(callback, state, Earlier(dueTime), period));

    private static TimeSpan Earlier(TimeSpan due) => due > Early ? due - Early : due;

    private sealed class EarlyTimer(ITimer timer) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => timer.Change(Earlier(dueTime), period);

        public void Dispose() => timer.Dispose();

        public ValueTask DisposeAsync() => timer.DisposeAsync();
    }
}
