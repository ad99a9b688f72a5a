using System.Security.Cryptography.X509Certificates;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// TLS settings of the connection to the office broker. TLS is on unless turned off explicitly
/// (<see cref="Disabled"/>, meant for the loopback quick-start broker only).
/// </summary>
public sealed record MqttTlsOptions
{
    /// <summary>No TLS: plain MQTT over TCP. For the embedded loopback broker and tests only.</summary>
    public static MqttTlsOptions Disabled { get; } = new() { Enabled = false };

    /// <summary>Whether the connection uses TLS. Defaults to true.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// PEM file with the CA certificate(s) of the office PKI. When set, the broker's chain must end in
    /// one of these certificates and nothing else is trusted (the operating system's roots are
    /// ignored). When null, the operating system's trust store is used.
    /// </summary>
    public string? CaCertificateFile { get; init; }

    /// <summary>PEM file with the gateway's client certificate (mutual TLS); its CN is the gateway id.</summary>
    public string? ClientCertificateFile { get; init; }

    /// <summary>PEM file with the unencrypted private key of <see cref="ClientCertificateFile"/>.</summary>
    public string? ClientKeyFile { get; init; }

    /// <summary>
    /// How the broker certificate's revocation is checked. <see cref="X509RevocationMode.Online"/>
    /// (the default) fetches CRLs/OCSP from the URLs in the certificates; an isolated site sets
    /// <see cref="X509RevocationMode.Offline"/> (with the office CRL installed in the local cache) or
    /// <see cref="X509RevocationMode.NoCheck"/>.
    /// </summary>
    public X509RevocationMode RevocationMode { get; init; } = X509RevocationMode.Online;

    /// <summary>Name the broker certificate must carry (SNI and name check); defaults to the host.</summary>
    public string? ServerName { get; init; }

    /// <summary>
    /// The configured files that are not on disk right now, one sentence each naming the setting and
    /// the path (<c>client key file '/etc/edgeguard/tls/gw.key' does not exist</c>); empty when TLS is
    /// off. The one rule for a missing file: the connection is not attempted (never in clear text, never
    /// without the client certificate) and the files are looked for again at the next attempt. Whether
    /// that is a configuration error is the caller's decision: <c>edgeguard validate</c> and
    /// <c>command send</c> refuse, the running gateway keeps protecting the site with its link down.
    /// </summary>
    public IReadOnlyList<string> MissingFiles()
    {
        if (!Enabled)
        {
            return [];
        }

        var missing = new List<string>();
        foreach (var (what, path) in new[] { ("CA certificate", CaCertificateFile), ("client certificate", ClientCertificateFile), ("client key", ClientKeyFile) })
        {
            if (path is not null && !File.Exists(path))
            {
                missing.Add($"{what} file '{path}' does not exist");
            }
        }

        return missing;
    }
}
