using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Publishing;
using Microsoft.Extensions.DependencyInjection;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Protocol;
using Xunit.Abstractions;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// deploy/office end to end: certificates from certs.sh, the ACL it generates and a real Mosquitto
/// running the shipped mosquitto.conf; the gateway connects with the options its `mqtt.tls.*`
/// settings produce.
/// </summary>
public sealed class OfficeDeployTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Site = "embassy-demo";      // the shipped appsettings.json's site and gateway
    private const string Gateway = "gw-chancery";
    private const string Root = $"edgeguard/v1/{Site}/{Gateway}";
    private const string Office = "office-console";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private OfficeDeployment _office = null!;

    public async Task InitializeAsync()
    {
        _office = await OfficeDeployment.CreateAsync();
        await _office.CertsAsync("gateway", Site, Gateway);
        await _office.CertsAsync("office", Office);
        // A second gateway of the site whose certificate was stolen and revoked before the broker started.
        await _office.CertsAsync("gateway", Site, "gw-annex");
        await _office.CertsAsync("revoke", "gw-annex");
        await _office.StartBrokerAsync();
    }

    public async Task DisposeAsync()
    {
        output.WriteLine("--- mosquitto log ---\n" + _office.Broker?.Log);
        await _office.DisposeAsync();
    }

    [Fact]
    public async Task The_gateway_host_with_its_deployed_files_reports_to_the_office_and_obeys_a_signed_command()
    {
        using var state = new TempDirectory();
        using var jones = await OfficeOperator.CreateAsync(state.Path);
        var files = _office.Folder("gateways", Gateway);
        await using var console = await TestSubscriber.ConnectAsync(_office.Broker.Port, "edgeguard/v1/#", "office-console-watch", tls: _office.OfficeTls(Office));

        // Exactly the keys deploy/office/README.md tells the technician to set.
        await using var gateway = await TestGateway.StartAsync(state.Path, overrides:
        [
            "EdgeGuard:mqtt:host=127.0.0.1",
            $"EdgeGuard:mqtt:port={_office.Broker.Port}",
            $"EdgeGuard:mqtt:tls:caFile={Path.Combine(files, "ca.crt")}",
            $"EdgeGuard:mqtt:tls:certFile={Path.Combine(files, $"{Gateway}.crt")}",
            $"EdgeGuard:mqtt:tls:keyFile={Path.Combine(files, $"{Gateway}.key")}",
            "EdgeGuard:mqtt:tls:revocation=noCheck",
            .. jones.Overrides(),
        ]);

        await console.WaitForAsync(r => r.Topic == Root + "/availability" && r.Text == "online", Patience, "the gateway's birth at the office");
        await console.WaitForAsync(r => r.Topic == Root + "/events" && r.Json.GetProperty("type").GetString() == "gateway.started", Patience, "gateway.started at the office");
        await console.WaitForAsync(r => r.Topic == Root + "/state/lockdown", Patience, "the retained lockdown state");
        await console.WaitForAsync(r => r.Topic.StartsWith(Root + "/state/points/", StringComparison.Ordinal), Patience, "a retained point state");

        using (var subscribed = new CancellationTokenSource(Patience))
        {
            await gateway.Host.Services.GetRequiredService<CommandSubscriber>().WaitUntilSubscribedAsync(subscribed.Token);
        }

        await using var commander = await OfficeClient.ConnectAsync(_office.Broker.Port, Root, "office-console-commands", _office.OfficeTls(Office));
        var results = await commander.SendAndWaitAsync(jones.Sign(CommandType.Lockdown, Site, Gateway), "deploy", count: 2, timeout: Patience);

        Assert.Equal(["accepted", "done"], results.Select(r => r.Result));
        Assert.Equal(SiteMode.Lockdown, gateway.Controller.Snapshot!.State.Mode);
        await console.WaitForAsync(r => r.Topic == Root + "/state/lockdown" && r.Json.GetProperty("mode").GetString() == "lockdown", Patience, "lockdown state at the office");
    }

    [Fact]
    public async Task The_generated_acl_keeps_a_gateway_to_its_own_topics_and_the_office_to_reading_and_commanding()
    {
        await using var console = await TestSubscriber.ConnectAsync(_office.Broker.Port, "edgeguard/v1/#", "office-console-watch", tls: _office.OfficeTls(Office));
        await using var gateway = await ConnectAsync(_office.GatewayOptions(Site, Gateway, _office.Folder("gateways", Gateway), Gateway, "edgeguard-gw-chancery"));
        await using var officeTool = await ConnectAsync(_office.GatewayOptions(Site, Gateway, _office.Folder("office", Office), Office, "office-console-tool"));

        var refused = new Dictionary<string, MqttClientPublishReasonCode>
        {
            ["another gateway's events"] = (await gateway.PublishAsync("edgeguard/v1/embassy-demo/gw-annex/events", "forged")).ReasonCode,
            ["another gateway's will"] = (await gateway.PublishAsync("edgeguard/v1/embassy-demo/gw-annex/availability", "forged")).ReasonCode,
            ["its own id at another site"] = (await gateway.PublishAsync("edgeguard/v1/other-site/gw-chancery/events", "forged")).ReasonCode,
            ["a command to itself"] = (await gateway.PublishAsync(Root + "/commands", "forged")).ReasonCode,
            ["outside the contract"] = (await gateway.PublishAsync("edgeguard/v1/embassy-demo/gw-chancery-x/events", "forged")).ReasonCode,
            ["the office forging an event"] = (await officeTool.PublishAsync(Root + "/events", "forged")).ReasonCode,
            ["the office overwriting state"] = (await officeTool.PublishAsync(Root + "/state/lockdown", "forged", retain: true)).ReasonCode,
        };
        var allowed = new Dictionary<string, MqttClientPublishReasonCode>
        {
            ["events"] = (await gateway.PublishAsync(Root + "/events", "event")).ReasonCode,
            ["availability"] = (await gateway.PublishAsync(Root + "/availability", "online", retain: true)).ReasonCode,
            ["point state"] = (await gateway.PublishAsync(Root + "/state/points/door-lobby", "state")).ReasonCode,
            ["command result"] = (await gateway.PublishAsync(Root + "/command-results", "result")).ReasonCode,
        };

        Assert.All(refused, r => Assert.True(r.Value == MqttClientPublishReasonCode.NotAuthorized, $"{r.Key}: {r.Value}"));
        Assert.All(allowed, r => Assert.True(r.Value == MqttClientPublishReasonCode.Success, $"{r.Key}: {r.Value}"));
        await console.WaitForAsync(r => r.Text == "result", Patience, "the gateway's last permitted message");
        Assert.DoesNotContain(console.Receipts, r => r.Text == "forged");

        // Commands: the gateway reads its own, never another gateway's, even when it subscribes to them.
        await gateway.SubscribeAsync("edgeguard/v1/+/+/commands");
        var toAnnex = await officeTool.PublishAsync("edgeguard/v1/embassy-demo/gw-annex/commands", "for-annex");
        var toChancery = await officeTool.PublishAsync(Root + "/commands", "for-chancery");
        Assert.True(toAnnex.IsSuccess && toChancery.IsSuccess, $"{toAnnex.ReasonCode}, {toChancery.ReasonCode}");
        await Eventually.TrueAsync(() => gateway.Received.Contains("for-chancery"), Patience, "its own command");
        Assert.DoesNotContain("for-annex", gateway.Received);

        // Its own availability it reads too: the publisher answers a late will of its earlier
        // process with online again (src/EdgeGuard.Mqtt/README.md, "A late will").
        await gateway.SubscribeAsync(Root + "/availability");
        await Eventually.TrueAsync(() => gateway.Received.Contains("online"), Patience, "its own retained availability");
    }

    [Fact]
    public async Task A_revoked_gateway_certificate_is_refused_in_the_handshake()
    {
        var revoked = _office.RevokedFolder("gw-annex");

        await using var valid = await ConnectAsync(_office.GatewayOptions(Site, Gateway, _office.Folder("gateways", Gateway), Gateway, "edgeguard-gw-chancery"));
        await Assert.ThrowsAnyAsync<MqttCommunicationException>(() => ConnectAsync(_office.GatewayOptions(Site, "gw-annex", revoked, "gw-annex", "edgeguard-gw-annex")));

        Assert.True(valid.IsConnected);
        await Eventually.TrueAsync(() => _office.Broker.Log.Contains("certificate verify failed", StringComparison.Ordinal), Patience, "the broker's verify failure");
        Assert.DoesNotContain("u'gw-annex'", _office.Broker.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_gateway_needs_revocation_no_check_because_the_office_ca_publishes_no_revocation_url()
    {
        var options = _office.GatewayOptions(Site, Gateway, _office.Folder("gateways", Gateway), Gateway, "edgeguard-gw-chancery");

        // mqtt.tls.revocation's default, online: the broker certificate's status cannot be fetched.
        await Assert.ThrowsAnyAsync<MqttCommunicationException>(() => ConnectAsync(options with { Tls = options.Tls with { RevocationMode = X509RevocationMode.Online } }));
        await using var pinned = await ConnectAsync(options);

        Assert.True(pinned.IsConnected);
    }

    [Fact]
    public async Task A_gateway_added_or_revoked_while_the_broker_runs_takes_effect_at_the_next_reload()
    {
        await _office.CertsAsync("gateway", Site, "gw-spare");
        var spare = _office.Folder("gateways", "gw-spare");
        var options = _office.GatewayOptions(Site, "gw-spare", spare, "gw-spare", "edgeguard-gw-spare");
        var copy = Path.Combine(_office.Root, "gw-spare-copy"); // what the thief kept
        Directory.CreateDirectory(copy);
        foreach (var file in Directory.GetFiles(spare))
        {
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        }

        await using var connected = await ConnectAsync(options);
        // The broker read the ACL before gw-spare existed: its certificate is valid, its topics are not yet.
        Assert.Equal(MqttClientPublishReasonCode.NotAuthorized, (await connected.PublishAsync("edgeguard/v1/embassy-demo/gw-spare/events", "early")).ReasonCode);
        await _office.Broker.ReloadAsync(); // systemctl reload mosquitto
        await UntilAsync(async () => (await connected.PublishAsync("edgeguard/v1/embassy-demo/gw-spare/events", "before")).ReasonCode == MqttClientPublishReasonCode.NoMatchingSubscribers, "publishes allowed after the reload");

        await _office.CertsAsync("revoke", "gw-spare");
        await _office.Broker.ReloadAsync();

        // TLS is checked only at the handshake; the regenerated ACL no longer names gw-spare, so the
        // live connection loses every topic as soon as the broker has re-read it.
        await UntilAsync(async () => (await connected.PublishAsync("edgeguard/v1/embassy-demo/gw-spare/events", "after")).ReasonCode == MqttClientPublishReasonCode.NotAuthorized, "publishes refused after the reload");
        var stolen = _office.GatewayOptions(Site, "gw-spare", copy, "gw-spare", "edgeguard-gw-spare-2");
        // The broker ends the handshake of a revoked certificate (the client sees the connection drop).
        await Assert.ThrowsAnyAsync<MqttCommunicationException>(() => ConnectAsync(stolen));
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for: {what}");
            }

            await Task.Delay(100);
        }
    }

    private static async Task<Client> ConnectAsync(MqttPublisherOptions options)
    {
        var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            await client.ConnectAsync(ClientOptionsFactory.BuildClient(options));
            return new Client(client);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>A client with the gateway's TLS set-up that records what it receives.</summary>
    private sealed class Client : IAsyncDisposable
    {
        private readonly IMqttClient _client;
        private readonly List<string> _received = [];

        public Client(IMqttClient client)
        {
            _client = client;
            _client.ApplicationMessageReceivedAsync += args =>
            {
                lock (_received)
                {
                    _received.Add(Encoding.UTF8.GetString(args.ApplicationMessage.Payload));
                }

                return Task.CompletedTask;
            };
        }

        public bool IsConnected => _client.IsConnected;

        public IReadOnlyList<string> Received
        {
            get
            {
                lock (_received)
                {
                    return [.. _received];
                }
            }
        }

        public Task<MqttClientPublishResult> PublishAsync(string topic, string text, bool retain = false) =>
            _client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Encoding.UTF8.GetBytes(text))
                .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag(retain).Build());

        public Task SubscribeAsync(string filter) =>
            _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, MqttQualityOfServiceLevel.AtLeastOnce).Build());

        public async ValueTask DisposeAsync()
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync();
            }

            _client.Dispose();
        }
    }
}
