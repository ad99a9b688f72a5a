using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Simulation;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The whole host on the annex sample (samples/annex-io-board.json): points and outputs on a simulated
/// MCP23017, perimeter loops on a simulated MCP3008, driven through the simulator protocol.
/// </summary>
public sealed class IoBoardHostTests
{
    private const string Annex = "samples/annex-io-board.json";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private static Task Play(TestGateway gateway, string text) => gateway.PlayAsync(Scenario.Parse(text, "inline"), Timeout);

    private static Task Until<T>(TestGateway gateway, Func<T, bool> match, string what)
        where T : DomainEvent =>
        Eventually.TrueAsync(() => gateway.Recorder.Events.OfType<T>().Any(match), Timeout, what);

    [Fact]
    public async Task A_cut_loop_is_a_tamper_fault_and_a_breach_and_both_restore_when_repaired()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path, configFile: Annex);

        Assert.Equal("ok loop fence-east open", await gateway.Link.SendAsync("loop fence-east open", CancellationToken.None));
        await Until<EolTamperDetected>(gateway, e => e.PointId == "fence-east", "fault.eol-tamper for fence-east");
        await Play(gateway, "expect point fence-east active");
        await Play(gateway, "loop fence-east normal\nexpect point fence-east inactive");
        await Until<EolTamperRestored>(gateway, e => e.PointId == "fence-east", "fault.eol-tamper-restored for fence-east");

        var events = gateway.Recorder.Events;
        var tamper = Assert.Single(events.OfType<EolTamperDetected>());
        Assert.Equal((LoopTamper.Open, "perimeter", Severity.Alarm), (tamper.Condition, tamper.Zone, tamper.Severity));
        Assert.Equal(LoopTamper.Open, Assert.Single(events.OfType<EolTamperRestored>()).Condition);
        // The breach is the ordinary perimeter alarm, raised and restored like any input edge.
        Assert.Single(events.OfType<PointActivated>(), e => e.PointId == "fence-east");
        Assert.Single(events.OfType<PointRestored>(), e => e.PointId == "fence-east");
        var types = events.Select(e => e.Type).ToList();
        Assert.True(types.IndexOf("fault.eol-tamper") < types.IndexOf("point.activated"), string.Join(", ", types));
    }

    [Fact]
    public async Task A_shorted_loop_is_a_tamper_fault_raised_once_and_the_point_reads_active()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path, configFile: Annex);

        await Play(gateway, "loop fence-east short\nexpect point fence-east active\nwait 200ms");
        await Until<EolTamperDetected>(gateway, e => e.Condition == LoopTamper.Short, "fault.eol-tamper (short)");
        // Many polls saw the short; it is one fault, not one per reading.
        Assert.Single(gateway.Recorder.Events.OfType<EolTamperDetected>());

        // From short straight to cut: the short ends and the cut begins.
        await gateway.Link.SendAsync("loop fence-east open", CancellationToken.None);
        await Until<EolTamperDetected>(gateway, e => e.Condition == LoopTamper.Open, "fault.eol-tamper (open)");
        Assert.Contains(gateway.Recorder.Events, e => e is EolTamperRestored { Condition: LoopTamper.Short });
    }

    [Fact]
    public async Task A_single_series_loop_folds_a_cut_into_an_alarm_and_reports_a_short_as_tamper()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path, configFile: Annex);

        await Play(gateway, "loop fence-west open\nexpect point fence-west active\nloop fence-west normal\nexpect point fence-west inactive");
        Assert.DoesNotContain(gateway.Recorder.Events, e => e is EolTamperDetected);

        await Play(gateway, "loop fence-west short");
        await Until<EolTamperDetected>(gateway, e => e is { PointId: "fence-west", Condition: LoopTamper.Short }, "short on fence-west");
    }

    [Fact]
    public async Task Expander_panic_locks_the_expander_door_and_the_shipped_scenario_passes()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path, configFile: Annex);

        await gateway.PlayAsync(
            Scenario.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "scenarios", "eol-tamper.scenario")), "eol-tamper.scenario"), Timeout);

        var started = gateway.Recorder.Events.OfType<LockdownStarted>().Single();
        Assert.Equal("panic-annex", started.PointId);
        // The maglock's pin on the expander (B0 = pin 8), not just the plan: unlocked again after the clear.
        // `expect output` checks the plan; the chip's writer applies it off the controller's loop, just after.
        var chip = gateway.Host.Services.GetRequiredService<SimulatedBusDevices>().Expander("mcp23017@0x20");
        await Eventually.TrueAsync(() => !chip.PinLevel(8), Timeout, "the annex maglock unlocked on the chip after the clear");
        Assert.DoesNotContain(gateway.Recorder.Events, e => e is HardwareFault);
    }

    [Fact]
    public async Task An_expander_without_power_at_boot_does_not_stop_the_gateway_and_is_configured_once_it_answers()
    {
        using var state = new TempDirectory();
        SimulatedMcp23017? chip = null;
        await using var gateway = await TestGateway.StartAsync(state.Path, g =>
        {
            chip = g.Host.Services.GetRequiredService<SimulatedBusDevices>().Expander("mcp23017@0x20");
            chip.Powered = false;
        }, configFile: Annex);

        // Booted: the native lines and the ADC are protected. The blind expander's points read fail-safe, so
        // its panic button counts as pressed (as a cut panic loop would) and the site locks down.
        await Until<HardwareFault>(gateway, e => e.Device == "mcp23017@0x20", "fault.hardware for the expander");
        await Play(gateway, "expect mode lockdown\nexpect point panic-annex active\nexpect output siren-main on");
        Assert.Equal("panic-annex", gateway.Controller.Snapshot!.State.Lockdown?.Point);
        // Reported once the chip's writer has tried the lock (off the controller's loop).
        await Until<OutputFault>(gateway, e => e.OutputId == "lock-annex", "fault.output for the annex lock");

        chip!.Powered = true;
        await Until<HardwareFaultRestored>(gateway, e => e.Device == "mcp23017@0x20", "fault.hardware-restored for the expander");
        await Until<OutputFaultRestored>(gateway, e => e.OutputId == "lock-annex", "fault.output-restored for the annex lock");
        await Play(gateway, "expect point panic-annex inactive\nexpect output lock-annex locked");
        Assert.True(chip.PinLevel(8), "the annex maglock is not locked after its chip answered");
        await Play(gateway, "press key-guardroom\nexpect mode normal\nexpect output lock-annex unlocked");
    }

    [Fact]
    public async Task A_relay_expander_without_power_at_boot_drives_its_locks_once_it_answers()
    {
        // The annex panic button and door moved to native lines: the expander carries outputs only, so it is not
        // among the inputs and only the supervision started with its outputs can configure it.
        using var state = new TempDirectory();
        SimulatedMcp23017? chip = null;
        await using var gateway = await TestGateway.StartAsync(state.Path, g =>
        {
            chip = g.Host.Services.GetRequiredService<SimulatedBusDevices>().Expander("mcp23017@0x20");
            chip.Powered = false;
        }, configFile: Annex, overrides: ["EdgeGuard:points:2:line=20", "EdgeGuard:points:3:line=21"]);

        await Until<HardwareFault>(gateway, e => e.Device == "mcp23017@0x20", "fault.hardware for the relay expander");
        await Play(gateway, "press panic-guardroom\nexpect mode lockdown");
        await Until<OutputFault>(gateway, e => e.OutputId == "lock-annex", "fault.output for the annex lock");

        chip!.Powered = true;
        await Until<HardwareFaultRestored>(gateway, e => e.Device == "mcp23017@0x20", "fault.hardware-restored for the relay expander");
        await Until<OutputFaultRestored>(gateway, e => e.OutputId == "lock-annex", "fault.output-restored for the annex lock");
        await Eventually.TrueAsync(() => chip.PinLevel(8), Timeout, "the annex maglock driven locked once its chip answered");
    }

    [Fact]
    public async Task A_key_held_while_its_expander_was_without_power_does_not_clear_the_lockdown_when_it_answers()
    {
        // key-annex, on the blind expander, may clear a lockdown; no debounce, so an edge is decided as it arrives
        // and the heartbeat after the chip's restore shows whether the resync turned it.
        using var state = new TempDirectory();
        SimulatedMcp23017? chip = null;
        await using var gateway = await TestGateway.StartAsync(state.Path, g =>
        {
            chip = g.Host.Services.GetRequiredService<SimulatedBusDevices>().Expander("mcp23017@0x20");
            chip.Powered = false;
        }, configFile: Annex, overrides:
        [
            "EdgeGuard:points:6:id=key-annex", "EdgeGuard:points:6:kind=keyswitch", "EdgeGuard:points:6:line=mcp23017@0x20:A2",
            "EdgeGuard:points:6:activeLevel=low", "EdgeGuard:points:6:pull=up", "EdgeGuard:points:6:zone=annex", "EdgeGuard:points:6:debounceMs=0",
            "EdgeGuard:lockdown:clearKeyswitches:1=key-annex",
        ]);
        await Play(gateway, "expect mode lockdown"); // the blind panic button reads pressed

        chip!.SetPin(2, false); // the guard turns the annex key and holds it while the chip is still dead
        chip.Powered = true;
        await Until<HardwareFaultRestored>(gateway, e => e.Device == "mcp23017@0x20", "fault.hardware-restored for the expander");
        await gateway.SettledAsync();
        await Play(gateway, "expect point panic-annex inactive");
        Assert.Equal(SiteMode.Lockdown, gateway.Controller.Snapshot!.State.Mode);
        Assert.DoesNotContain(gateway.Recorder.Events, e => e is PointActivated { PointId: "key-annex" });

        // Released and turned again: a real turn clears it.
        chip.SetPin(2, true);
        chip.SetPin(2, false);
        await Play(gateway, "expect mode normal");
    }

    [Fact]
    public async Task Loop_command_on_a_point_that_is_not_a_loop_is_refused()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path, configFile: Annex);

        var reply = await gateway.Link.SendAsync("loop door-annex open", CancellationToken.None);

        Assert.StartsWith("error: point 'door-annex' is not a supervised loop", reply, StringComparison.Ordinal);
    }
}
