using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// Online revocation's downloads are bounded well inside the connect timeout: a CRL host that drops
/// the replies made the connect time out first, which is not recognised as TLS, so the gateway only
/// looked offline and raised no <c>fault.broker</c>.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class RevocationTimeoutTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_revocation_download_budget_is_a_quarter_of_the_connect_timeout()
    {
        var options = PublisherHarness.Plain(1883) with { Timeout = TimeSpan.FromSeconds(10) };

        Assert.Equal(TimeSpan.FromSeconds(2.5), ClientOptionsFactory.RevocationUrlTimeout(options));
    }

    [Fact]
    public async Task A_crl_host_that_never_answers_is_a_broker_fault_within_the_connect_timeout()
    {
        // A listener that never accepts: the kernel completes the TCP handshake, the request goes
        // out and no reply ever comes, as from a host behind a path that drops packets.
        var crlHost = new TcpListener(IPAddress.Loopback, 0);
        crlHost.Start();
        try
        {
            var pki = new TestPki(_dir.Path);
            var crlUrl = $"http://127.0.0.1:{((IPEndPoint)crlHost.LocalEndpoint).Port}/office.crl";
            var (cert, key) = pki.IssueServer(crlUrl: crlUrl);
            var (clientCert, clientKey) = pki.IssueClient("gw-1");
            await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { CaFile = pki.CaFile, CertFile = cert, KeyFile = key });
            var tls = new MqttTlsOptions
            {
                CaCertificateFile = pki.CaFile,
                ClientCertificateFile = clientCert,
                ClientKeyFile = clientKey,
                RevocationMode = X509RevocationMode.Online,
            };
            await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port) with { Tls = tls, Timeout = TimeSpan.FromSeconds(4) }, output);

            await harness.StartAsync();
            await Eventually.TrueAsync(() => harness.Faults.Events.Count > 0, TimeSpan.FromSeconds(30), "fault.broker");

            // A fault at all is the proof: a download that outlived the 4 s connect timeout was a cancelled
            // connect, which names no TLS failure and raised no fault (no wall-clock bound asserted here).
            var fault = Assert.IsType<BrokerFault>(Assert.Single(harness.Faults.Events));
            Assert.StartsWith("the TLS handshake failed: the broker's certificate failed the pinned check: ", fault.Reason, StringComparison.Ordinal);
            Assert.Contains("RevocationStatusUnknown", fault.Reason, StringComparison.Ordinal);
            Assert.Equal(0, harness.Publisher.Connects);
        }
        finally
        {
            crlHost.Stop();
        }
    }
}
