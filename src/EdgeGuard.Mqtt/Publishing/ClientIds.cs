using System.Security.Cryptography;
using System.Text;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// The gateway's MQTT client ids. A broker lets whoever connects with a client id take over the
/// connection (and a persistent session) of the client using it, and Mosquitto does not bind ids
/// to certificates: with a guessable id (<c>edgeguard-gw-1-commands</c>) any client with any broker
/// credential could cut the gateway off, or be handed its queued commands and acknowledge them
/// unseen. So the ids are derived from a secret only the gateway holds: its TLS client key file's
/// bytes, or its broker password. Without either (anonymous, the quick start's loopback broker)
/// there is nothing to take over with and the readable ids stay.
/// </summary>
public static class ClientIds
{
    /// <summary>How many hex digits of the HMAC an id carries: 64 bits, not to be guessed.</summary>
    public const int HexDigits = 16;

    /// <summary>The readable publisher id, used without a secret: <c>edgeguard-{gateway}</c>.</summary>
    public static string Readable(string gateway) => $"edgeguard-{gateway}";

    /// <summary>The readable command subscriber id: <c>edgeguard-{gateway}-commands</c>.</summary>
    public static string ReadableCommands(string gateway) => Readable(gateway) + "-commands";

    /// <summary>
    /// <c>edgeguard-{gateway}-{16 hex}</c>: the first 8 bytes of HMAC-SHA256(<paramref name="secret"/>,
    /// <c>edgeguard mqtt client id|{gateway}|{connection}</c>). The same for the same secret, gateway
    /// and connection (so the command session survives a restart); another for any of them.
    /// </summary>
    /// <param name="secret">The key file's bytes or the password's UTF-8.</param>
    /// <param name="gateway">The gateway id.</param>
    /// <param name="connection"><c>publisher</c> or <c>commands</c>.</param>
    public static string Derive(ReadOnlySpan<byte> secret, string gateway, string connection)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        ArgumentNullException.ThrowIfNull(connection);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes($"edgeguard mqtt client id|{gateway}|{connection}"), mac);
        return $"{Readable(gateway)}-{Convert.ToHexStringLower(mac[..(HexDigits / 2)])}";
    }

    /// <summary>
    /// <paramref name="options"/> with both client ids set from its secret, read now, once: the key
    /// file when a TLS client certificate is configured, else the password, else none (the readable
    /// ids). Ids set explicitly are kept. A key file that cannot be read now gives ids from a random
    /// secret, never the readable ones: the connection waits for the file anyway (the TLS rules),
    /// and one made later under a guessable id could be taken over. They change at the next start,
    /// which orphans the command session once; <paramref name="problem"/> says so.
    /// </summary>
    public static MqttPublisherOptions Resolve(MqttPublisherOptions options, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(options);
        problem = null;
        if (options.ClientIdSet)
        {
            return options;
        }

        byte[]? secret = null;
        try
        {
            if (options.Tls.Enabled && options.Tls.ClientCertificateFile is not null && options.Tls.ClientKeyFile is { } keyFile)
            {
                try
                {
                    // Read as at every connect (TlsFile.ReadAll): this runs while the host builds its
                    // services, so a pipe at the path must not block, or nothing would start.
                    secret = TlsFile.ReadAll(keyFile, options.Tls.ClientKeyNamed(keyFile));
                }
                catch (TlsFileException ex)
                {
                    // The message names the file and the reason, never anything read from the file.
                    problem = $"{ex.Message} (at start): the MQTT client ids are random "
                        + "until a start that can read it, so the command session does not outlive this run";
                    secret = RandomNumberGenerator.GetBytes(32);
                }
            }
            else if (options.Password is { } password)
            {
                secret = Encoding.UTF8.GetBytes(password);
            }

            return secret is null ? options : options with
            {
                ClientId = Derive(secret, options.Gateway, "publisher"),
                CommandsClientId = Derive(secret, options.Gateway, "commands"),
            };
        }
        finally
        {
            if (secret is not null)
            {
                CryptographicOperations.ZeroMemory(secret);
            }
        }
    }
}
