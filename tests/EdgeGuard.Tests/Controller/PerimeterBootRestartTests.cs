using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The running controller over the real SQLite safety-state store, restarted: a fence cut while
/// the gateway was off is a breach at the settle (and its lockdown), saved with the record of the
/// breach in the same row, so the next restart with the fence still cut raises nothing again; a
/// fence repaired while off is a breach again when cut.
/// </summary>
public sealed class PerimeterBootRestartTests : IAsyncDisposable
{
    private const int LockA = 10;
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(25);

    private static readonly SiteDefinition Site = new(
        "site-f", "gw-f",
        [new("a", "A")],
        [
            new("fence", PointKind.Perimeter, 2, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(200), "a"),
            new("key-clear", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, Debounce, "a"),
        ],
        [new("lock-a", OutputKind.Lock, LockA, ActiveHigh: true, "a", LockFailMode.FailSafe)],
        new LockdownPolicy(["a"], TimeSpan.FromSeconds(30), ["key-clear"]))
    {
        ThreatLevels = [new(1, "armed", ["a"], BreachStartsLockdown: true, HeldOpen: null, [])],
    };

    private readonly SqliteRestartRig _rig = new(Site, Debounce);

    private ControllerHarness Gateway => _rig.Harness;

    private SafetyState Saved => _rig.Saved;

    [Fact]
    public async Task A_fence_cut_while_off_is_one_breach_at_boot_and_none_at_the_next_restart()
    {
        await RestartAsync(fenceCut: true);

        Assert.Single(Gateway.Events.Events.OfType<PerimeterBreach>());
        var started = Assert.Single(Gateway.Events.Events.OfType<LockdownStarted>());
        Assert.Equal(("perimeter-breach", "fence"), (started.Cause, started.PointId));
        Assert.True(Gateway.Driver.GetOutputLevel(LockA), "the breach lockdown locks zone a");
        // The lockdown and the record of its breach, in one saved row.
        Assert.Equal((SiteMode.Lockdown, "fence"), (Saved.Mode, Assert.Single(Saved.BreachedPoints)));

        await TurnAsync("key-clear");
        Assert.Equal(SiteMode.Normal, Saved.Mode);
        await RestartAsync(fenceCut: true);

        Assert.DoesNotContain(Gateway.Events.Events, e => e is PerimeterBreach or LockdownStarted);
        Assert.Equal(SiteMode.Normal, Gateway.Controller.Current!.Mode);
        Assert.Equal("fence", Assert.Single(Saved.BreachedPoints));
    }

    [Fact]
    public async Task A_fence_repaired_while_off_is_a_breach_again_when_cut_while_off()
    {
        await RestartAsync(fenceCut: true);
        await TurnAsync("key-clear");

        await RestartAsync(fenceCut: false);
        Assert.Empty(Saved.BreachedPoints);
        await RestartAsync(fenceCut: true);

        Assert.Single(Gateway.Events.Events.OfType<PerimeterBreach>());
        Assert.Equal(SiteMode.Lockdown, Saved.Mode);
    }

    // The gateway stops (if it ran), the fence is set as the power cut left it, and it boots.
    private async Task RestartAsync(bool fenceCut)
    {
        if (Gateway.Controller.Current is not null)
        {
            await _rig.RestartAsync();
        }

        Gateway.Set("fence", fenceCut);
        await Gateway.BootAsync();
        await Gateway.SettleAsync();
    }

    private Task TurnAsync(string point) => _rig.TurnAsync(point);

    public ValueTask DisposeAsync() => _rig.DisposeAsync();
}
