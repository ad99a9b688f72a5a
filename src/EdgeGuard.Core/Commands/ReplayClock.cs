namespace EdgeGuard.Core.Commands;

/// <summary>
/// The wall-clock span in which <see cref="CommandVerifier"/> can accept a command: from the
/// earliest it can have been signed (<c>issued_at</c> − skew) to when it is refused as expired
/// (<c>expires_at</c> + skew). Its id must be remembered for all of it.
/// </summary>
/// <param name="From">The earliest moment the command can exist.</param>
/// <param name="Until">From this moment on the command is refused as expired.</param>
public readonly record struct ReplayWindow(DateTimeOffset From, DateTimeOffset Until)
{
    /// <summary>
    /// The longest the command can stay acceptable after it was received, in real elapsed time,
    /// whatever the gateway's clock said when it arrived: it cannot have arrived before
    /// <see cref="From"/>. At most <see cref="CommandVerifierOptions.MaxLifetime"/> plus twice the skew.
    /// </summary>
    public TimeSpan Length => Until - From;
}

/// <summary>
/// How far pruning of the replay store may go at one moment: a remembered id is forgotten only
/// once <em>both</em> clocks are past it. The wall clock alone is not enough, because it can be
/// stepped (a bad or spoofed NTP answer, an operator): stepped forward it would prune every id,
/// and stepped back it would make their commands acceptable again. <see cref="Elapsed"/> cannot
/// be stepped, so an id is kept until its command has really expired; <see cref="Wall"/> keeps
/// it too while the gateway's clock would still accept the command (a clock set back).
/// </summary>
/// <param name="Wall">The wall-clock time the verifier checked expiry with.</param>
/// <param name="Elapsed">The <see cref="ReplayClock"/> reading.</param>
public readonly record struct ReplayHorizon(DateTimeOffset Wall, TimeSpan Elapsed)
{
    /// <summary>
    /// The <see cref="ReplayClock"/> reading before which an id recorded at this horizon is never
    /// forgotten: the command's whole window, counted from now.
    /// </summary>
    public TimeSpan KeepUntil(ReplayWindow window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window.Until, window.From, nameof(window));
        return Elapsed + window.Length;
    }

    /// <summary>
    /// Whether an id kept until <paramref name="forgetAfter"/> (wall) and <paramref name="keepUntil"/>
    /// (<see cref="ReplayClock"/>) may be forgotten: the one rule both replay stores prune by
    /// (SQLite states it in SQL, <c>SqliteSeenCommandIds</c>; the shared tests hold the two alike).
    /// </summary>
    public bool HasPassed(DateTimeOffset forgetAfter, TimeSpan keepUntil) => forgetAfter < Wall && keepUntil < Elapsed;
}

/// <summary>
/// The clock replay stores forget by: time the store has been open, summed over restarts. It
/// advances only with the monotonic clock (<see cref="TimeProvider.GetTimestamp"/>), so no
/// wall-clock step moves it, and never faster than real time. A durable store persists its
/// reading and <see cref="Resume"/>s from it after a restart; time powered off, and a run's time
/// after its last persisted reading, are not counted. That only ever keeps ids longer: each is
/// kept at most its <see cref="ReplayWindow.Length"/> of counted time (the table holds the few
/// commands of one window), and never forgotten before its command really expired.
/// </summary>
/// <remarks>Not thread-safe: the stores read it under their own lock or transaction.</remarks>
public sealed class ReplayClock
{
    private readonly TimeProvider _time;
    private long _resumedAt;
    private TimeSpan? _resumedFrom;

    /// <summary>A clock that counts nothing until <see cref="Resume"/>.</summary>
    public ReplayClock(TimeProvider time)
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
            throw new InvalidOperationException("The replay clock is already running.");
        }

        _resumedAt = _time.GetTimestamp();
        _resumedFrom = elapsed;
    }

    /// <summary>The counted time now.</summary>
    /// <exception cref="InvalidOperationException">Not running yet.</exception>
    public TimeSpan Elapsed =>
        (_resumedFrom ?? throw new InvalidOperationException("The replay clock has not been resumed."))
        + _time.GetElapsedTime(_resumedAt);

    /// <summary>Where pruning stands when the verifier's wall clock reads <paramref name="now"/>.</summary>
    public ReplayHorizon HorizonAt(DateTimeOffset now) => new(now, Elapsed);
}
