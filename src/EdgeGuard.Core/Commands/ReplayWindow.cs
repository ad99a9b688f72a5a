namespace EdgeGuard.Core.Commands;

/// <summary>
/// The wall-clock span in which a <see cref="CommandVerifier"/> can accept a command: from the
/// earliest it can have been signed (<c>issued_at</c> − skew) to when it is refused as expired
/// (<c>expires_at</c> + skew). Its id must be remembered for all of it, under the largest skew any
/// configuration may give (<see cref="CommandVerifierOptions.MaxClockSkew"/>): the store outlives a
/// restart that raises it.
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
/// <param name="Elapsed">The <see cref="RunningClock"/> reading.</param>
public readonly record struct ReplayHorizon(DateTimeOffset Wall, TimeSpan Elapsed)
{
    /// <summary>
    /// The <see cref="RunningClock"/> reading before which an id recorded at this horizon is never
    /// forgotten: the command's whole window, counted from now.
    /// </summary>
    public TimeSpan KeepUntil(ReplayWindow window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(window.Until, window.From, nameof(window));
        return Elapsed + window.Length;
    }

    /// <summary>
    /// Whether an id kept until <paramref name="forgetAfter"/> (wall) and <paramref name="keepUntil"/>
    /// (<see cref="RunningClock"/>) may be forgotten: the one rule both replay stores prune by
    /// (SQLite states it in SQL, <c>SqliteSeenCommandIds</c>; the shared tests hold the two alike).
    /// </summary>
    public bool HasPassed(DateTimeOffset forgetAfter, TimeSpan keepUntil) => forgetAfter < Wall && keepUntil < Elapsed;
}
