using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Testing;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that remembers every due time asked of its timers, when one is
/// created and on every <see cref="ITimer.Change"/>. A real timer drops the part of a delay below
/// one millisecond (0.4 ms fires at once) where this fake one would not, so a test can only see
/// such a delay by reading what was asked.
/// </summary>
public sealed class TimerRecordingClock : FakeTimeProvider
{
    private readonly ConcurrentQueue<TimeSpan> _dueTimes = new();

    /// <summary>A clock at the fake provider's default start.</summary>
    public TimerRecordingClock()
    {
    }

    /// <summary>A clock starting at <paramref name="start"/>.</summary>
    public TimerRecordingClock(DateTimeOffset start)
        : base(start)
    {
    }

    /// <summary>Every due time asked so far, in order.</summary>
    public IReadOnlyCollection<TimeSpan> DueTimes => _dueTimes;

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        _dueTimes.Enqueue(dueTime);
        return new RecordingTimer(base.CreateTimer(callback, state, dueTime, period), _dueTimes);
    }

    private sealed class RecordingTimer(ITimer timer, ConcurrentQueue<TimeSpan> dueTimes) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            dueTimes.Enqueue(dueTime);
            return timer.Change(dueTime, period);
        }

        public void Dispose() => timer.Dispose();

        public ValueTask DisposeAsync() => timer.DisposeAsync();
    }
}
