using System.Text.Json.Nodes;
using EdgeGuard.Simulation;
using Xunit.Abstractions;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The office link is down long enough for the journal to fill: the gateway says so, keeps
/// protecting the site, and tells the office everything it kept once the link is back.
/// </summary>
public sealed class JournalFullTests(ITestOutputHelper output)
{
    private const string Root = "edgeguard/v1/embassy-demo/gw-chancery";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static void SmallJournal(JsonNode config)
    {
        GatewayKillTests.FastDoor(config);
        config["EdgeGuard"]!["journal"]!["maxRecords"] = 1000;
    }

    [Fact]
    public async Task A_full_journal_raises_a_fault_and_lockdown_still_locks_the_doors_then_the_office_learns_it_all()
    {
        using var state = new TempDirectory();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Root + "/#", "office");
        await broker.StopAsync();

        await using var gateway = await GatewayProcess.StartAsync(state.Path, broker.Port, SmallJournal);
        // 1,500 pulses = 3,000 point events with nowhere to go: the journal fills at 1,000.
        Assert.StartsWith("ok", await gateway.SimAsync("pulse door-lobby 1500"), StringComparison.Ordinal);
        await Eventually.TrueAsync(() => gateway.JournaledEvents().Any(e => e.Type == "fault.journal-full"), Patience, "fault.journal-full in the journal");

        // The site is still protected: a panic button locks the lobby's door (unlocked until then) and sounds the siren.
        await using (var link = await SimulatorClient.ConnectAsync(gateway.ControlSocket, CancellationToken.None))
        {
            var scenario = Scenario.Parse(
                "expect mode normal\nexpect output lock-lobby unlocked\nexpect output siren-main off\n"
                + "press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked\nexpect output lock-chancery locked\nexpect output siren-main on\nrelease panic-lobby",
                "lockdown while full");
            await new ScenarioRunner(link, TimeSpan.FromSeconds(5), TimeProvider.System).RunAsync(scenario, TextWriter.Null, CancellationToken.None);
        }

        // The scenario saw the loop's state; the lockdown's events reach the disk through the writer after it.
        var journaled = (await JournalFile.EventsOnceAsync(gateway.DatabasePath, "lockdown.started", Patience)).Select(e => (e.Seq, e.Id, e.Type)).ToList();
        Assert.InRange(journaled.Count(e => e.Type.StartsWith("point.", StringComparison.Ordinal)), 1, 1000);
        Assert.Single(journaled, e => e.Type == "fault.journal-full");
        // Critical events get a reserve above the limit: the office will learn of the lockdown.
        Assert.Single(journaled, e => e.Type == "lockdown.started");
        Assert.True(journaled.Single(e => e.Type == "lockdown.started").Seq > journaled.Single(e => e.Type == "fault.journal-full").Seq);
        await Eventually.TrueAsync(() => gateway.Output.Contains("fault.journal-full", StringComparison.Ordinal), Patience, "fault.journal-full in the gateway's log");

        // The link returns: the backlog drains, the journal recovers and says how much it dropped,
        // and the retained lockdown state tells the office where the site stands.
        await broker.StartAgainAsync();
        var fault = await office.WaitForAsync(r => r.Topic == Root + "/events" && r.Json.GetProperty("type").GetString() == "fault.journal-full", Patience, "fault.journal-full at the office");
        Assert.Equal("critical", fault.Json.GetProperty("severity").GetString());
        var recovered = await office.WaitForAsync(r => r.Topic == Root + "/events" && r.Json.GetProperty("type").GetString() == "journal.recovered", Patience, "journal.recovered at the office");
        output.WriteLine(recovered.Text);
        Assert.True(recovered.Json.GetProperty("data").GetProperty("dropped").GetInt64() > 0);
        await office.WaitForAsync(r => r.Topic == Root + "/events" && r.Json.GetProperty("type").GetString() == "lockdown.started", Patience, "lockdown.started at the office");
        var lockdown = await office.WaitForAsync(r => r.Topic == Root + "/state/lockdown" && r.Json.GetProperty("mode").GetString() == "lockdown", Patience, "retained lockdown state");
        Assert.Equal("panic-lobby", lockdown.Json.GetProperty("point").GetString());
    }
}
