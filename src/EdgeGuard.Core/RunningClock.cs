namespace EdgeGuard.Core;

/// <summary>
/// Running time: how long something has been open, summed over restarts. It advances only with the
/// monotonic clock (<see cref="TimeProvider.GetTimestamp"/>), so no wall-clock step moves it (a bad
/// NTP or GPS answer on a gateway without an RTC), and never faster than real time. A durable user
/// persists its reading and <see cref="Resume"/>s from it after a restart; time powered off, and a
/// run's time after its last persisted reading, are not counted. What is measured on it can only
/// come out shorter than in real time: the replay store keeps a command id at least its window
/// (<see cref="Commands.ReplayHorizon"/>), the journal keeps a delivered event at least its
/// retention age.
/// </summary>
/// <remarks>Not thread-safe: its users read it under their own lock or transaction.</remarks>
public sealed class RunningClock
{
    private readonly TimeProvider _time;
    private long _resumedAt;
    private TimeSpan? _resumedFrom;

    /// <summary>A clock that counts nothing until <see cref="Resume"/>.</summary>
    public RunningClock(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
    }

    /// <summary>Whether <see cref="Resume"/> was called (a durable store resumes at its first use).</summary>
    public bool IsRunning => _resumedFrom is not null;

    /// <summary>
    /// Starts counting from <paramref name="elapsed"/>, the reading persisted by an earlier run (zero
    /// for a new store). Only time from this call on is counted: anchoring earlier could count the
    /// same moments twice, were another store over the same database to persist them meanwhile.
    /// </summary>
    /// <exception cref="InvalidOperationException">Already running.</exception>
    public void Resume(TimeSpan elapsed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(elapsed, TimeSpan.Zero);
        if (_resumedFrom is not null)
        {
            throw new InvalidOperationException("The running clock is already running.");
        }

        _resumedAt = _time.GetTimestamp();
        _resumedFrom = elapsed;
    }

    /// <summary>The counted time now.</summary>
    /// <exception cref="InvalidOperationException">Not running yet.</exception>
    public TimeSpan Elapsed =>
        (_resumedFrom ?? throw new InvalidOperationException("The running clock has not been resumed."))
        + _time.GetElapsedTime(_resumedAt);

    /// <summary>Where pruning of the replay store stands when the verifier's wall clock reads <paramref name="now"/>.</summary>
    public Commands.ReplayHorizon HorizonAt(DateTimeOffset now) => new(now, Elapsed);
}
