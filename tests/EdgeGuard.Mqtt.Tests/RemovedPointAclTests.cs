using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The retained state of a removed point under the office's real ACL (deploy/office/make-acl.sh):
/// the gateway must be allowed to read its own point states, or it never finds the stale copy; and
/// under an ACL from before that, it must go on delivering all the same.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class RemovedPointAclTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string OldDoor = Root + "/state/points/door-old";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Under_the_generated_acl_a_removed_points_retained_state_is_deleted()
    {
        var acl = await OfficeAcl.MakeAsync("--site", "site-1", "--gateway", "gw-1") + await OfficeAcl.MakeAsync("--office", "office");
        await using var tls = await TlsBroker.StartAsync(acl);
        var gatewayOptions = PublisherHarness.Plain(tls.Broker.Port) with { Tls = tls.GatewayTls("gw-1") };
        await RemovedPointTests.RunOldConfigAsync(tls.Broker.Port, output, gatewayOptions);
        await using var office = await TestSubscriber.ConnectAsync(tls.Broker.Port, Root + "/state/points/#", "office", persistent: false, tls: tls.ClientTls("office"));
        await office.WaitForAsync(r => r.Topic == OldDoor && r.Retain && r.Payload.Length > 0, Patience, "door-old retained from the old config");

        await using var removed = new PublisherHarness(gatewayOptions, output);
        removed.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false));
        await removed.StartAndCatchUpAsync();

        await office.WaitForAsync(r => r.Topic == OldDoor && r.Payload.Length == 0, Patience, "door-old's retained state deleted");
        var late = await RemovedPointTests.RetainedAsync(tls.Broker.Port, tls.ClientTls("office"), OldDoor, Root + "/state/points/door-a");
        Assert.DoesNotContain(late, r => r.Topic == OldDoor);
        Assert.Empty(removed.Faults.Events);
        output.WriteLine("--- mosquitto log ---\n" + tls.Broker.Log);
    }

    [Fact]
    public async Task Under_an_acl_without_read_on_the_point_states_the_gateway_goes_on_delivering()
    {
        // The stanza certs.sh rendered before the gateway read its point states: Mosquitto grants
        // the subscription but delivers nothing on it.
        var generated = await OfficeAcl.MakeAsync("--site", "site-1", "--gateway", "gw-1");
        var readLine = $"topic read {Root}/state/points/+\n";
        Assert.Contains(readLine, generated);
        var acl = generated.Replace(readLine, "", StringComparison.Ordinal) + await OfficeAcl.MakeAsync("--office", "office");
        await using var tls = await TlsBroker.StartAsync(acl);
        var gatewayOptions = PublisherHarness.Plain(tls.Broker.Port) with { Tls = tls.GatewayTls("gw-1") };
        await RemovedPointTests.RunOldConfigAsync(tls.Broker.Port, output, gatewayOptions);
        await using var office = await TestSubscriber.ConnectAsync(tls.Broker.Port, Root + "/#", "office", persistent: false, tls: tls.ClientTls("office"));

        await using var removed = new PublisherHarness(gatewayOptions, output);
        removed.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", true));
        await removed.StartAndCatchUpAsync();
        removed.Outbox.Append("point.activated", "door-a", "lobby", """{"kind":"doorContact"}""");

        await office.WaitForAsync(r => r.Topic == Root + "/events", Patience, "the event after the connect");
        await office.WaitForAsync(r => r.Topic == Root + "/state/points/door-a" && r.Json.GetProperty("active").GetBoolean(), Patience, "door-a's state");
        Assert.True(removed.Publisher.IsCaughtUp);
        Assert.Equal(0, removed.Publisher.StalePointsCleared);
        Assert.Empty(removed.Faults.Events);
    }
}
