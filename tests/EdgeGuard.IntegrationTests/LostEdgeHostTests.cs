using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// A native input whose edge never reached the gateway (the kernel dropped the event) through the whole host:
/// the lines' resync re-reads it, the controller decides on it as on any edge, and the office is told.
/// </summary>
public sealed class LostEdgeHostTests
{
    // Two re-reads one second apart confirm the level: about two seconds, well within this.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task A_door_forced_open_whose_edge_was_dropped_is_reported_forced_with_a_hardware_fault_for_its_line()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path);
        await gateway.PlayAsync(
            Scenario.Parse("press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked\nrelease panic-lobby", "lockdown"), Timeout);
        var line = gateway.Config.Site.Point("door-lobby").Line;

        // The lobby door is forced open during the lockdown, and its edge event is lost.
        gateway.Driver.SetInputLevelSilently(line, high: true);

        await Eventually.TrueAsync(() => gateway.Recorder.Events.Any(e => e is DoorForced { DoorId: "lobby" }), Timeout, "door.forced for the lobby door");
        await gateway.PlayAsync(Scenario.Parse("expect point door-lobby active", "open"), Timeout);
        await Eventually.TrueAsync(() => gateway.Recorder.Events.Any(e => e is HardwareFaultRestored), Timeout, "fault.hardware-restored after a clean pass");
        await gateway.SettledAsync();

        var fault = Assert.Single(gateway.Recorder.Events.OfType<HardwareFault>());
        Assert.Equal($"gpio{line}", fault.Device);
        Assert.StartsWith("door-lobby: level high differed from the last edge delivered", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(Severity.Critical, Assert.Single(gateway.Recorder.Events.OfType<DoorForced>()).Severity);
        Assert.Equal($"gpio{line}", Assert.Single(gateway.Recorder.Events.OfType<HardwareFaultRestored>()).Device);

        // And so it is in the journal the office is served from.
        var journal = gateway.Host.Services.GetRequiredService<EventJournal>();
        await journal.FlushAsync();
        var records = journal.Read(1, 1000);
        Assert.Contains(records, r => r is { Type: "door.forced", Point: "door-lobby" });
        using var data = JsonDocument.Parse(records.Single(r => r.Type == "fault.hardware").DataJson);
        Assert.Equal($"gpio{line}", data.RootElement.GetProperty("device").GetString());
        Assert.Single(records, r => r.Type == "fault.hardware-restored");
    }
}
