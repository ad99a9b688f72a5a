using System.Security.Authentication;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// The pinned check refusing the broker's certificate, thrown from the TLS validation handler so
/// that the handshake fails with the reason (<see cref="Exception.Message"/>) and the publisher can
/// still tell a repeat of it (<see cref="RepeatKey"/>, see <see cref="BrokerRefusal"/>).
/// </summary>
internal sealed class BrokerCertificateRefusedException : AuthenticationException
{
    public BrokerCertificateRefusedException()
        : this(string.Empty)
    {
    }

    public BrokerCertificateRefusedException(string message)
        : this(BrokerRefusal.Stable(message))
    {
    }

    public BrokerCertificateRefusedException(string message, Exception inner)
        : base(message, inner) => RepeatKey = message;

    public BrokerCertificateRefusedException(BrokerRefusal refusal)
        : base(refusal.Text) => RepeatKey = refusal.Key;

    /// <summary>What makes it the same refusal at the next attempt.</summary>
    public string RepeatKey { get; }
}
