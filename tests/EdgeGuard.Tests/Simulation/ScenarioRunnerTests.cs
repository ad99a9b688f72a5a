using System.Text.Json;
using EdgeGuard.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Simulation;

/// <summary>The runner's expectations against a gateway that stays in one mode, on a fake clock.</summary>
public sealed class ScenarioRunnerTests
{
    private readonly FakeTimeProvider _clock = new();

    [Fact]
    public async Task A_failed_mode_expectation_names_the_mode_once_spaced()
    {
        var runner = new ScenarioRunner(new NormalSite(), TimeSpan.FromSeconds(3), _clock);

        var failure = await Assert.ThrowsAsync<ScenarioFailedException>(() => PumpAsync(runner, "expect mode lockdown"));

        Assert.Equal("test.scenario:1: expected mode lockdown within 3s, saw mode Normal", failure.Message);
    }

    [Fact]
    public async Task A_scenarios_own_expect_timeout_applies_from_its_line_when_longer_than_the_command_lines()
    {
        var runner = new ScenarioRunner(new NormalSite(), TimeSpan.FromSeconds(3), _clock);
        var start = _clock.GetTimestamp();

        var failure = await Assert.ThrowsAsync<ScenarioFailedException>(() => PumpAsync(runner, "expect-timeout 10s\nexpect mode lockdown"));

        Assert.Equal("test.scenario:2: expected mode lockdown within 10s, saw mode Normal", failure.Message);
        Assert.True(_clock.GetElapsedTime(start) >= TimeSpan.FromSeconds(10), $"gave up after {_clock.GetElapsedTime(start)}");
    }

    [Fact]
    public async Task The_command_lines_timeout_wins_when_longer_than_the_scenarios()
    {
        var runner = new ScenarioRunner(new NormalSite(), TimeSpan.FromSeconds(20), _clock);

        var failure = await Assert.ThrowsAsync<ScenarioFailedException>(() => PumpAsync(runner, "expect-timeout 10s\nexpect mode lockdown"));

        Assert.Equal("test.scenario:2: expected mode lockdown within 20s, saw mode Normal", failure.Message);
    }

    [Fact]
    public async Task A_failed_expectation_names_every_point_withheld_for_chatter_the_awaited_one_first()
    {
        // A withheld point keeps its last state whatever the line does, so the expectation cannot
        // hold until it settles: the failure says why, not only what was seen.
        var runner = new ScenarioRunner(new NormalSite(["door-main", "key-guardroom"]), TimeSpan.FromSeconds(3), _clock);

        var failure = await Assert.ThrowsAsync<ScenarioFailedException>(() => PumpAsync(runner, "expect point key-guardroom inactive"));

        Assert.Equal(
            "test.scenario:1: expected point key-guardroom inactive within 3s, saw point key-guardroom active; "
            + "key-guardroom, door-main are withheld for chatter until they settle (fault.chatter)",
            failure.Message);
    }

    [Fact]
    public async Task A_failed_mode_expectation_names_a_key_withheld_for_chatter()
    {
        var runner = new ScenarioRunner(new NormalSite(["key-guardroom"]), TimeSpan.FromSeconds(3), _clock);

        var failure = await Assert.ThrowsAsync<ScenarioFailedException>(() => PumpAsync(runner, "expect mode lockdown"));

        Assert.Equal(
            "test.scenario:1: expected mode lockdown within 3s, saw mode Normal; key-guardroom is withheld for chatter until it settles (fault.chatter)",
            failure.Message);
    }

    /// <summary>Plays <paramref name="text"/>, moving the fake clock on until the run ends (polls wait on it).</summary>
    private async Task PumpAsync(ScenarioRunner runner, string text)
    {
        var run = runner.RunAsync(Scenario.Parse(text, "test.scenario"), TextWriter.Null, CancellationToken.None);
        for (var i = 0; i < 100_000 && !run.IsCompleted; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(20));
            await Task.Yield();
        }

        await run;
    }

    /// <summary>
    /// A simulated gateway that stays in mode Normal; <paramref name="suppressed"/> are withheld for
    /// chatter and read active (their last state).
    /// </summary>
    private sealed class NormalSite(IReadOnlyList<string>? suppressed = null) : ISimulatorLink
    {
        public Task<string> SendAsync(string line, CancellationToken cancellationToken) => Task.FromResult(
            JsonSerializer.Serialize(
                new SimulatorStatus(
                    "Normal", null, null, null, false,
                    (suppressed ?? []).ToDictionary(p => p, _ => true, StringComparer.Ordinal),
                    new Dictionary<string, OutputStatus>()) { SuppressedPoints = suppressed ?? [] },
                SimulatorJson.Default.SimulatorStatus));
    }
}
