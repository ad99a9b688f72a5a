using EdgeGuard.Simulation;

namespace EdgeGuard.IntegrationTests;

/// <summary>
/// The README's quick start, typed in its order against the real executable: the lobby panic
/// button, the guard room keyswitch, then the shipped panic-and-clear scenario.
/// </summary>
public sealed class QuickStartTests
{
    [Fact]
    public async Task The_panic_and_clear_scenario_passes_after_the_quick_starts_presses_even_with_the_key_left_turned()
    {
        using var state = new TempDirectory();
        await using var broker = await MosquittoBroker.StartAsync();
        await using var gateway = await GatewayProcess.StartAsync(state.Path, broker.Port);
        await using var link = await SimulatorClient.ConnectAsync(gateway.ControlSocket, CancellationToken.None);
        var runner = new ScenarioRunner(link, TimeSpan.FromSeconds(5), TimeProvider.System);

        // The README's `sim` lines before the scenario; a guard who turns the key to clear and
        // leaves it turned (as the README once did) must not make the shipped scenario fail: a
        // turned key cannot be turned again, so its all-clear would never come.
        await runner.RunAsync(Scenario.Parse(
            "press panic-lobby\nexpect mode lockdown\nrelease panic-lobby\nwait 600ms\nexpect point panic-lobby inactive\n"
            + "press key-guardroom\nexpect mode normal\nexpect point key-guardroom active",
            "README quick start"), TextWriter.Null, CancellationToken.None);

        var scenario = Scenario.Parse(
            await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "scenarios", "panic-and-clear.scenario")), "panic-and-clear.scenario");
        await runner.RunAsync(scenario, TextWriter.Null, CancellationToken.None);
    }
}
