namespace EdgeGuard.Core.Commands;

/// <summary>Why a command was refused; the order is the order the checks run in.</summary>
public enum CommandRejection
{
    /// <summary>Larger than <see cref="CommandVerifierOptions.MaxPayloadBytes"/>; not even parsed.</summary>
    Oversized,
    /// <summary>Not strict JSON (syntax, UTF-8, duplicate names, non-integer numbers, depth).</summary>
    Malformed,
    /// <summary>JSON, but a field is missing, unknown, of the wrong type or out of its form.</summary>
    InvalidField,
    /// <summary>Arrived with the MQTT retain flag: a broker replaying old commands must never be obeyed.</summary>
    Retained,
    /// <summary>No key is registered under the operator's name.</summary>
    UnknownOperator,
    /// <summary>
    /// The operator is configured, but their key file is missing or unusable on this gateway, so
    /// the signature cannot be checked; refused, never accepted unverified.
    /// </summary>
    KeyUnavailable,
    /// <summary>The signature does not verify with the operator's key (forged or altered).</summary>
    BadSignature,
    /// <summary>Signed for another site or gateway.</summary>
    WrongGateway,
    /// <summary>Past <c>expires_at</c> (plus the clock-skew allowance).</summary>
    Expired,
    /// <summary><c>issued_at</c> is further ahead of the gateway's clock than the skew allows.</summary>
    IssuedInFuture,
    /// <summary>Valid for longer than <see cref="CommandVerifierOptions.MaxLifetime"/>.</summary>
    LifetimeTooLong,
    /// <summary>This id was seen before with other payload bytes (a verbatim copy is a redelivery, not a replay).</summary>
    Replayed,
    /// <summary>The replay store could not be read or written (a disk fault, or a flood filling it), so the id could not be checked.</summary>
    Unavailable,
    /// <summary>The operator's role may not send this command, or not to this site.</summary>
    RoleNotAllowed,
}

/// <summary>Wire names of <see cref="CommandRejection"/> for command results and the journal.</summary>
public static class CommandRejections
{
    /// <summary>Machine-readable reason code, e.g. <c>bad-signature</c>.</summary>
    public static string Code(this CommandRejection rejection) => rejection switch
    {
        CommandRejection.Oversized => "oversized",
        CommandRejection.Malformed => "malformed",
        CommandRejection.InvalidField => "invalid-field",
        CommandRejection.Retained => "retained",
        CommandRejection.UnknownOperator => "unknown-operator",
        CommandRejection.KeyUnavailable => "key-unavailable",
        CommandRejection.BadSignature => "bad-signature",
        CommandRejection.WrongGateway => "wrong-gateway",
        CommandRejection.Expired => "expired",
        CommandRejection.IssuedInFuture => "issued-in-future",
        CommandRejection.LifetimeTooLong => "lifetime-too-long",
        CommandRejection.Replayed => "replayed",
        CommandRejection.Unavailable => "unavailable",
        CommandRejection.RoleNotAllowed => "role-not-allowed",
        _ => throw new ArgumentOutOfRangeException(nameof(rejection)),
    };
}
