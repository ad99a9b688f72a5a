using EdgeGuard.Cli;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Cli;

/// <summary>
/// The one rule a walk test keeps: a fire input seen active releases the egress locks, latched until the
/// walk test ends. Before, the walk test reacted to nothing, and a fire during one (up to 4 h) left every
/// escape door the gateway locks locked.
/// </summary>
public sealed partial class WalkTestVerbTests
{
    private const int HallFireLockLine = 12;

    // A normally locked escape door whose push-to-exit cuts the lock itself, and the fire panel's relay.
    private const string HallFire = $$"""
        {{HallSite}}
            { "id": "fire-hall", "kind": "fireAlarm", "line": 26, "activeLevel": "high", "pull": "up", "zone": "hall" },
            { "id": "key-hall", "kind": "keyswitch", "line": 5, "activeLevel": "low", "pull": "up", "zone": "hall" } ],
          "outputs": [ { "id": "lock-hall", "kind": "lock", "line": 12, "activeLevel": "high", "zone": "hall", "failMode": "failSafe", "egress": true,
                         "normallyLocked": true, "hardwiredExit": true } ],
          "lifeSafety": { "fireResetKeyswitches": [ "key-hall" ] } } }
        """;

    [Fact]
    public async Task A_fire_input_seen_active_releases_the_egress_locks_until_the_walk_test_ends()
    {
        var config = WriteConfig(HallFire);
        SimulatedGpioDriver? driver = null;
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, config, services =>
            driver = (SimulatedGpioDriver)services.First(d => d.ServiceType == typeof(SimulatedGpioDriver)).ImplementationInstance!);
        await using (var sim = await ConnectAsync(walk))
        {
            Assert.True(driver!.GetOutputLevel(HallFireLockLine), $"lock-hall not locked before the fire:\n{Screen}");

            await SimAsync(sim, "activate fire-hall", "FIRE fire-hall");
            Assert.False(driver.GetOutputLevel(HallFireLockLine), $"lock-hall still locked in a fire:\n{Screen}");
            Assert.Matches(@"output lock-hall +Lock, zone hall, line 12: UNLOCKED", Screen);

            // Latched: the fire panel reset does not lock the door again; the gateway's start decides.
            await SimAsync(sim, "deactivate fire-hall", "seen fire-hall", occurrence: 2);
            Assert.False(driver.GetOutputLevel(HallFireLockLine), $"lock-hall locked again when the fire input cleared:\n{Screen}");
            stop.Cancel();
        }

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
        Assert.Equal(1, Count(Screen, "FIRE fire-hall"));
    }

    // The fire panel already in alarm when the walk test starts: released once the inputs settled,
    // as the gateway's boot does.
    [Fact]
    public async Task A_fire_input_active_at_the_start_releases_the_egress_locks_at_once()
    {
        SimulatedGpioDriver? driver = null;
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, WriteConfig(HallFire), services =>
        {
            AtRestReadsActive(services, line: 26);
            driver = (SimulatedGpioDriver)services.First(d => d.ServiceType == typeof(SimulatedGpioDriver)).ImplementationInstance!;
        });
        await using (await ConnectAsync(walk))
        {
            await Eventually.TrueAsync(() => Screen.Contains("FIRE fire-hall", StringComparison.Ordinal), Patience, $"the fire released:\n{Screen}");
            Assert.False(driver!.GetOutputLevel(HallFireLockLine), $"lock-hall still locked in a fire:\n{Screen}");
            stop.Cancel();
        }

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
    }
}
