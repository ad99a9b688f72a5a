using System.Collections.Immutable;
using System.Text.Json.Nodes;
using EdgeGuard.Cli;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Journal;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// The levels the walk test holds its outputs at: the boot plan of the saved safety state, less what the
/// gateway would end within seconds of its boot (an exit button's release, a delayed-egress countdown,
/// the scenario's siren time), since the walk test reacts to nothing and would hold them for its whole
/// length. Lockdown, a fire's release and a latched egress release stay, and every output not at its
/// normal state is named on the screen.
/// </summary>
public sealed partial class WalkTestVerbTests
{
    private const int HallLockLine = 12;
    private const int HallSounderLine = 16;

    // A normally locked egress door with an exit button and delayed egress; its local sounder is a siren.
    private const string HallDoor = $$"""
        {{HallSite}}
            { "id": "rex-hall", "kind": "requestToExit", "line": 6, "activeLevel": "low", "pull": "up", "zone": "hall" },
            { "id": "key-hall", "kind": "keyswitch", "line": 5, "activeLevel": "low", "pull": "up", "zone": "hall" } ],
          "outputs": [ { "id": "lock-hall", "kind": "lock", "line": 12, "activeLevel": "high", "zone": "hall", "failMode": "failSafe", "egress": true, "normallyLocked": true },
                       { "id": "sounder-hall", "kind": "siren", "line": 16, "activeLevel": "high", "zone": "hall" } ],
          "doors": [ { "id": "hall", "lock": "lock-hall", "contact": "door-hall", "requestToExit": [ "rex-hall" ], "releaseSeconds": 1,
                       "delayedEgressSeconds": 15, "localAlarm": "sounder-hall", "relockKeyswitches": [ "key-hall" ] } ] } }
        """;

    // A lockdown site with a siren: HallPoints, whose panic button starts the lockdown and whose
    // keyswitch clears it, with a siren the lockdown sounds for a second.
    private static string HallWithSiren
    {
        get
        {
            var node = JsonNode.Parse(HallPoints)!;
            node["EdgeGuard"]!["outputs"]!.AsArray().Add(JsonNode.Parse(
                """{ "id": "siren", "kind": "siren", "line": 16, "activeLevel": "high", "zone": "hall" }"""));
            node["EdgeGuard"]!["lockdown"]!["sirenSeconds"] = 1;
            return node.ToJsonString();
        }
    }

    [Fact]
    public async Task An_exit_button_release_saved_at_stop_does_not_unlock_the_door_for_the_walk_test()
    {
        // Stopped a moment after somebody pressed the exit button: the gateway relocks 1 s after its boot.
        var (driver, screen) = await WalkAtSavedStateAsync(HallDoor, SavedDoor(DoorRelease.RequestToExit));

        Assert.All(driver.DrivenLevels(HallLockLine), locked => Assert.True(locked, $"lock-hall driven unlocked:\n{screen}"));
        Assert.DoesNotContain("output lock-hall", screen);
    }

    [Fact]
    public async Task A_delayed_egress_countdown_saved_at_stop_neither_sounds_its_door_sounder_nor_opens_the_door()
    {
        var (driver, screen) = await WalkAtSavedStateAsync(HallDoor, SavedDoor(DoorRelease.DelayedEgressCounting));

        Assert.All(driver.DrivenLevels(HallSounderLine), on => Assert.False(on, $"sounder-hall driven on:\n{screen}"));
        Assert.All(driver.DrivenLevels(HallLockLine), locked => Assert.True(locked, $"lock-hall driven unlocked:\n{screen}"));
        Assert.DoesNotContain("output ", screen);
    }

    [Fact]
    public async Task A_latched_egress_release_keeps_the_door_open_and_its_sounder_on_and_the_screen_says_so()
    {
        // Irreversible until somebody relocks it with the key: the gateway would hold it too.
        var (driver, screen) = await WalkAtSavedStateAsync(HallDoor, SavedDoor(DoorRelease.DelayedEgressReleased));

        Assert.False(driver.GetOutputLevel(HallLockLine));
        Assert.True(driver.GetOutputLevel(HallSounderLine));
        Assert.Matches(@"output lock-hall +Lock, zone hall \(Entrance hall\), line 12: UNLOCKED \(normally locked\)", screen);
        Assert.Matches(@"output sounder-hall +Siren, zone hall \(Entrance hall\), line 16: ON \(normally off\)", screen);
    }

