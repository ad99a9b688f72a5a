using System.Text.RegularExpressions;
using EdgeGuard.Hosting.Systemd;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// A technician puts back the client key a rotation lost, with the gateway running: the files are
/// read again at every connect attempt, so the gateway gets through to the office's Mosquitto (mutual
/// TLS, as deployed) without a restart and delivers what it journaled meanwhile, the fault included.
/// </summary>
public sealed class MissingTlsFileDeliveryTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/embassy-demo/gw-chancery";
    private static readonly TimeSpan ExpectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_key_put_back_while_running_is_picked_up_and_the_events_journaled_meanwhile_reach_the_office()
    {
        using var state = new TempDirectory();
        using var tls = new TempDirectory("edgeguard-pki-");
        var pki = new TestPki(tls.Path);
        var (serverCert, serverKey) = pki.IssueServer();
        var (cert, key) = pki.IssueClient("gw-chancery");
        var keyInPlace = tls.File("installed-gw-chancery.key");
        await using var broker = await MosquittoBroker.StartAsync(new MosquittoSettings { CaFile = pki.CaFile, CertFile = serverCert, KeyFile = serverKey, Acl = OfficeTlsClient.Acl });
        try
        {
            await using var office = await TestSubscriber.ConnectAsync(broker.Port, "edgeguard/v1/#", "office", tls: OfficeTlsClient.Tls(pki));
            var connectionsBefore = Regex.Count(broker.Log, "New connection from");
            var gateway = await TestGateway.StartAsync(
                state.Path,
                overrides: MissingTlsFileHostTests.TlsOverrides(broker.Port, pki.CaFile, cert, keyInPlace));
            await using var _ = gateway;
            var publisher = gateway.Host.Services.GetRequiredService<OutboxPublisher>();

            await gateway.PlayAsync(Scenario.Parse("press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked\nrelease panic-lobby", "panic"), ExpectTimeout);
            await Eventually.TrueAsync(() => publisher.ConnectAttempts >= 3, Patience, "three connect attempts without the key");

            // No attempt reached the broker: none in clear text, none without the client certificate.
            Assert.Equal(connectionsBefore, Regex.Count(broker.Log, "New connection from"));
            Assert.DoesNotContain(office.Receipts, r => r.Topic.StartsWith(Root, StringComparison.Ordinal));
            Assert.NotNull(publisher.TlsFileProblem);

            // Put in place whole (copied beside it, then renamed), as a technician's install does:
            // a copy written in place can be read half-written by the publisher's next attempt,
            // a second reason (the file does not load) and so a second, correct fault.broker.
            File.Copy(key, keyInPlace + ".tmp");
            File.Move(keyInPlace + ".tmp", keyInPlace);

            await Eventually.TrueAsync(() => publisher.IsCaughtUp, Patience, "connected and caught up once the key is back");
            var started = await office.WaitForAsync(r => r.Topic == Root + "/events" && Type(r) == "lockdown.started", Patience, "lockdown.started at the office");
            var fault = await office.WaitForAsync(r => r.Topic == Root + "/events" && Type(r) == "fault.broker", Patience, "fault.broker at the office");
            var restored = await office.WaitForAsync(r => r.Topic == Root + "/events" && Type(r) == "fault.broker-restored", Patience, "fault.broker-restored at the office");
            output.WriteLine(fault.Text);
            output.WriteLine(restored.Text);

            Assert.True(started.Json.GetProperty("replayed").GetBoolean()); // journaled while the link was down
            Assert.Equal($"the gateway's TLS client key file '{keyInPlace}' (mqtt.tls.keyFile) does not exist", fault.Json.GetProperty("data").GetProperty("reason").GetString());
            Assert.True(restored.Json.GetProperty("data").GetProperty("refusals").GetInt64() >= 3);
            foreach (var each in office.On(Root + "/events").Where(r => Type(r) == "fault.broker"))
            {
                output.WriteLine("fault.broker at the office: " + each.Text);
            }

            Assert.Single(office.On(Root + "/events"), r => Type(r) == "fault.broker");
            // Journaled once: the host's journal is the controller's sink already.
            Assert.Single(office.On(Root + "/events"), r => Type(r) == "lockdown.started");
            Assert.Null(publisher.TlsFileProblem);
            Assert.Equal("mode lockdown, broker connected", SystemdComposition.StatusLine(gateway.Controller, publisher));
            await office.WaitForAsync(r => r.Topic == Root + "/availability" && r.Text == "online", Patience, "online");
        }
        finally
        {
            output.WriteLine("--- mosquitto log ---\n" + broker.Log);
        }
    }

    private static string? Type(Receipt receipt) => receipt.Json.GetProperty("type").GetString();
}
