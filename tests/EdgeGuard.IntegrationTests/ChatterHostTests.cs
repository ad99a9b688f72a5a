using EdgeGuard.Core.Lockdown;
using EdgeGuard.Simulation;

namespace EdgeGuard.IntegrationTests;

/// <summary>Input supervision through the whole host: a chattering fence sensor on simulated hardware.</summary>
public sealed class ChatterHostTests
{
    // Shorter than the shipped 30 s so the test does not idle; the expect timeout covers it.
    private static readonly string[] QuickSettle = ["EdgeGuard:supervision:settleSeconds=2"];
    private static readonly TimeSpan ExpectTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_chattering_fence_raises_one_fault_is_suppressed_and_comes_back_after_settling()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path, overrides: QuickSettle);
        var scenario = Scenario.Parse(
            File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "scenarios", "chattering-fence.scenario")), "chattering-fence.scenario");

        await gateway.PlayAsync(scenario, ExpectTimeout);

        var fence = gateway.Recorder.Events.Where(e => e.Point == "fence-north").ToList();
        var chatter = Assert.IsType<ChatterDetected>(Assert.Single(fence, e => e is ChatterDetected));
        Assert.True(chatter.Suppressed);
        Assert.Equal(8, chatter.Transitions);
        Assert.Equal(TimeSpan.FromSeconds(10), chatter.Window);
        var restored = Assert.IsType<ChatterRestored>(Assert.Single(fence, e => e is ChatterRestored));
        Assert.False(restored.Active);
        Assert.True(restored.Transitions > 8, $"the changes while suppressed count too ({restored.Transitions})");

        // No alarm per gust: the 4 activations before the fault, nothing while suppressed, and the
        // settled state (restored) applied once afterwards.
        var from = fence.IndexOf(chatter);
        var to = fence.IndexOf(restored);
        Assert.Equal(4, fence.Take(from).Count(e => e is PointActivated));
        Assert.DoesNotContain(fence.Skip(from + 1).Take(to - from - 1), e => e is PointActivated or PointRestored);
        Assert.IsType<PointRestored>(Assert.Single(fence.Skip(to + 1)));
        Assert.DoesNotContain(gateway.Recorder.Events, e => e is LockdownStarted);
        Assert.Empty(gateway.Controller.Snapshot!.SuppressedPoints);
        Assert.False(gateway.Controller.Snapshot!.State.IsActive("fence-north"));
    }

    [Fact]
    public async Task A_suppressed_point_shows_in_the_snapshot_while_the_rest_of_the_site_still_works()
    {
        using var state = new TempDirectory();
        await using var gateway = await TestGateway.StartAsync(state.Path, overrides: ["EdgeGuard:supervision:settleSeconds=600"]);
        // Five flaps (10 changes, the limit is 8) held well past the 200 ms debounce, so a loaded
        // machine's late timer cannot merge two of them and leave the count short.
        var flaps = string.Concat(Enumerable.Range(0, 5).Select(_ => "activate fence-north\nwait 400ms\ndeactivate fence-north\nwait 400ms\n"));

        await gateway.PlayAsync(Scenario.Parse(flaps + "press panic-lobby\nexpect mode lockdown\nexpect output lock-lobby locked", "inline"), ExpectTimeout);

        await Eventually.TrueAsync(() => gateway.Controller.Snapshot!.SuppressedPoints.Contains("fence-north"), ExpectTimeout, "fence-north suppressed");
        Assert.Equal(["fence-north"], gateway.Controller.Snapshot!.SuppressedPoints);
        Assert.Contains(gateway.Recorder.Events, e => e is ChatterDetected { PointId: "fence-north", Suppressed: true });
    }
}
