using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Mqtt.Publishing;
using MQTTnet;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The security office's side of a mutual-TLS broker in the host tests: its MQTTnet TLS settings
/// and the ACL the tests give Mosquitto.
/// </summary>
internal static class OfficeTlsClient
{
    /// <summary>
    /// The gateway (certificate CN = user name) reads and writes below its own id; the office reads
    /// all of it.
    /// </summary>
    public const string Acl = """
        pattern readwrite edgeguard/v1/+/%u/#

        user office
        topic read edgeguard/v1/#
        """;

    /// <summary>An office client with its own certificate, the broker pinned to <paramref name="caFile"/>.</summary>
    public static Action<MqttClientTlsOptionsBuilder> Tls(string caFile, string certFile, string keyFile)
    {
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(caFile);
        var certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        return options => options
            .UseTls()
            .WithTargetHost("127.0.0.1")
            .WithClientCertificates(new X509Certificate2Collection(certificate))
            .WithCertificateValidationHandler(a => ClientOptionsFactory.ValidatePinned(a.Certificate, a.Chain, a.SslPolicyErrors, anchors, X509RevocationMode.NoCheck));
    }

    /// <summary>An office client whose certificate <paramref name="pki"/> issues now.</summary>
    public static Action<MqttClientTlsOptionsBuilder> Tls(TestPki pki)
    {
        var (cert, key) = pki.IssueClient("office");
        return Tls(pki.CaFile, cert, key);
    }
}
