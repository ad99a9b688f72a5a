using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Mqtt.Publishing;
using MQTTnet;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// A Mosquitto listener with mutual TLS and an ACL, its throwaway CA, and the client-side TLS set-ups
/// (the gateway's options, a pinned MQTTnet client) issued from that CA.
/// </summary>
public sealed class TlsBroker : IAsyncDisposable
{
    private readonly string _pkiDirectory;

    private TlsBroker(string pkiDirectory, TestPki pki, MosquittoBroker broker)
    {
        _pkiDirectory = pkiDirectory;
        Pki = pki;
        Broker = broker;
    }

    public TestPki Pki { get; }

    public MosquittoBroker Broker { get; }

    /// <summary>Issues the broker's certificate and starts Mosquitto with mTLS and <paramref name="acl"/>.</summary>
    public static async Task<TlsBroker> StartAsync(string acl)
    {
        var directory = Directory.CreateTempSubdirectory("edgeguard-pki-").FullName;
        var pki = new TestPki(directory);
        var (cert, key) = pki.IssueServer();
        var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { CaFile = pki.CaFile, CertFile = cert, KeyFile = key, Acl = acl });
        return new TlsBroker(directory, pki, broker);
    }

    /// <summary>A foreign CA in a folder of its own in the temp folder (for certificates the broker must not trust).</summary>
    /// <remarks>
    /// Its own folder: TestPki names an issued certificate by its CN alone, so a foreign "gw-a"
    /// issued before <see cref="GatewayTls"/>'s "gw-a" was overwritten by the trusted one.
    /// </remarks>
    public TestPki Foreign(string name) => new(Directory.CreateDirectory(Path.Combine(_pkiDirectory, name)).FullName, name);

    /// <summary>The gateway's TLS options with a client certificate for <paramref name="commonName"/>.</summary>
    public MqttTlsOptions GatewayTls(string commonName)
    {
        var (cert, key) = Pki.IssueClient(commonName);
        return new MqttTlsOptions
        {
            CaCertificateFile = Pki.CaFile,
            ClientCertificateFile = cert,
            ClientKeyFile = key,
            RevocationMode = X509RevocationMode.NoCheck, // the test CA publishes no CRL
        };
    }

    /// <summary>An MQTTnet client's TLS: a certificate for <paramref name="commonName"/>, the broker pinned to the test CA.</summary>
    public Action<MqttClientTlsOptionsBuilder> ClientTls(string commonName)
    {
        var (cert, key) = Pki.IssueClient(commonName);
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(Pki.CaFile);
        var certificate = X509Certificate2.CreateFromPemFile(cert, key);
        return tls => tls
            .UseTls()
            .WithTargetHost("127.0.0.1")
            .WithClientCertificates(new X509Certificate2Collection(certificate))
            .WithCertificateValidationHandler(a => ClientOptionsFactory.ValidatePinned(a.Certificate, a.Chain, a.SslPolicyErrors, anchors, X509RevocationMode.NoCheck));
    }

    public async ValueTask DisposeAsync()
    {
        await Broker.DisposeAsync();
        Directory.Delete(_pkiDirectory, recursive: true);
    }
}
