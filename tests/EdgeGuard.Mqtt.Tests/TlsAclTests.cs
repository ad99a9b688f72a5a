using System.Text;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>Mutual TLS with a pinned CA and per-gateway ACLs, against real Mosquitto.</summary>
[Collection(BrokerCollection.Name)]
public sealed class TlsAclTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Gateways may write only below their own id (certificate CN = user name); the office reads all.
    // gw-b's events topic is denied on purpose: an ACL mistake the gateway must report.
    private const string Acl = """
        pattern write edgeguard/v1/+/%u/#

        user office
        topic read edgeguard/v1/#

        user gw-b
        topic deny edgeguard/v1/site-1/gw-b/events
        """;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private TlsBroker _tls = null!;
    private TestSubscriber _office = null!;

    public async Task InitializeAsync()
    {
        _tls = await TlsBroker.StartAsync(Acl);
        _office = await TestSubscriber.ConnectAsync(_tls.Broker.Port, "edgeguard/v1/#", "office", tls: _tls.ClientTls("office"));
    }

    public async Task DisposeAsync()
    {
        output.WriteLine("--- mosquitto log ---\n" + _tls.Broker.Log);
        await _office.DisposeAsync();
        await _tls.DisposeAsync();
    }

    [Fact]
    public async Task A_gateway_with_its_own_certificate_delivers_its_events_over_pinned_mutual_tls()
    {
        await using var harness = new PublisherHarness(GatewayOptions("gw-a", "gw-a"), output, session: 2);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby", """{"kind":"doorContact"}""", Severity.Info);

        await harness.StartAndCatchUpAsync();
        harness.Outbox.Append("point.restored", "door-lobby", "lobby", """{"kind":"doorContact"}""", Severity.Info);
        await harness.Outbox.WaitForDeliveredAsync(2, Patience);

        await Eventually.TrueAsync(() => _office.On("edgeguard/v1/site-1/gw-a/events").Count == 2, Patience, "both events at the office");
        var birth = await _office.WaitForAsync(r => r.Topic == "edgeguard/v1/site-1/gw-a/availability", Patience, "birth");
        Assert.Equal("online", birth.Text);
        Assert.Empty(harness.Faults.Events);
    }

    [Fact]
    public async Task Publishing_to_another_gateways_topic_is_refused_with_not_authorized_and_never_delivered()
    {
        await using var intruder = await LegitimateClientAsync("gw-a");

        var forged = await intruder.PublishAsync(Message("edgeguard/v1/site-1/gw-b/events", "forged"));
        var own = await intruder.PublishAsync(Message("edgeguard/v1/site-1/gw-a/events", "marker"));

        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, forged.ReasonCode);
        Assert.True(own.IsSuccess);
        // The marker was sent after the forged message: once it is here, the forged one would be too.
        await _office.WaitForAsync(r => r.Text == "marker", Patience, "the legitimate marker");
        Assert.DoesNotContain(_office.Receipts, r => r.Text == "forged");
    }

    [Fact]
    public async Task A_gateway_impersonating_another_gets_nothing_through_not_even_its_will_and_reports_its_refused_birth_and_one_delivery_fault()
    {
        // Certificate of gw-a, configured as gw-b. Mosquitto 2.0 accepts the CONNECT (the will is
        // checked when it would be published), refuses every publish, and never publishes the will.
        await using var harness = new PublisherHarness(GatewayOptions("gw-b", "gw-a"), output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.RefusedPublishes >= 3, Patience, "three refused attempts");
        harness.Publisher.AbortConnection();
        await Eventually.TrueAsync(() => harness.Publisher.Connects >= 2, Patience, "a reconnect after the abort");
        await using var witness = await LegitimateClientAsync("gw-a");
        await witness.PublishAsync(Message("edgeguard/v1/site-1/gw-a/events", "marker"));
        await _office.WaitForAsync(r => r.Text == "marker", Patience, "the marker sent after the will would have been");

        // Its birth is refused first (gw-a may not write gw-b's availability): fault.broker, since
        // its will is dropped the same way; then the event, once.
        Assert.Equal(2, harness.Faults.Events.Count);
        Assert.Equal("the broker refused availability 'online': NotAuthorized (135)", Assert.IsType<BrokerFault>(harness.Faults.Events[0]).Reason);
        var fault = Assert.IsType<DeliveryFault>(harness.Faults.Events[1]);
        Assert.Equal(1, fault.Seq);
        Assert.Contains("NotAuthorized", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(0, harness.Outbox.DeliveredThrough);
        Assert.DoesNotContain(_office.Receipts, r => r.Topic.StartsWith("edgeguard/v1/site-1/gw-b/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_event_the_broker_refuses_raises_one_delivery_fault_and_stays_in_the_outbox_while_retried()
    {
        await using var harness = new PublisherHarness(GatewayOptions("gw-b", "gw-b"), output);
        harness.Outbox.Append("point.activated", "door-lobby", "lobby");

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.RefusedPublishes >= 5, Patience, "five refused attempts");

        var fault = Assert.IsType<DeliveryFault>(Assert.Single(harness.Faults.Events));
        Assert.Equal(1, fault.Seq);
        Assert.Contains("NotAuthorized", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(1, harness.Publisher.DeliveryFaultsReported);
        Assert.Equal(0, harness.Outbox.DeliveredThrough);
        Assert.Equal(1, harness.Publisher.Connects);
        Assert.DoesNotContain(_office.Receipts, r => r.Topic == "edgeguard/v1/site-1/gw-b/events");
        // Availability is allowed: the office sees a live gateway whose events are withheld.
        await _office.WaitForAsync(r => r.Topic == "edgeguard/v1/site-1/gw-b/availability" && r.Text == "online", Patience, "gw-b online");
    }

    [Fact]
    public async Task A_broker_certificate_from_another_ca_is_never_trusted()
    {
        var foreign = _tls.Foreign("foreign");
        await using var harness = new PublisherHarness(GatewayOptions("gw-a", "gw-a") with { Tls = _tls.GatewayTls("gw-a") with { CaCertificateFile = foreign.CaFile } }, output);

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.ConnectAttempts >= 3, Patience, "three connect attempts");

        Assert.Equal(0, harness.Publisher.Connects);
        AssertOneTlsFault(harness, "the broker's certificate failed the pinned check: UntrustedRoot");
    }

    [Fact]
    public async Task A_gateway_certificate_from_another_ca_is_refused_by_the_broker_and_raises_one_broker_fault()
    {
        // With TLS 1.3 the broker refuses the client certificate after the handshake, and MQTTnet
        // mostly finds the socket reset before it reads the alert: the gateway's probe reads it. So
        // every attempt is known for a refusal, not only the few where MQTTnet read it in time.
        var legit = _tls.GatewayTls("gw-a");
        var (certificate, key) = _tls.Foreign("rogue").IssueClient("gw-a");
        await using var harness = new PublisherHarness(PublisherHarness.Plain(_tls.Broker.Port, "gw-a") with { Tls = legit with { ClientCertificateFile = certificate, ClientKeyFile = key } }, output);

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.ConnectAttempts >= 4, Patience, "four connect attempts");
        Assert.True(harness.Publisher.BrokerRefusals >= 3, $"{harness.Publisher.BrokerRefusals} refusals known in the first three attempts");

        Assert.Equal(0, harness.Publisher.Connects);
        var fault = Assert.IsType<BrokerFault>(Assert.Single(harness.Faults.Events));
        Assert.Equal("the TLS handshake failed: the broker ended TLS with the alert 'unknown ca'", fault.Reason);
    }

    [Fact]
    public async Task A_broker_certificate_for_another_name_is_never_trusted()
    {
        await using var harness = new PublisherHarness(GatewayOptions("gw-a", "gw-a") with { Tls = _tls.GatewayTls("gw-a") with { ServerName = "broker.elsewhere.example" } }, output);

        await harness.StartAsync();
        await Eventually.TrueAsync(() => harness.Publisher.ConnectAttempts >= 3, Patience, "three connect attempts");

        Assert.Equal(0, harness.Publisher.Connects);
        AssertOneTlsFault(harness, "the broker's certificate is not for this host name");
    }

    // A broker the gateway cannot trust may be an impostor: one alarm that says why, however often
    // the gateway retries.
    private static void AssertOneTlsFault(PublisherHarness harness, string reason)
    {
        var fault = Assert.IsType<BrokerFault>(Assert.Single(harness.Faults.Events));
        Assert.Equal("the TLS handshake failed: " + reason, fault.Reason);
    }

    private MqttPublisherOptions GatewayOptions(string gateway, string certificateOf) =>
        PublisherHarness.Plain(_tls.Broker.Port, gateway) with { Tls = _tls.GatewayTls(certificateOf) };

    private async Task<ClientHandle> LegitimateClientAsync(string commonName)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", _tls.Broker.Port)
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithClientId($"{commonName}-tool")
            .WithTlsOptions(_tls.ClientTls(commonName))
            .Build();
        await client.ConnectAsync(options);
        return new ClientHandle(client);
    }

    private static MqttApplicationMessage Message(string topic, string text) => new MqttApplicationMessageBuilder()
        .WithTopic(topic)
        .WithPayload(Encoding.UTF8.GetBytes(text))
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .Build();

    /// <summary>A raw MQTTnet client that disconnects cleanly when disposed.</summary>
    private sealed class ClientHandle(IMqttClient client) : IAsyncDisposable
    {
        public Task<MqttClientPublishResult> PublishAsync(MqttApplicationMessage message) => client.PublishAsync(message);

        public async ValueTask DisposeAsync()
        {
            if (client.IsConnected)
            {
                await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
            }

            client.Dispose();
        }
    }
}
