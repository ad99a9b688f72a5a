using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Protocol;
using MQTTnet.Server;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A refusal repeated at every reconnect is one <c>fault.broker</c>, even when its words change
/// from one attempt to the next. An expired broker certificate's refusal gives the gateway's clock
/// to the second, and the reporter took every attempt for a new reason: at a 30 s backoff about
/// 2,880 alarms a day in the journal, all flooding the office once the certificate was renewed. A
/// repeat is recognised by a key without the clock reading (which certificate, expired or not yet
/// valid, its window); a broker's reason string by its words with the numbers left out.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class BrokerFaultRepeatTests(ITestOutputHelper output)
{
    private const string Availability = "edgeguard/v1/site-1/gw-1/availability";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_expired_broker_certificate_raises_one_broker_fault_however_often_the_gateway_retries()
    {
        var directory = Directory.CreateTempSubdirectory("edgeguard-pki-").FullName;
        try
        {
            var pki = new TestPki(directory, notBefore: DateTimeOffset.UtcNow.AddYears(-2), notAfter: DateTimeOffset.UtcNow.AddYears(2));
            var (brokerCert, brokerKey) = pki.IssueServer("broker", DateTimeOffset.UtcNow.AddDays(-400), DateTimeOffset.UtcNow.AddDays(-2));
            var (clientCert, clientKey) = pki.IssueClient("gw-a");
            await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings
            {
                CaFile = pki.CaFile, CertFile = brokerCert, KeyFile = brokerKey, Acl = "pattern write edgeguard/v1/+/%u/#\n",
            });
            var options = PublisherHarness.Plain(broker.Port, "gw-a") with
            {
                Tls = new MqttTlsOptions
                {
                    CaCertificateFile = pki.CaFile, ClientCertificateFile = clientCert, ClientKeyFile = clientKey, RevocationMode = X509RevocationMode.NoCheck,
                },
            };
            await using var harness = new PublisherHarness(options, output);

            await harness.StartAsync();
            // Attempts come at most 400 ms apart: the refusals span several seconds of the clock.
            await Eventually.TrueAsync(() => harness.Publisher.BrokerRefusals >= 8, Patience, "eight refused handshakes");
            await harness.StopAsync();

            Assert.Equal(0, harness.Publisher.Connects);
            var fault = Assert.IsType<BrokerFault>(Assert.Single(harness.Faults.Events));
            // The one alarm still says what the clock read: the usual cause on a gateway is its clock.
            Assert.StartsWith("the TLS handshake failed: the broker's certificate has expired: valid from ", fault.Reason, StringComparison.Ordinal);
            Assert.Contains("the gateway's clock reads ", fault.Reason, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task A_birth_refused_with_a_reason_string_that_counts_the_attempts_raises_one_broker_fault()
    {
        // A broker's reason string is its own text: one that numbers the refusals or gives its time
        // made every retry of the birth a new reason.
        var refusals = 0;
        var port = MosquittoBroker.FreePort();
        using var broker = await InProcessBroker.StartAsync(port, onPublish: args =>
        {
            if (args.ApplicationMessage.Topic == Availability && args.ApplicationMessage.ConvertPayloadToString() == "online")
            {
                var refusal = Interlocked.Increment(ref refusals);
                args.ProcessPublish = false;
                args.Response.ReasonCode = MqttPubAckReasonCode.QuotaExceeded;
                args.Response.ReasonString = $"refusal {refusal} at {DateTimeOffset.UtcNow:O}";
            }
        });
        await using var harness = new PublisherHarness(PublisherHarness.Plain(port), output);

        await harness.StartAndCatchUpAsync();
        await Eventually.TrueAsync(() => Volatile.Read(ref refusals) >= 4, Patience, "the birth refused four times");
        await harness.StopAsync();

        var fault = Assert.IsType<BrokerFault>(Assert.Single(harness.Faults.Events));
        Assert.StartsWith("the broker refused availability 'online': QuotaExceeded (151): refusal 1 at ", fault.Reason, StringComparison.Ordinal);
        await broker.StopAsync();
    }

    [Fact]
    public void The_refusal_of_an_expired_broker_certificate_is_recognised_by_its_window_not_by_the_clock_reading()
    {
        var directory = Directory.CreateTempSubdirectory("edgeguard-pki-").FullName;
        try
        {
            var pki = new TestPki(directory, notBefore: DateTimeOffset.UtcNow.AddYears(-2));
            var first = Refusal(pki, pki.IssueServer("broker", DateTimeOffset.UtcNow.AddDays(-400), DateTimeOffset.UtcNow.AddDays(-2)).Cert);
            var again = Refusal(pki, pki.IssueServer("broker", DateTimeOffset.UtcNow.AddDays(-300), DateTimeOffset.UtcNow.AddDays(-1)).Cert);

            Assert.Contains("the gateway's clock reads ", first.Text, StringComparison.Ordinal);
            Assert.DoesNotContain("clock reads", first.Key, StringComparison.Ordinal);
            Assert.StartsWith("the broker's certificate has expired: valid from ", first.Key, StringComparison.Ordinal);
            Assert.StartsWith(first.Key, first.Text, StringComparison.Ordinal);
            // Another window (a renewal that went wrong) is another reason.
            Assert.NotEqual(first.Key, again.Key);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void A_refusal_repeated_under_the_same_key_is_reported_once_with_its_first_words()
    {
        var faults = new RecordingSink();
        var reporter = new BrokerFaultReporter(faults, TimeProvider.System);

        Assert.True(reporter.Refused(new BrokerRefusal("expired; the clock reads 10:00:01", "expired")));
        Assert.False(reporter.Refused(new BrokerRefusal("expired; the clock reads 10:00:31", "expired")));
        Assert.True(reporter.Refused(new BrokerRefusal("not yet valid; the clock reads 10:01:01", "not yet valid")));

        Assert.Equal(["expired; the clock reads 10:00:01", "not yet valid; the clock reads 10:01:01"], faults.Events.Cast<BrokerFault>().Select(f => f.Reason));
        Assert.Equal(3, reporter.Refusals);
    }

    [Fact]
    public void An_event_refused_with_a_reason_string_that_counts_is_one_delivery_fault()
    {
        var faults = new RecordingSink();
        var reporter = new DeliveryFaultReporter(faults, TimeProvider.System);

        Assert.True(reporter.Refused(5, OutboxPublisher.Reason(MqttClientPublishReasonCode.QuotaExceeded, 151, "quota: publish 1001 of 1000 at 10:00:01")));
        Assert.False(reporter.Refused(5, OutboxPublisher.Reason(MqttClientPublishReasonCode.QuotaExceeded, 151, "quota: publish 1002 of 1000 at 10:00:31")));
        Assert.True(reporter.Refused(5, OutboxPublisher.Reason(MqttClientPublishReasonCode.QuotaExceeded, 151, "banned")));

        Assert.Equal(
            ["QuotaExceeded (151): quota: publish 1001 of 1000 at 10:00:01", "QuotaExceeded (151): banned"],
            faults.Events.Cast<DeliveryFault>().Select(f => f.Reason));
        Assert.Equal("QuotaExceeded (151): banned", reporter.Status.Reason);
    }

    private static BrokerRefusal Refusal(TestPki pki, string brokerCert)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(brokerCert));
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(pki.CaFile);
        Assert.False(ClientOptionsFactory.ValidatePinned(certificate, null, SslPolicyErrors.None, anchors, X509RevocationMode.NoCheck, TimeSpan.Zero, out BrokerRefusal refusal));
        return refusal;
    }
}
