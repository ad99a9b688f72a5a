using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using EdgeGuard.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The gateway deletes a removed point's retained state with an empty retained message
/// (asyncapi: "a console may see that empty message"); the office's contract tool passes
/// that message on a point-state topic (it failed it as "not part of the contract" at first).
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class RemovedPointContractTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/site-1/gw-1";
    private const string OldDoor = Root + "/state/points/door-old";

    [Fact]
    public async Task What_a_console_reads_after_a_rename_passes_the_contract_tool()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await RemovedPointTests.RunOldConfigAsync(broker.Port, output);
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/state/points/#", "office", persistent: false);

        await using var renamed = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        renamed.State.Current = SiteStates.Of(SiteMode.Normal, ("door-a", false), ("door-annex", true));
        await renamed.StartAndCatchUpAsync();
        await office.WaitForAsync(r => r.Topic == OldDoor && r.Payload.Length == 0, TimeSpan.FromSeconds(30), "door-old deleted");

        // As `mosquitto_sub -v` prints them (an empty payload as "(null)"), the office's capture.
        var capture = office.Receipts.Select(r => (r.Topic, r.Payload.Length == 0 ? "(null)" : r.Text)).ToList();
        var (exitCode, report) = await ContractTool.ValidateAsync(capture);
        output.WriteLine(report);
        Assert.True(exitCode == 0, report);
    }
}
