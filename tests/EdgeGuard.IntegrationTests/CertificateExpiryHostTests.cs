using EdgeGuard.Hosting;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The whole gateway, its client certificate 10 days from its end, connected to the office's
/// Mosquitto over mutual TLS as deployed: the office receives <c>fault.certificate</c> while the
/// link still works, and <c>fault.certificate-restored</c> once a check reads the renewed file.
/// </summary>
public sealed class CertificateExpiryHostTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/embassy-demo/gw-chancery";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_office_hears_of_an_ending_client_certificate_and_of_its_renewal_over_MQTT()
    {
        using var state = new TempDirectory();
        using var tls = new TempDirectory("edgeguard-pki-");
        var pki = new TestPki(tls.Path);
        var (serverCert, serverKey) = pki.IssueServer();
        var now = DateTimeOffset.UtcNow;
        var end = DateTimeOffset.FromUnixTimeSeconds(now.AddDays(10).ToUnixTimeSeconds());
        var (cert, key) = pki.IssueClient("gw-chancery", now.AddDays(-1), end);
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { CaFile = pki.CaFile, CertFile = serverCert, KeyFile = serverKey, Acl = OfficeTlsClient.Acl });
        try
        {
            await using var office = await TestSubscriber.ConnectAsync(broker.Port, "edgeguard/v1/#", "office", tls: OfficeTlsClient.Tls(pki));
            var gateway = await TestGateway.StartAsync(
                state.Path,
                // The host's own journal sink delivers to the office (the recorder sits beside it).
                overrides: MissingTlsFileHostTests.TlsOverrides(broker.Port, pki.CaFile, cert, key));
            await using var _ = gateway;

            var fault = await office.WaitForAsync(r => r.Topic == Root + "/events" && Type(r) == "fault.certificate", Patience, "fault.certificate at the office");
            output.WriteLine(fault.Text);
            Assert.Equal("warning", fault.Json.GetProperty("severity").GetString());
            var data = fault.Json.GetProperty("data");
            Assert.Equal("client", data.GetProperty("certificate").GetString());
            Assert.Equal(cert, data.GetProperty("file").GetString());
            Assert.Equal("expiring", data.GetProperty("validity").GetString());
            Assert.Equal(Core.WireTime.Format(end), data.GetProperty("notAfter").GetString());
            Assert.InRange(data.GetProperty("daysLeft").GetInt64(), 9, 10);

            // Renewed in place (both files, as provisioning installs them); the 6-hourly check is
            // run now rather than waited for.
            pki.IssueClient("gw-chancery", now.AddDays(-1), now.AddDays(300));
            gateway.Host.Services.GetRequiredService<CertificateExpiryChecks>().Check();

            var restored = await office.WaitForAsync(r => r.Topic == Root + "/events" && Type(r) == "fault.certificate-restored", Patience, "fault.certificate-restored at the office");
            output.WriteLine(restored.Text);
            Assert.Equal(cert, restored.Json.GetProperty("data").GetProperty("file").GetString());
            foreach (var each in office.On(Root + "/events"))
            {
                output.WriteLine("at the office: " + each.Text);
            }

            Assert.Single(office.On(Root + "/events"), r => Type(r) == "fault.certificate");
            Assert.True(gateway.Host.Services.GetRequiredService<OutboxPublisher>().IsConnected);
        }
        finally
        {
            output.WriteLine("--- mosquitto log ---\n" + broker.Log);
        }
    }

    private static string? Type(Receipt receipt) => receipt.Json.GetProperty("type").GetString();
}
