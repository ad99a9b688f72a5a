using EdgeGuard.Core.Lockdown;
using EdgeGuard.Simulation;

namespace EdgeGuard.IntegrationTests;

/// <summary>Door supervision through the whole host: forced doors and exit requests during a lockdown.</summary>
public sealed class DoorHostTests
{
    [Fact]
    public async Task A_door_forced_during_a_lockdown_is_a_critical_alarm_and_the_exit_button_still_lets_people_out()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path);
        var scenario = Scenario.Parse(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "scenarios", "door-forced-during-lockdown.scenario")), "door-forced-during-lockdown");

        await gateway.PlayAsync(scenario, TimeSpan.FromSeconds(10));

        var forced = Assert.Single(gateway.Recorder.Events.OfType<DoorForced>());
        Assert.Equal(("lobby", "door-lobby", Severity.Critical), (forced.DoorId, forced.ContactPoint, forced.Severity));
        Assert.Single(gateway.Recorder.Events.OfType<DoorForcedRestored>());
        Assert.Equal("rex-lobby", Assert.Single(gateway.Recorder.Events.OfType<DoorReleased>()).RequestedBy);
        // The maglock line: unlocked, locked (lockdown), released for the exit, locked again, unlocked
        // by the all clear the file ends with (it leaves the site at rest for the next scenario).
        Assert.Equal([false, true, false, true, false], HostScenarioTests.Collapse(gateway.Driver.DrivenLevels(gateway.LineOf("lock-lobby"))));
    }
}
