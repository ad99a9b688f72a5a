using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Commands;

/// <summary>
/// A configured operator's public key file is missing or unusable on the gateway (a wiped key
/// directory, a key handed over under the wrong name): the gateway runs and protects the site, but
/// refuses that operator's commands (<c>key-unavailable</c>) until the file loads. Raised once per
/// operator at start, and when the minute's check finds a key that loaded unusable (its file
/// removed to revoke it); <see cref="OperatorKeyRestored"/> follows when the file is found usable
/// (read again at each command of theirs and every minute).
/// </summary>
/// <param name="At">When the gateway started without the key, or stopped trusting it.</param>
/// <param name="Operator">The operator as configured.</param>
/// <param name="File">The configured <c>publicKeyFile</c>.</param>
/// <param name="Reason">What is wrong with the file.</param>
public sealed record OperatorKeyFault(DateTimeOffset At, string Operator, string File, string Reason) : DomainEvent(At)
{
    /// <inheritdoc />
    public override string Type => "fault.operator-key";

    /// <inheritdoc />
    // The office cannot command the site as this operator, which only a visit mends: as loud as the
    // broker refusing the gateway, the other way the office loses its hold on the site.
    public override Severity Severity => Severity.Alarm;
}

/// <summary>
/// The operator's key file loads again (read at a command of theirs or by the gateway's
/// once-a-minute check); their
/// commands are verified as before.
/// </summary>
/// <param name="At">When the key loaded.</param>
/// <param name="Operator">The operator as configured.</param>
public sealed record OperatorKeyRestored(DateTimeOffset At, string Operator) : DomainEvent(At)
{
    /// <inheritdoc />
    public override string Type => "fault.operator-key-restored";

    /// <inheritdoc />
    public override Severity Severity => Severity.Info;
}
