using EdgeGuard.Cli;
using EdgeGuard.Controller;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.DependencyInjection;

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

            // The FIRE line comes first, each output's after it: waited for, not raced.
            await SimAsync(sim, "activate fire-hall", "output lock-hall  Lock, zone hall, line 12: UNLOCKED");
            Assert.False(driver.GetOutputLevel(HallFireLockLine), $"lock-hall still locked in a fire:\n{Screen}");

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

    // A lock whose write fails (a native write that threw) was reported UNLOCKED and never tried
    // again: the screen now says it is not, and it is written again every second until it is.
    [Fact]
    public async Task An_egress_lock_whose_release_fails_is_shown_not_unlocked_and_written_again_until_it_is()
    {
        SimulatedGpioDriver? driver = null;
        using var stop = new CancellationTokenSource();
        var walk = StartHallFireAsync(stop.Token, real => new FailingWrites(real, "lock-hall", failures: 2), found => driver = found);
        await using (var sim = await ConnectAsync(walk))
        {
            await SimAsync(sim, "activate fire-hall", "output lock-hall  Lock, zone hall, line 12: NOT UNLOCKED (bus error; written again every second): release this door by hand");

            await Eventually.TrueAsync(() => !driver!.GetOutputLevel(HallFireLockLine), Patience, $"lock-hall released by a retry:\n{Screen}");
            stop.Cancel();
        }

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
    }

    // An expander found reset reads its outputs back unpowered: for a fail-safe egress lock, the
    // fire's level. The release was skipped as shown, the level last asked of the chip stayed
    // "locked", and its reconfiguration locked the escape door again for the rest of the walk test.
    [Fact]
    public async Task An_egress_lock_whose_line_already_reads_released_is_written_released_all_the_same()
    {
        SimulatedGpioDriver? driver = null;
        using var stop = new CancellationTokenSource();
        var walk = StartHallFireAsync(stop.Token, real => new ReadingBackUnpowered(real, "lock-hall"), found => driver = found);
        await using (var sim = await ConnectAsync(walk))
        {
            Assert.True(driver!.GetOutputLevel(HallFireLockLine), $"lock-hall not locked before the fire:\n{Screen}");

            await SimAsync(sim, "activate fire-hall", "output lock-hall  Lock, zone hall, line 12: UNLOCKED");

            Assert.False(driver.GetOutputLevel(HallFireLockLine), $"lock-hall still driven locked in a fire:\n{Screen}");
            stop.Cancel();
        }

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
    }

    // The walk test of HallFire with its output lines wrapped in wrap; found is given the simulated driver.
    private Task<int> StartHallFireAsync(CancellationToken stop, Func<IOutputLines, IOutputLines> wrap, Action<SimulatedGpioDriver> found) =>
        StartAsync(stop, WriteConfig(HallFire), services =>
        {
            var opens = services.Last(d => d.ServiceType == typeof(OutputLinesFactory));
            services.AddSingleton<OutputLinesFactory>(sp =>
            {
                var real = (OutputLinesFactory)opens.ImplementationFactory!(sp);
                return (levels, last) => wrap(real(levels, last));
            });
            found((SimulatedGpioDriver)services.First(d => d.ServiceType == typeof(SimulatedGpioDriver)).ImplementationInstance!);
        });

    /// <summary>Output lines that read one output back low (de-energised), as a reset expander's outputs read.</summary>
    private sealed class ReadingBackUnpowered(IOutputLines inner, string outputId) : IOutputLines
    {
        public void Write(string id, bool high) => inner.Write(id, high);

        public bool ReadBack(string id) => id != outputId && inner.ReadBack(id);

        public void Dispose() => inner.Dispose();
    }

    /// <summary>Output lines whose first writes of one output throw, as a native write on a failing line does.</summary>
    private sealed class FailingWrites(IOutputLines inner, string outputId, int failures) : IOutputLines
    {
        private int _failures = failures;

        public void Write(string id, bool high)
        {
            if (id == outputId && Interlocked.Decrement(ref _failures) >= 0)
            {
                throw new IOException("bus error");
            }

            inner.Write(id, high);
        }

        public bool ReadBack(string id) => inner.ReadBack(id);

        public void Dispose() => inner.Dispose();
    }

    // An expander's lock is written by its writer, off the walk test's thread: the screen waits for
    // the write to be applied, then says what the line shows.
    [Fact]
    public async Task An_egress_lock_on_an_expander_is_released_and_shown_so_once_its_writer_applied_it()
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "samples", "annex-io-board.json")))!;
        var eg = node["EdgeGuard"]!;
        eg["outputs"]![0]!["normallyLocked"] = true; // lock-annex, on the expander's B0
        eg["points"]!.AsArray().Add(System.Text.Json.Nodes.JsonNode.Parse(
            """{ "id": "fire-annex", "kind": "fireAlarm", "line": 26, "activeLevel": "high", "pull": "up", "zone": "annex" }"""));
        eg["lifeSafety"] = System.Text.Json.Nodes.JsonNode.Parse("""{ "fireResetKeyswitches": [ "key-guardroom" ] }""");
        SimulatedMcp23017? chip = null;
        using var stop = new CancellationTokenSource();
        var walk = StartAsync(stop.Token, WriteConfig(node.ToJsonString()), services => services.AddSingleton<IBusDevices>(sp =>
        {
            var buses = sp.GetRequiredService<SimulatedBusDevices>();
            chip = buses.Expander("mcp23017@0x20");
            return buses;
        }));
        await using (var sim = await ConnectAsync(walk))
        {
            const int B0 = 8;
            Assert.True(chip!.PinLevel(B0), $"lock-annex not locked before the fire:\n{Screen}");

            await SimAsync(sim, "activate fire-annex", "output lock-annex  Lock, zone annex, mcp23017@0x20:B0: UNLOCKED");

            Assert.False(chip.PinLevel(B0), $"lock-annex still locked in a fire:\n{Screen}");
            stop.Cancel();
        }

        Assert.Equal(ExitCodes.WalkTestIncomplete, await walk.WaitAsync(Patience));
    }
}
