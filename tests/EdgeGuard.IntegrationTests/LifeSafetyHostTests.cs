using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using EdgeGuard.Simulation;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.IntegrationTests;

/// <summary>Life safety through the whole host: fire beats lockdown on the real output lines.</summary>
public sealed class LifeSafetyHostTests
{
    private static readonly TimeSpan ExpectTimeout = TimeSpan.FromSeconds(5);

    private static Task Play(TestGateway gateway, string text, string name = "inline") => gateway.PlayAsync(Scenario.Parse(text, name), ExpectTimeout);

    [Fact]
    public async Task Fire_during_a_lockdown_opens_the_egress_door_and_keeps_the_chancery_locked()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path);

        await Play(gateway, File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "scenarios", "fire-during-lockdown.scenario")), "fire-during-lockdown");

        // The maglock's line: unlocked, locked by the lockdown, released by the fire, never relocked.
        Assert.Equal([false, true, false], HostScenarioTests.Collapse(gateway.Driver.DrivenLevels(gateway.LineOf("lock-lobby"))));
        Assert.False(gateway.Driver.GetOutputLevel(gateway.LineOf("lock-chancery")), "fail-secure strike stays unpowered = locked");
        var types = gateway.Recorder.Events.Select(e => e.Type).ToList();
        Assert.True(types.IndexOf("lockdown.started") < types.IndexOf("fire.alarm"));
        Assert.True(types.IndexOf("fire.alarm") < types.IndexOf("fire.reset"));
        Assert.Equal(SiteMode.Lockdown, gateway.Recorder.Events.OfType<FireAlarmRaised>().Single().Mode);
    }

    [Fact]
    public async Task A_fire_input_active_at_boot_releases_egress_even_in_a_persisted_lockdown()
    {
        using var state = new TempDirectory();
        await using (var before = await TestGateway.StartAsync(state.Path))
        {
            await Play(before, "press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked");
        }

        await using var after = await TestGateway.StartAsync(state.Path, g =>
        {
            var fire = g.Config.Site.Point("fire-panel");
            g.Driver.SetInputLevel(fire.Line, fire.LevelFor(active: true));
        });

        var snapshot = after.Controller.Snapshot!;
        Assert.Equal(SiteMode.Lockdown, snapshot.State.Mode);
        Assert.Equal(LifeSafety.FireEgressReleased, snapshot.State.LifeSafety);
        Assert.False(after.Driver.GetOutputLevel(after.LineOf("lock-lobby")), "egress must open when the gateway boots into a fire");
        Assert.Contains(after.Recorder.Events, e => e is FireAlarmRaised { PointId: "fire-panel" });
    }

    [Fact]
    public async Task A_fire_release_survives_a_restart_and_egress_is_never_driven_locked_again()
    {
        using var state = new TempDirectory();
        await using (var before = await TestGateway.StartAsync(state.Path))
        {
            await Play(before, "press panic-lobby\nexpect mode lockdown\nactivate fire-panel\nexpect output lock-lobby unlocked\ndeactivate fire-panel\nwait 300ms\nexpect point fire-panel inactive");
        }

        await using var after = await TestGateway.StartAsync(state.Path);

        Assert.Equal(LifeSafety.FireEgressReleased, after.Controller.Snapshot!.State.LifeSafety);
        // From the very first write after power-up: the egress maglock is never energised. Not
        // empty: "unlocked" is also what a line never driven reads.
        var driven = after.Driver.DrivenLevels(after.LineOf("lock-lobby"));
        Assert.NotEmpty(driven);
        Assert.All(driven, high => Assert.False(high));
        Assert.False(after.Driver.GetOutputLevel(after.LineOf("lock-lobby")));
        Assert.True(after.Driver.GetOutputLevel(after.LineOf("lamp-lockdown")));
    }

    [Fact]
    public async Task A_damaged_safety_state_row_boots_normal_a_fire_releases_egress_and_the_fault_is_journaled()
    {
        using var state = new TempDirectory();
        await using (var before = await TestGateway.StartAsync(state.Path))
        {
            await Play(before, "press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked");
        }

        // What a flipped bit on the card could leave: a mode no release writes.
        using (var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(state.Path, "edgeguard.db"), Pooling = false }.ToString()))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "UPDATE safety_state SET mode = 'curfew';";
            Assert.Equal(1, command.ExecuteNonQuery());
        }

        // Before: Load threw out of the controller's start, the host never started, no input was decided.
        await using var after = await TestGateway.StartAsync(state.Path);
        Assert.Equal(SiteMode.Normal, after.Controller.Snapshot!.State.Mode);
        await Play(after, "activate fire-panel\nexpect output lock-lobby unlocked");

        Assert.Equal(LifeSafety.FireEgressReleased, after.Controller.Snapshot!.State.LifeSafety);
        Assert.False(after.Driver.GetOutputLevel(after.LineOf("lock-lobby")), "a fire releases egress on a gateway that lost its saved state");
        var journal = after.Host.Services.GetRequiredService<EventJournal>();
        await journal.FlushAsync();
        var fault = Assert.Single(journal.Read(1, 1000), r => r.Type == "fault.safety-state-unreadable");
        Assert.Equal(Severity.Critical, fault.Severity);
        Assert.Contains("unknown mode \\u0027curfew\\u0027", fault.DataJson, StringComparison.Ordinal);
        Assert.Contains("may have been lost", fault.DataJson, StringComparison.Ordinal);

        // The fire's save overwrote the damaged row: the next boot reads it.
        Assert.Equal(LifeSafety.FireEgressReleased, new SqliteSafetyStateStore(after.Host.Services.GetRequiredService<JournalDatabase>()).Load().LifeSafety);
    }
}
