using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Commands;

/// <summary>
/// An authentic office command (its signature verified, addressed to this gateway) was refused only
/// for its times: issued further ahead of the gateway's clock than the skew allows, or expired by
/// it. Either the gateway's clock is wrong (a gateway without a battery-backed clock boots after a
/// power cut behind by the outage; one without a time server drifts), and then every office command
/// is refused, lockdown included; or an old command was replayed. Not raised for an expired command
/// issued before the command connection came up (held by the broker while the gateway was away:
/// the command handler leaves it out). Raised once per episode, not per command, so a flood of
/// replays journals one fault;
/// <see cref="ClockRestored"/> ends the episode. Never raised for a forged command: nothing of it
/// is believed.
/// </summary>
/// <param name="At">The gateway's clock when the command was refused.</param>
/// <param name="CommandId">The first command refused in this episode.</param>
/// <param name="Operator">Who signed it (verified).</param>
/// <param name="Rejection"><see cref="CommandRejection.IssuedInFuture"/> or <see cref="CommandRejection.Expired"/>.</param>
/// <param name="IssuedAt">The command's <c>issued_at</c>, by the office's clock.</param>
/// <param name="Gap"><c>issued_at</c> minus the gateway's clock: positive when the gateway's clock is behind.</param>
public sealed record ClockFault(
    DateTimeOffset At, string CommandId, string Operator, CommandRejection Rejection, DateTimeOffset IssuedAt, TimeSpan Gap) : DomainEvent(At)
{
    /// <inheritdoc />
    public override string Type => "fault.clock";

    /// <inheritdoc />
    // The office cannot command the site at all while it lasts (lockdown included), like a missing
    // operator key (fault.operator-key) or a broker refusing the gateway: an alarm. Not critical:
    // the site is still protected locally (panic buttons, fire, timers run on the monotonic clock).
    public override Severity Severity => Severity.Alarm;

    /// <summary>A sentence for people: the gap, and its two possible causes.</summary>
    public string Reason
    {
        get
        {
            var ahead = Gap >= TimeSpan.Zero;
            var size = Describe(ahead ? Gap : -Gap);
            var where = ahead ? "ahead of" : "behind";
            return $"command {CommandId} signed by '{Operator}' was refused as {Rejection.Code()}: its issued_at "
                + $"{WireTime.Format(IssuedAt)} is {size} {where} the gateway's clock {WireTime.Format(At)}; "
                + "either the gateway's clock is wrong or an old command was replayed. While the clock is "
                + "wrong every office command is refused: check the gateway's time source (timedatectl)";
        }
    }

    private static string Describe(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(long)span.TotalHours} h {span.Minutes} min {span.Seconds} s"
        : span.TotalMinutes >= 1 ? $"{span.Minutes} min {span.Seconds} s"
        : $"{span.TotalSeconds:0.###} s";
}

/// <summary>
/// After <see cref="ClockFault"/>, an authentic command's times verified within the skew: the
/// gateway's clock agrees with the office's again (or the replays stopped and a fresh command came).
/// </summary>
/// <param name="At">The gateway's clock when the command verified.</param>
/// <param name="CommandId">The command that verified.</param>
/// <param name="Operator">Who signed it (verified).</param>
/// <param name="Refused">Authentic commands refused for their times during the episode.</param>
public sealed record ClockRestored(DateTimeOffset At, string CommandId, string Operator, int Refused) : DomainEvent(At)
{
    /// <inheritdoc />
    public override string Type => "fault.clock-restored";

    /// <inheritdoc />
    public override Severity Severity => Severity.Info;
}

/// <summary>How an authentic command's times compared with the gateway's clock (<see cref="CommandVerdict.Clock"/>).</summary>
/// <param name="Operator">Who signed it (verified).</param>
/// <param name="IssuedAt">Its <c>issued_at</c>.</param>
/// <param name="Now">The gateway's clock when it was checked.</param>
/// <param name="WithinSkew">False when it was refused as expired or issued in the future.</param>
public sealed record CommandClock(string Operator, DateTimeOffset IssuedAt, DateTimeOffset Now, bool WithinSkew)
{
    /// <summary><c>issued_at</c> minus the gateway's clock: positive when the gateway's clock is behind.</summary>
    public TimeSpan Gap => IssuedAt - Now;
}

/// <summary>
/// Turns verdicts into clock episodes: the first authentic command refused for its times raises
/// <see cref="ClockFault"/>, the next one within the skew <see cref="ClockRestored"/>; nothing in
/// between. Not thread-safe: the caller serialises (the command handler's lock).
/// </summary>
public sealed class CommandClockWatch
{
    // Authentic commands refused for their times since the fault was raised; 0: no episode open.
    private int _refused;

    /// <summary>Whether a <see cref="ClockFault"/> was raised and not yet restored.</summary>
    public bool Open => _refused > 0;

    /// <summary>The clock event <paramref name="verdict"/> starts or ends, if any.</summary>
    public DomainEvent? Observe(CommandVerdict verdict, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        if (verdict.Clock is not { } clock)
        {
            // Forged, misaddressed or unreadable: says nothing about the clock either way.
            return null;
        }

        if (!clock.WithinSkew)
        {
            _refused = _refused == int.MaxValue ? int.MaxValue : _refused + 1;
            return _refused == 1
                ? new ClockFault(now, verdict.CommandId, clock.Operator, verdict.Rejection!.Value, clock.IssuedAt, clock.Gap)
                : null;
        }

        if (_refused == 0)
        {
            return null;
        }

        var refused = _refused;
        _refused = 0;
        return new ClockRestored(now, verdict.CommandId, clock.Operator, refused);
    }

    /// <summary>
    /// Takes back <paramref name="clockEvent"/> from <see cref="Observe"/> because it could not be
    /// journaled: a fault is raised again by the next such command, a restoration is reported again
    /// by the next good one (until then the episode stays open).
    /// </summary>
    public void Unreported(DomainEvent clockEvent)
    {
        switch (clockEvent)
        {
            case ClockFault:
                _refused = 0;
                break;
            case ClockRestored restored when _refused == 0:
                _refused = restored.Refused;
                break;
        }
    }
}
