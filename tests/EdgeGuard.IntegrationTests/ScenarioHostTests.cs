using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.IntegrationTests;

/// <summary>Drills and evacuation through the whole host, on the simulated lines and in the journal.</summary>
public sealed class ScenarioHostTests
{
    private static Task Play(TestGateway gateway, string file) =>
        gateway.PlayAsync(Scenario.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "scenarios", file)), file), TimeSpan.FromSeconds(5));

    [Fact]
    public async Task A_lockdown_drill_locks_the_doors_never_sounds_the_muted_siren_and_is_journaled_as_a_drill()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path);

        await Play(gateway, "drill-lockdown.scenario");

        var siren = gateway.Driver.DrivenLevels(gateway.LineOf("siren-main"));
        Assert.NotEmpty(siren); // driven silent at boot, and never sounded since
        Assert.All(siren, high => Assert.False(high));
        Assert.Equal([false, true, false], HostScenarioTests.Collapse(gateway.Driver.DrivenLevels(gateway.LineOf("lock-lobby"))));
        var journal = gateway.Host.Services.GetRequiredService<EventJournal>();
        await journal.FlushAsync();
        var records = journal.Read(1, 1000);
        Assert.True(records.Single(r => r.Type == "lockdown.started").Drill);
        Assert.True(records.Single(r => r.Type == "lockdown.cleared").Drill);
        Assert.False(records.First(r => r.Type == "point.activated" && r.Point == "key-drill").Drill, "the key turn is a real fact");
    }

    [Fact]
    public async Task An_evacuation_takes_over_a_lockdown_and_opens_the_egress_door()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path);

        await gateway.PlayAsync(Scenario.Parse("press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked\nrelease panic-lobby\npress key-evacuate\nexpect output lock-lobby unlocked\nexpect output siren-main on", "evacuate"), TimeSpan.FromSeconds(5));

        Assert.Equal(SiteMode.Evacuation, gateway.Controller.Snapshot!.State.Mode);
        var started = gateway.Recorder.Events.OfType<LockdownStarted>().Last();
        Assert.Equal(("evacuation.started", "evacuate", "lockdown"), (started.Type, started.Scenario, started.Replaced));
    }

    [Fact]
    public async Task Sim_status_shows_the_running_scenario_as_a_drill_with_its_threat_level()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path);

        await gateway.PlayAsync(Scenario.Parse("press key-drill\nexpect mode lockdown\nrelease key-drill", "drill"), TimeSpan.FromSeconds(5));
        using var status = System.Text.Json.JsonDocument.Parse(gateway.Simulator.Execute("status"));

        var root = status.RootElement;
        Assert.Equal(("lockdown", true, false), (root.GetProperty("scenario").GetString(), root.GetProperty("drill").GetBoolean(), root.GetProperty("fireEgressReleased").GetBoolean()));
        Assert.Equal(gateway.Controller.Snapshot!.State.ThreatLevel, root.GetProperty("threatLevel").GetInt32());
        Assert.Equal(0, root.GetProperty("suppressedPoints").GetArrayLength());
        Assert.Empty(root.GetProperty("bypassedPoints").EnumerateObject());
    }
}
