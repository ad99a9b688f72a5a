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
    /// The setting <see cref="CaCertificateFile"/> came from, named in every problem with that file
    /// so that a technician knows which line to mend: <c>mqtt.tls.caFile</c> for the gateway,
    /// <c>--tls-ca</c> for <c>edgeguard command send</c>.
    /// </summary>
    public string CaCertificateSetting { get; init; } = "mqtt.tls.caFile";

    /// <summary>The setting <see cref="ClientCertificateFile"/> came from (<c>mqtt.tls.certFile</c>).</summary>
    public string ClientCertificateSetting { get; init; } = "mqtt.tls.certFile";

    /// <summary>The setting <see cref="ClientKeyFile"/> came from (<c>mqtt.tls.keyFile</c>).</summary>
    public string ClientKeySetting { get; init; } = "mqtt.tls.keyFile";

    /// <summary>
    /// The configured files that cannot be reached right now, one sentence each naming the file, its
    /// path and its setting (<c>client key file '/etc/edgeguard/tls/gw.key' (mqtt.tls.keyFile) does
    /// not exist</c>, or <c>cannot be read (permission denied)</c> when a directory on the way is closed
    /// to the service: see <see cref="TlsFile.Absence(string)"/>); empty when TLS is off. The one rule
    /// for such a file: the connection is not attempted (never in clear text, never without the
    /// client certificate) and the files are looked for again at the next attempt. Whether that is a
    /// configuration error is the caller's decision: <c>edgeguard validate</c> and <c>command send</c>
    /// refuse, the running gateway keeps protecting the site with its link down.
    /// </summary>
    public IReadOnlyList<string> FileProblems() => FileProblems(TlsFile.Absence);

    /// <summary><see cref="FileProblems()"/> with the look at each path given (tests).</summary>
    internal IReadOnlyList<string> FileProblems(Func<string, string?> absence)
    {
        if (!Enabled)
        {
            return [];
        }

        var problems = new List<string>();
        foreach (var (path, named) in new (string?, Func<string, string>)[] { (CaCertificateFile, CaCertificateNamed), (ClientCertificateFile, ClientCertificateNamed), (ClientKeyFile, ClientKeyNamed) })
        {
            if (path is not null && absence(path) is { } why)
            {
                problems.Add($"{named(path)} {why}");
            }
        }

        return problems;
    }

    // How problems name each file: what it is, where, and the setting, e.g.
    // "client key file '/etc/edgeguard/tls/gw.key' (mqtt.tls.keyFile)".
    internal string CaCertificateNamed(string path) => $"CA certificate file '{path}' ({CaCertificateSetting})";

    internal string ClientCertificateNamed(string path) => $"client certificate file '{path}' ({ClientCertificateSetting})";

    internal string ClientKeyNamed(string path) => $"client key file '{path}' ({ClientKeySetting})";
}