    [Fact]
    public async Task A_fire_release_saved_at_stop_keeps_egress_unlocked_and_the_screen_says_so()
    {
        var (driver, screen) = await WalkAtSavedStateAsync(HallDoor, new SafetyState(SiteMode.Normal, null, false, LifeSafety.FireEgressReleased));

        Assert.All(driver.DrivenLevels(HallLockLine), locked => Assert.False(locked, $"lock-hall driven locked in a fire:\n{screen}"));
        Assert.Matches(@"output lock-hall .*: UNLOCKED \(normally locked\)", screen);
    }

    [Fact]
    public async Task A_siren_sounding_when_the_gateway_stopped_is_silent_in_the_walk_test_and_the_lockdown_stays_locked()
    {
        var lockdown = new SafetyState(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-hall", DateTimeOffset.UtcNow), SirenSounding: true);
        var (driver, screen) = await WalkAtSavedStateAsync(HallWithSiren, lockdown);

        Assert.All(driver.DrivenLevels(HallSounderLine), on => Assert.False(on, $"siren driven on:\n{screen}"));
        Assert.All(driver.DrivenLevels(HallLockLine), locked => Assert.True(locked, $"lock-hall driven unlocked in lockdown:\n{screen}"));
        Assert.Matches(@"output lock-hall .*: LOCKED \(normally unlocked\)", screen);
        Assert.DoesNotContain("output siren", screen);
    }

    [Fact]
    public async Task A_latched_fire_under_a_sounding_lockdown_releases_egress_and_leaves_the_sounders_to_the_fire_panel()
    {
        var fireInLockdown = new SafetyState(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-hall", DateTimeOffset.UtcNow),
            SirenSounding: true, LifeSafety.FireEgressReleased);
        var (driver, screen) = await WalkAtSavedStateAsync(HallWithSiren, fireInLockdown);

        Assert.All(driver.DrivenLevels(HallSounderLine), on => Assert.False(on, $"siren driven on:\n{screen}"));
        Assert.All(driver.DrivenLevels(HallLockLine), locked => Assert.False(locked, $"egress lock-hall driven locked in a fire:\n{screen}"));
    }

    // The gateway last ran on its volatile journal (the card did not answer at that start) and a
    // lockdown began there: the walk test read the card's older Normal and unlocked the lockdown's
    // locks for its whole length. It holds what the gateway's next start would boot in.
    [Fact]
    public async Task A_lockdown_saved_on_the_volatile_journal_the_gateway_last_ran_on_stays_locked()
    {
        var lockdown = new SafetyState(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-hall", DateTimeOffset.UtcNow), SirenSounding: false);
        var (driver, screen) = await WalkAtSavedStateAsync(HallPoints, SafetyState.Initial, onVolatile: lockdown);

        Assert.All(driver.DrivenLevels(HallLockLine), locked => Assert.True(locked, $"lock-hall driven unlocked in lockdown:\n{screen}"));
        Assert.Contains("The gateway last ran on its volatile journal", screen, StringComparison.Ordinal);
        Assert.Matches(@"output lock-hall .*: LOCKED \(normally unlocked\)", screen);
    }

    private static SafetyState SavedDoor(DoorRelease release) => new(SiteMode.Normal, null, false,
        DoorReleases: ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("hall", release)]));

    /// <summary>
    /// Saves <paramref name="saved"/> as the gateway would have at its stop (and <paramref name="onVolatile"/>
    /// in the fallback directory's volatile journal, as after a run on it, newer), runs a walk test until it
    /// watches the inputs, stops it, and returns the simulated lines (every level driven is kept) and the screen.
    /// </summary>
    private async Task<(SimulatedGpioDriver Driver, string Screen)> WalkAtSavedStateAsync(string json, SafetyState saved, SafetyState? onVolatile = null)
    {
        var config = WriteConfig(json);
        using (var db = JournalDatabase.Open(Path.Combine(_dir, "state", JournalDatabase.FileName)))
        {
            new SqliteSafetyStateStore(db).Save(saved);
        }

        if (onVolatile is not null)
        {
            Directory.CreateDirectory(Fallback);
            using var volatileJournal = JournalDatabase.Open(Path.Combine(Fallback, JournalDatabase.FileName));
            volatileJournal.RaiseFloors(100, 1, JournalGapCause.UncleanShutdown); // it ran after the card's journal
            new SqliteSafetyStateStore(volatileJournal).Save(onVolatile);
        }

        SimulatedGpioDriver? driver = null;
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, config, services =>
            driver = (SimulatedGpioDriver)services.First(d => d.ServiceType == typeof(SimulatedGpioDriver)).ImplementationInstance!);
        await using (await ConnectAsync(walk))
        {
            stop.Cancel();
        }

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        return (driver!, Screen);
    }
}
