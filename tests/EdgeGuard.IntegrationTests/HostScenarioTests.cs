using EdgeGuard.Core.Lockdown;
using EdgeGuard.Simulation;

namespace EdgeGuard.IntegrationTests;

/// <summary>The whole host on simulated hardware, driven the way a guard and a technician would.</summary>
public sealed class HostScenarioTests
{
    private static readonly TimeSpan ExpectTimeout = TimeSpan.FromSeconds(5);

    private static Scenario Shipped(string name) => Scenario.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "scenarios", name)), name);

    private static Task Play(TestGateway gateway, string text) => gateway.PlayAsync(Scenario.Parse(text, "inline"), ExpectTimeout);

    [Fact]
    public async Task Panic_locks_down_drives_outputs_and_keyswitch_clear_restores_them()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path);

        await gateway.PlayAsync(Shipped("panic-and-clear.scenario"), ExpectTimeout);

        // The lines themselves, not just the plan: fail-safe maglock energised (high) in lockdown,
        // released (low) after the clear; fail-secure strike stays unpowered (locked) throughout.
        Assert.Equal([false, true, false], Collapse(gateway.Driver.DrivenLevels(gateway.LineOf("lock-lobby"))));
        Assert.False(gateway.Driver.GetOutputLevel(gateway.LineOf("lock-chancery")));
        Assert.Equal([false, true, false], Collapse(gateway.Driver.DrivenLevels(gateway.LineOf("siren-main"))));
        var types = gateway.Recorder.Events.Select(e => e.Type).ToList();
        Assert.Contains("lockdown.started", types);
        Assert.Equal("lockdown.cleared", types.Last(t => t.StartsWith("lockdown.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Restart_in_lockdown_comes_back_in_lockdown_with_outputs_locked_from_the_first_write()
    {
        using var state = new TempDirectory();
        await using (var before = await TestGateway.StartAsync(state.Path))
        {
            await Play(before, "press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked");
        }

        await using var after = await TestGateway.StartAsync(state.Path);

        var snapshot = after.Controller.Snapshot!;
        Assert.Equal(SiteMode.Lockdown, snapshot.State.Mode);
        Assert.Equal("panic-lobby", snapshot.State.Lockdown?.Point);
        // Every level ever driven on the maglock since boot is the locked one: no unlocked glitch.
        // Not empty: a line never driven would pass the All and read as whatever it defaults to.
        var driven = after.Driver.DrivenLevels(after.LineOf("lock-lobby"));
        Assert.NotEmpty(driven);
        Assert.All(driven, high => Assert.True(high));
        Assert.True(after.Driver.GetOutputLevel(after.LineOf("lock-lobby")));
        Assert.True(after.Driver.GetOutputLevel(after.LineOf("lamp-lockdown")));
        var started = Assert.IsType<GatewayStarted>(after.Recorder.Events[0]);
        Assert.Equal(SiteMode.Lockdown, started.RestoredMode);

        await Play(after, "press key-guardroom\nexpect mode normal\nexpect output lock-lobby unlocked");
    }

    [Fact]
    public async Task Inputs_active_at_boot_are_reported_and_only_a_held_panic_button_locks_down()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path, g =>
        {
            var panic = g.Config.Site.Point("panic-lobby");
            var door = g.Config.Site.Point("door-lobby");
            g.Driver.SetInputLevel(panic.Line, panic.LevelFor(active: true));
            g.Driver.SetInputLevel(door.Line, door.LevelFor(active: true));
        });

        var atBoot = gateway.Recorder.Events.OfType<PointActiveAtBoot>().Select(e => e.PointId).Order().ToArray();
        Assert.Equal(["door-lobby", "panic-lobby"], atBoot);
        // The door found open raises nothing; the panic button still held is a press (a latching
        // hold-up button pressed during the restart), decided once the inputs settled.
        Assert.DoesNotContain(gateway.Recorder.Events, e => e is PointActivated);
        Assert.Equal("panic-lobby", Assert.Single(gateway.Recorder.Events.OfType<LockdownStarted>()).PointId);
        Assert.Equal(SiteMode.Lockdown, gateway.Controller.Snapshot!.State.Mode);
        Assert.True(gateway.Driver.GetOutputLevel(gateway.LineOf("siren-main")));
    }

    [Fact]
    public async Task Door_bounce_shorter_than_debounce_is_not_reported()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path);

        await gateway.PlayAsync(Shipped("door-bounce.scenario"), ExpectTimeout);

        Assert.Equal(1, gateway.Recorder.Events.Count(e => e is PointActivated { PointId: "door-lobby" }));
    }

    [Fact]
    public async Task Simulator_socket_drives_the_gateway_from_outside_the_process()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path);

        await using var client = await ConnectWhenListening(gateway.Config.Simulation.ControlSocket);
        Assert.Equal("ok press panic-guardroom", await client.SendAsync("press panic-guardroom", CancellationToken.None));
        Assert.StartsWith("error: unknown point 'nope'", await client.SendAsync("press nope", CancellationToken.None), StringComparison.Ordinal);
        Assert.StartsWith("error: unknown command", await client.SendAsync("dance", CancellationToken.None), StringComparison.Ordinal);
        await new ScenarioRunner(client, ExpectTimeout, TimeProvider.System)
            .RunAsync(Scenario.Parse("expect mode lockdown\nexpect output siren-main on", "socket"), TextWriter.Null, CancellationToken.None);
    }

    private static async Task<SimulatorClient> ConnectWhenListening(string socket)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await SimulatorClient.ConnectAsync(socket, CancellationToken.None);
            }
            catch (IOException) when (attempt < 100)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Collapses repeated levels: [F,F,T,T,F] → [F,T,F].</summary>
    internal static bool[] Collapse(IReadOnlyList<bool> levels) =>
        levels.Where((level, i) => i == 0 || levels[i - 1] != level).ToArray();
}
