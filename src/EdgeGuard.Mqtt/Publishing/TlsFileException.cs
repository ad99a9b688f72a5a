using System.Security.Cryptography;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// A configured TLS file that is there but does not load (bad PEM, an encrypted key, another
/// certificate's key, unreadable). The message names the file, its path and its setting
/// (<see cref="MqttTlsOptions.CaCertificateSetting"/> and the others), followed by the runtime's
/// reason; the runtime's own exception is the inner one.
/// </summary>
public sealed class TlsFileException : CryptographicException
{
    /// <summary>A TLS file problem without an underlying exception.</summary>
    public TlsFileException()
    {
    }

    /// <summary>A TLS file problem described by <paramref name="message"/>.</summary>
    public TlsFileException(string message)
        : base(message)
    {
    }

    /// <summary>A TLS file problem described by <paramref name="message"/>, caused by <paramref name="inner"/>.</summary>
    public TlsFileException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
