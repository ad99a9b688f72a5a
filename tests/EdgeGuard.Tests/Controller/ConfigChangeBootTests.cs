using System.Collections.Immutable;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// What a boot does not keep of the saved state because a technician changed the config while the
/// gateway was stopped (a door, a point, a threat level removed) is told to the office in its
/// <c>gateway.started</c>, never dropped silently: its console still shows a latched door, a
/// bypass or level 4.
/// </summary>
public sealed class ConfigChangeBootTests : IAsyncDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(25);

    // After maintenance: door "door-old", point "fence-old" and threat level 4 are gone.
    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a"),
            new("key-clear", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, Debounce, "a"),
        ],
        [new("lock-a", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe)],
        new LockdownPolicy(["a"], TimeSpan.FromSeconds(30), ["key-clear"]));

    private readonly MemorySafetyStore _store = new();
    private readonly ControllerHarness _h;

    public ConfigChangeBootTests() => _h = new ControllerHarness(Site, _ => _store);

    private static ImmutableSortedDictionary<string, T> One<T>(string key, T value) =>
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create(key, value)]);

    [Fact]
    public async Task A_boot_names_in_a_warning_gateway_started_what_of_the_saved_state_the_new_config_dropped()
    {
        _store.Save(SafetyState.Initial with
        {
            ThreatLevel = 4,
            DoorReleases = One("door-old", DoorRelease.DelayedEgressReleased),
            DoorAlarms = One("door-old", DoorAlarm.Forced),
            Bypasses = One("fence-old", new PointBypass(new DateTimeOffset(2026, 11, 23, 20, 0, 0, TimeSpan.Zero), "op-1")),
        });

        await _h.BootAsync();
        await _h.SettleAsync();

        var started = Assert.Single(_h.Events.Events.OfType<GatewayStarted>());
        Assert.Equal(Severity.Warning, started.Severity);
        Assert.Equal(4, started.NotRestored.Count);
        Assert.Contains(started.NotRestored, s => s.StartsWith("threat level 4 ", StringComparison.Ordinal));
        Assert.Contains(started.NotRestored, s => s.StartsWith("bypass of point fence-old ", StringComparison.Ordinal));
        Assert.Contains(started.NotRestored, s => s.StartsWith("door alarm Forced at door door-old ", StringComparison.Ordinal));
        Assert.Contains(started.NotRestored, s => s.StartsWith("door release DelayedEgressReleased at door door-old ", StringComparison.Ordinal));
    }

    // The boot ran on the state without level 4 and its bypass but left the old row on disk: a config
    // that brought level 4 back later brought it back in force, though the site had run at level 1.
    [Fact]
    public async Task A_boot_saves_the_state_without_what_the_new_config_dropped()
    {
        _store.Save(SafetyState.Initial with
        {
            ThreatLevel = 4,
            Bypasses = One("fence-old", new PointBypass(new DateTimeOffset(2026, 11, 23, 20, 0, 0, TimeSpan.Zero), "op-1")),
        });

        await _h.BootAsync();
        await _h.SettleAsync();
        await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(2), saved: true);

        var saved = _store.Load();
        Assert.NotEqual(4, saved.ThreatLevel);
        Assert.Empty(saved.BypassedPoints);
    }

    // Removed, or its id kept and its mode changed: the latter restored the persisted mode with the
    // new scenario's zones, rank and releasers, a combination nobody configured (ChangedScenarioModeTests).
    [Theory]
    [InlineData(SiteMode.Lockdown, "lockdown-annex", "scenario lockdown-annex (no longer configured: kept in force")]
    [InlineData(SiteMode.ShelterInPlace, "lockdown", "scenario lockdown (configured now as Lockdown, saved as ShelterInPlace: kept in force")]
    public async Task A_boot_keeps_a_running_scenario_the_config_no_longer_has_by_its_stand_in_and_names_it(SiteMode mode, string scenario, string named)
    {
        _store.Save(SafetyState.Initial with
        {
            Mode = mode,
            Lockdown = new LockdownInfo("keyswitch", "key-old", new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero), scenario),
        });

        await _h.BootAsync();
        await _h.SettleAsync();

        var started = Assert.Single(_h.Events.Events.OfType<GatewayStarted>());
        Assert.Equal((mode, Severity.Warning), (started.RestoredMode, started.Severity));
        Assert.StartsWith(named, Assert.Single(started.NotRestored), StringComparison.Ordinal);
        Assert.True(_h.Driver.GetOutputLevel(10), "the stand-in keeps the site locked");
    }

    [Fact]
    public async Task A_boot_names_the_held_record_of_a_point_no_longer_a_panic_button()
    {
        _store.Save(SafetyState.Initial with
        {
            Mode = SiteMode.Lockdown,
            Lockdown = new LockdownInfo("panic-button", "panic-old", new DateTimeOffset(2026, 11, 23, 7, 0, 0, TimeSpan.Zero)),
            HeldPanics = ImmutableSortedSet.Create(StringComparer.Ordinal, "panic", "panic-old"),
        });

        await _h.BootAsync();
        await _h.SettleAsync();

        var started = Assert.Single(_h.Events.Events.OfType<GatewayStarted>());
        Assert.Equal(Severity.Warning, started.Severity);
        Assert.Equal("held record of point panic-old (no longer a panic button: dropped)", Assert.Single(started.NotRestored));
    }

    [Fact]
    public async Task A_boot_names_the_held_record_of_a_holdup_made_an_audible_panic_button_and_locks_down()
    {
        // "panic" was a silent hold-up when it was pressed (normal mode, held); it is audible now.
        _store.Save(SafetyState.Initial with { HeldPanics = ImmutableSortedSet.Create(StringComparer.Ordinal, "panic") });
        _h.Set("panic", true);

        await _h.BootAsync();
        await _h.SettleAsync();

        var started = Assert.Single(_h.Events.Events.OfType<GatewayStarted>());
        Assert.Equal(Severity.Warning, started.Severity);
        Assert.StartsWith("held record of point panic (its press as now configured does not fit the saved state", Assert.Single(started.NotRestored), StringComparison.Ordinal);
        Assert.Equal("panic", Assert.Single(_h.Events.Events.OfType<LockdownStarted>()).PointId);
        Assert.True(_h.Driver.GetOutputLevel(10), "the held panic button did not lock the door");
    }

    [Fact]
    public async Task A_boot_that_kept_everything_it_saved_says_nothing_was_dropped()
    {
        await _h.BootAsync();
        await _h.SettleAsync();

        var started = Assert.Single(_h.Events.Events.OfType<GatewayStarted>());
        Assert.Equal((Severity.Info, 0), (started.Severity, started.NotRestored.Count));
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
