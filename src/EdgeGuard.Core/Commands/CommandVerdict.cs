namespace EdgeGuard.Core.Commands;

// The verifier's limits and what it returns: kept apart from its checks (CommandVerifier.cs).

/// <summary>Limits of <see cref="CommandVerifier"/>.</summary>
/// <param name="Site">This gateway's site id.</param>
/// <param name="Gateway">This gateway's id.</param>
public sealed record CommandVerifierOptions(string Site, string Gateway)
{
    /// <summary>Payloads larger than this are refused unread (a command is a few hundred bytes).</summary>
    public int MaxPayloadBytes { get; init; } = 8 * 1024;

    /// <summary>The largest <see cref="ClockSkew"/> a gateway may be configured with (commands.clockSkewSeconds).</summary>
    public static readonly TimeSpan MaxClockSkew = TimeSpan.FromMinutes(5);

    /// <summary>How far the office's and the gateway's clocks may disagree, either way.</summary>
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest <c>expires_at - issued_at</c> accepted: a stolen signed command stays usable no longer.</summary>
    public TimeSpan MaxLifetime { get; init; } = TimeSpan.FromMinutes(15);
}

/// <summary>A command that passed every check, with the role it was accepted under.</summary>
public sealed record VerifiedCommand(CommandEnvelope Command, OperatorRole Role)
{
    /// <summary>
    /// The operator's key its signature verified with (set by <see cref="CommandVerifier.Verify"/>),
    /// so that <see cref="CommandVerifier.KeyWithdrawn"/> can tell, just before it is acted on,
    /// whether that key is still trusted; null for one built elsewhere (tests).
    /// </summary>
    public OperatorKey? Key { get; init; }

    /// <summary>
    /// The clock skew the verifier allowed (<see cref="CommandVerifierOptions.ClockSkew"/>): how far the
    /// signing console's clock may be from the gateway's, weighed when the command's signing time is
    /// compared with another console's (<see cref="Lockdown.CommandOrder.Superseded"/>). Zero for one
    /// built elsewhere (tests).
    /// </summary>
    public TimeSpan ClockSkew { get; init; }
}

/// <summary>An authentic payload the gateway has handled before, byte for byte, and what it was finally answered.</summary>
/// <param name="Command">The command, authenticated again.</param>
/// <param name="Final">Its stored final result.</param>
public sealed record RepeatedCommand(VerifiedCommand Command, CommandFinal Final);

/// <summary>The outcome of <see cref="CommandVerifier.Verify"/>.</summary>
/// <param name="Command">The verified command; null when rejected.</param>
/// <param name="Rejection">Why it was rejected; null when accepted.</param>
/// <param name="CommandId">The id as received, or empty when none could be read (for the result message).</param>
/// <param name="Detail">A sentence for people: what exactly was wrong.</param>
public sealed record CommandVerdict(VerifiedCommand? Command, CommandRejection? Rejection, string CommandId, string Detail)
{
    /// <summary>Whether the command may be acted on (unless <see cref="Unfinished"/> and still queued in this process).</summary>
    public bool Accepted => Command is not null;

    /// <summary>
    /// Set when this exact payload was handled to the end before (a broker redelivery after a lost
    /// acknowledgement, or a verbatim resend): <see cref="Command"/> and <see cref="Rejection"/> are
    /// null, nothing is to be acted on, and the stored final result is the answer.
    /// </summary>
    public RepeatedCommand? Repeat { get; init; }

    /// <summary>
    /// True when <see cref="Command"/> was recorded before with the same payload but never finished
    /// nor handed to the controller: it is still queued here (answer <c>accepted</c> again, do not
    /// act twice), or a stop or crash came first (act on it as new). Only the caller knows which.
    /// </summary>
    public bool Unfinished { get; init; }

    /// <summary>
    /// True, with <see cref="Repeat"/> carrying <see cref="CommandVerifier.Interrupted"/>, when
    /// this exact payload was handed to the controller and never finished. Only the caller knows
    /// why: still executing in this process (answer <c>accepted</c> again; its result follows), or
    /// cut short by a stop's deadline or a crash of an earlier run; then that repeat is the answer,
    /// and the caller stores it with <see cref="CommandVerifier.Finish"/> so that it stays so. The
    /// verifier stores nothing here: storing it for a command still executing made that false
    /// answer its permanent result, and dropped the real one.
    /// </summary>
    public bool Started { get; init; }

    /// <summary>
    /// How the command's times compared with the gateway's clock; null unless its signature
    /// verified and it is addressed to this gateway (a forged command says nothing about the clock).
    /// </summary>
    public CommandClock? Clock { get; init; }

    /// <summary>
    /// True when this verdict comes from <see cref="UnrecordedCommands"/>, not the replay store: an
    /// authentic <c>lockdown</c> the store did not answer for in time (accepted, with
    /// <see cref="StoreFailure"/>), or a copy of one this process accepted so (answered from
    /// memory). Its <see cref="CommandVerifier.Start"/> and <see cref="CommandVerifier.Finish"/> go
    /// to memory, handed to the store by <see cref="CommandVerifier.HandOverUnrecorded"/>.
    /// </summary>
    public bool Unrecorded { get; init; }

    /// <summary>
    /// Why the replay store did not answer for this verdict in time: an <see cref="Unrecorded"/>
    /// command just accepted, or a lockdown answered from the store's committed rows
    /// (<see cref="ISeenCommandIds.Find"/>, nothing written). Null when the store or memory answered.
    /// </summary>
    public Exception? StoreFailure { get; init; }

    /// <summary>
    /// True when the replay store was only read for this verdict, nothing written: a copy that
    /// came after its command expired, answered from the store's committed rows
    /// (<see cref="ISeenCommandIds.Find"/>). A read says nothing of whether the store takes writes.
    /// </summary>
    public bool OnlyRead { get; init; }

    /// <summary>The result message's reason: <c>code: detail</c>, or null when accepted.</summary>
    public string? Reason => Rejection is { } r ? $"{r.Code()}: {Detail}" : null;
}
