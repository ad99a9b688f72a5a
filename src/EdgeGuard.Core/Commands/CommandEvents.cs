using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Commands;

/// <summary>
/// An office command passed every check (<see cref="CommandVerifier"/>) and goes to the controller.
/// Journaled before the MQTT acknowledgement, so the journal holds every command the gateway acted on.
/// </summary>
/// <param name="At">When it was verified.</param>
/// <param name="CommandId">The command's id.</param>
/// <param name="CommandType">What it asks for.</param>
/// <param name="Operator">Who signed it.</param>
/// <param name="Role">The role it was accepted under.</param>
public sealed record CommandReceived(DateTimeOffset At, string CommandId, CommandType CommandType, string Operator, OperatorRole Role) : DomainEvent(At)
{
    /// <inheritdoc />
    public override string Type => "command.received";

    /// <inheritdoc />
    // A remote actor is about to change the site: worth the office's attention, never an alarm.
    public override Severity Severity => Severity.Warning;
}

/// <summary>
/// A payload on the command topic was refused by <see cref="CommandVerifier"/>. Journaled before the
/// MQTT acknowledgement like an accepted one: a forged or replayed command is evidence.
/// </summary>
/// <param name="At">When it was refused.</param>
/// <param name="CommandId">The id as received; empty when none was readable.</param>
/// <param name="CommandType">The type as received when the payload could be read; null otherwise.</param>
/// <param name="Operator">The operator as received when the payload could be read; null otherwise (unauthenticated: it is what the payload claims).</param>
/// <param name="Rejection">Why.</param>
/// <param name="Detail">What exactly was wrong.</param>
public sealed record CommandRejected(
    DateTimeOffset At, string CommandId, CommandType? CommandType, string? Operator, CommandRejection Rejection, string Detail) : DomainEvent(At)
{
    /// <inheritdoc />
    public override string Type => "command.rejected";

    /// <inheritdoc />
    // Failed authentication or authorisation, or a replay, is what an attack looks like; a
    // malformed, late or oversized command is far more often an office tooling or clock problem,
    // and an unavailable replay store a disk problem (journaled as evidence all the same). A command
    // under an operator whose key the gateway cannot load is an alarm like an unknown operator's:
    // the missing key is the gateway's fault (fault.operator-key), but nothing of the command was
    // authenticated, and a name whose key is known to be missing is what an attacker would use.
    public override Severity Severity => Rejection switch
    {
        CommandRejection.UnknownOperator or CommandRejection.KeyUnavailable or CommandRejection.BadSignature or CommandRejection.WrongGateway
            or CommandRejection.Replayed or CommandRejection.RoleNotAllowed or CommandRejection.Retained => Severity.Alarm,
        _ => Severity.Warning,
    };

    /// <summary>The reason as the command result carries it: <c>code: detail</c>.</summary>
    public string Reason => $"{Rejection.Code()}: {Detail}";
}

/// <summary>
/// An authentic command payload the gateway had already received arrived again, byte for byte: a
/// broker redelivering a command whose acknowledgement was lost, or someone resending a verbatim
/// copy. It was not acted on again; the office was answered <paramref name="Answer"/> again (the
/// stored final result, or <c>accepted</c> while the first delivery is still being executed).
/// Journaled for the audit trail, not as an alarm: a copy of a command that already did its work
/// changes nothing.
/// </summary>
/// <param name="At">When it arrived again.</param>
/// <param name="CommandId">The command's id.</param>
/// <param name="CommandType">What it asks for.</param>
/// <param name="Operator">Who signed it (verified).</param>
/// <param name="Answer">The result answered again: <c>accepted</c>, <c>done</c> or <c>rejected</c>.</param>
/// <param name="Reason">The answer's reason, when it has one.</param>
/// <param name="Copies">
/// How many copies the record stands for: 1, or more for a summary of copies answered but not
/// journaled one by one under a flood (the Mqtt project's <c>RepeatAudit</c>); <paramref name="At"/>
/// is then when they were summed up.
/// </param>
public sealed record CommandRepeated(DateTimeOffset At, string CommandId, CommandType CommandType, string Operator, string Answer, string? Reason, int Copies = 1) : DomainEvent(At)
{
    /// <inheritdoc />
    public override string Type => "command.repeated";

    /// <inheritdoc />
    public override Severity Severity => Severity.Info;
}
