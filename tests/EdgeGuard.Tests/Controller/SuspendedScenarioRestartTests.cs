using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Simulation;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The running controller over the real SQLite safety-state store: a panic press during a real
/// shelter in place of another zone suspends the shelter, whose lock stays locked through a
/// restart, and the lockdown's key brings the shelter back rather than unlocking its zone.
/// </summary>
public sealed class SuspendedScenarioRestartTests : IAsyncDisposable
{
    private const int LockA = 10;
    private const int LockC = 11;
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(25);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A"), new("c", "C")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a"),
            new("key-shelter", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, Debounce, "c"),
            new("key-clear", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, Debounce, "a"),
        ],
        [
            new("lock-a", OutputKind.Lock, LockA, ActiveHigh: true, "a", LockFailMode.FailSafe),
            new("lock-c", OutputKind.Lock, LockC, ActiveHigh: true, "c", LockFailMode.FailSafe),
        ],
        new LockdownPolicy(["a"], TimeSpan.FromSeconds(30), ["key-clear"]))
    {
        ExtraScenarios = [new("shelter-c", SiteMode.ShelterInPlace, ["c"], 50, ["key-shelter"], [], ["key-clear"], TimeSpan.Zero)],
    };

    private readonly SqliteRestartRig _rig = new(Site, Debounce);

    private ControllerHarness Gateway => _rig.Harness;

    [Fact]
    public async Task A_lockdown_over_a_real_shelter_keeps_the_shelters_lock_through_a_restart_and_its_key_resumes_the_shelter()
    {
        await Gateway.BootAsync();
        await TurnAsync("key-shelter");
        await TurnAsync("panic");
        Assert.True(Gateway.Driver.GetOutputLevel(LockA) && Gateway.Driver.GetOutputLevel(LockC), "both zones locked (fail-safe: power on)");

        await _rig.RestartAsync();
        await Gateway.BootAsync();

        // From the first level driven after the restart: never a glitch open.
        var driven = Gateway.Driver.DrivenLevels(LockC);
        Assert.NotEmpty(driven);
        Assert.All(driven, high => Assert.True(high));
        Assert.True(Gateway.Driver.GetOutputLevel(LockC), "the suspended shelter's lock after the restart");
        Assert.True(Gateway.Driver.GetOutputLevel(LockA));
        var saved = _rig.Saved;
        Assert.Equal(SiteMode.Lockdown, saved.Mode);
        Assert.Equal("shelter-c", Assert.Single(saved.SuspendedScenarios).Info.Scenario);

        // The office's boot report and the technician's `sim status` both name the suspended shelter.
        var started = Assert.IsType<GatewayStarted>(Gateway.Events.Events[0]);
        Assert.Equal(SiteMode.Lockdown, started.RestoredMode);
        var reported = Assert.Single(started.Suspended);
        Assert.Equal(("shelter-c", SiteMode.ShelterInPlace), (reported.Info.Scenario, reported.Mode));
        var status = SimulatorStatus.From(Site, Gateway.Controller.Snapshot!);
        Assert.Equal(
            [new SuspendedStatus("shelter-c", "ShelterInPlace", reported.Info.Since)],
            status.Suspended);

        await TurnAsync("key-clear");

        Assert.False(Gateway.Driver.GetOutputLevel(LockA), "the lockdown's zone is free again");
        Assert.True(Gateway.Driver.GetOutputLevel(LockC), "the shelter runs again and keeps its zone locked");
        var resumed = Gateway.Events.Events.OfType<LockdownStarted>().Last();
        Assert.Equal(("shelter.started", LockdownStarted.ResumedCause, "lockdown"), (resumed.Type, resumed.Cause, resumed.Replaced));
        Assert.Equal(SiteMode.ShelterInPlace, _rig.Saved.Mode);
        Assert.Empty(_rig.Saved.SuspendedScenarios);
    }

    private Task TurnAsync(string point) => _rig.TurnAsync(point);

    public ValueTask DisposeAsync() => _rig.DisposeAsync();
}
