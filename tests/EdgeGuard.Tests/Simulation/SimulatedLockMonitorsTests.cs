using System.Device.Gpio;
using EdgeGuard.Configuration;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Simulation;
using EdgeGuard.Tests.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Simulation;

/// <summary>
/// A simulated lock monitor follows its lock and its door as a bond sensor would: active while the lock
/// is driven locked and the door is closed. Before, every monitor rested inactive under <c>--simulate</c>,
/// and a normally locked door raised a false <c>door.lock-fault</c> 3 s after boot. It follows changes
/// only, so <c>edgeguard sim set</c> on a monitor still simulates a fault until the lock or door next changes.
/// </summary>
public sealed class SimulatedLockMonitorsTests
{
    private const string Expander = "mcp23017@0x20";

    // The baseline's lobby door, with a bond sensor on GPIO8 (active high): fail-safe maglock on GPIO12, active high.
    private static GatewayConfig Config(Action<Dictionary<string, string?>>? more = null)
    {
        var result = TestConfigs.Read(k =>
        {
            LockMonitorConfigTests.AddBondSensor(k);
            k.Set("doors:0:lockMonitor", "bond-lobby");
            more?.Invoke(k);
        }, simulate: true);
        Assert.True(result.IsValid, result.ToReport());
        return result.Config!;
    }

    [Fact]
    public void A_monitor_reads_active_exactly_while_its_lock_is_driven_locked_and_its_door_is_closed()
    {
        using var rig = new Rig(Config());
        rig.DriveLock(high: true); // a fail-safe, active-high maglock: energised = locked
        rig.Monitors.Follow();
        Assert.True(rig.MonitorActive, "a locked maglock on a closed door holds it");

        rig.SetDoor(open: true);
        rig.Monitors.Follow();
        Assert.False(rig.MonitorActive, "an open door breaks the bond");

        rig.SetDoor(open: false);
        rig.Monitors.Follow();
        Assert.True(rig.MonitorActive, "closed again: it bonds");

        rig.DriveLock(high: false);
        rig.Monitors.Follow();
        Assert.False(rig.MonitorActive, "a released maglock holds nothing");
    }

    [Fact]
    public void A_fail_secure_lock_holds_at_its_unpowered_level()
    {
        // lock-chancery: fail-secure, active high, so locked is the line low (coil not energised).
        var config = Config(k => k.Set("doors:0:lock", "lock-chancery"));
        Assert.Equal(LockFailMode.FailSecure, config.Site.Output("lock-chancery").FailMode);
        using var rig = new Rig(config);

        rig.DriveLock(high: false);
        rig.Monitors.Follow();
        Assert.True(rig.MonitorActive, "an unpowered fail-secure strike is locked");

        rig.DriveLock(high: true);
        rig.Monitors.Follow();
        Assert.False(rig.MonitorActive, "a powered fail-secure strike is released");
    }

    [Fact]
    public void A_monitor_set_by_hand_stays_so_until_the_lock_or_the_door_next_changes()
    {
        using var rig = new Rig(Config());
        rig.DriveLock(high: true);
        rig.Monitors.Follow();

        rig.Board.Set(rig.Monitor, active: false); // `edgeguard sim set bond-lobby inactive`: the armature misaligned
        rig.Monitors.Follow();
        rig.Monitors.Follow();
        Assert.False(rig.MonitorActive, "a simulated fault is not undone while nothing changes");

        rig.SetDoor(open: true);
        rig.Monitors.Follow();
        rig.SetDoor(open: false);
        rig.Monitors.Follow();
        Assert.True(rig.MonitorActive, "the door closing again bonds it");

        rig.Board.Set(rig.Monitor, active: false);
        rig.DriveLock(high: false);
        rig.Monitors.Follow();
        rig.DriveLock(high: true);
        rig.Monitors.Follow();
        Assert.True(rig.MonitorActive, "the lock driven locked again bonds it");
    }

    [Fact]
    public void Started_it_sets_the_monitor_at_once_and_follows_on_its_own_clock()
    {
        using var rig = new Rig(Config());
        rig.DriveLock(high: true);

        using var started = rig.Monitors.Start();
        Assert.True(rig.MonitorActive, "set at start, before any tick");

        rig.SetDoor(open: true);
        rig.Time.Advance(SimulatedLockMonitors.PollInterval);
        Assert.False(rig.MonitorActive);
    }

    [Fact]
    public void A_lock_and_a_monitor_on_expander_pins_are_followed_too()
    {
        using var rig = new Rig(Config(k =>
        {
            k.Set("expanders:0:id", Expander);
            k.Set("expanders:0:bus", "1");
            k.Set("expanders:0:interruptLine", "4");
            k.Set("outputs:0:line", $"{Expander}:B0");
            k.Set("points:11:line", $"{Expander}:A1");
            k.Set("points:11:activeLevel", "low"); // the chip has pull-ups only: a cut reads high, not engaged
            k.Set("points:11:pull", "up");
        }));
        var chip = rig.Buses.Expander(Expander);
        chip.Write([0x01, 0xFE]); // IODIRB: B0 an output
        chip.Write([0x15, 0x01]); // OLATB: B0 high, the maglock energised
        rig.Monitors.Follow();
        Assert.False(chip.PinLevel(1), "the monitor's pin reads its active (low) level");

        chip.Write([0x15, 0x00]);
        rig.Monitors.Follow();
        Assert.True(chip.PinLevel(1), "released: the monitor's pin back at its inactive (high) level");
    }

    /// <summary>A simulated chip and board for <paramref name="config"/>, its inputs at rest, as simulate mode sets it up.</summary>
    private sealed class Rig : IDisposable
    {
        private readonly GatewayConfig _config;
        private readonly GpioController _gpio;

        public Rig(GatewayConfig config)
        {
            _config = config;
            var driver = new SimulatedGpioDriver().WithQuietInputs(config.Site);
            Buses = new SimulatedBusDevices(driver, config.Board);
            Board = new SimulatedBoard(config.Site, config.Board, driver, Buses).Quiet();
            _gpio = new GpioController(driver); // owns the driver
            Monitors = new SimulatedLockMonitors(config.Site, Board, Time);
        }

        public FakeTimeProvider Time { get; } = new();

        public SimulatedBusDevices Buses { get; }

        public SimulatedBoard Board { get; }

        public SimulatedLockMonitors Monitors { get; }

        public PointDefinition Monitor => _config.Site.Point("bond-lobby");

        private OutputDefinition Lock => _config.Site.Output(_config.Site.DoorList[0].LockId);

        /// <summary>Read as the gateway reads it: the line's level through the GPIO controller.</summary>
        public bool MonitorActive
        {
            get
            {
                if (!_gpio.IsPinOpen(Monitor.Line))
                {
                    _gpio.OpenPin(Monitor.Line, PinMode.InputPullDown);
                }

                return Monitor.IsActive(_gpio.Read(Monitor.Line) == PinValue.High);
            }
        }

        public void DriveLock(bool high)
        {
            if (_gpio.IsPinOpen(Lock.Line))
            {
                _gpio.Write(Lock.Line, high);
            }
            else
            {
                _gpio.OpenPin(Lock.Line, PinMode.Output, high);
            }
        }

        public void SetDoor(bool open) => Board.Set(_config.Site.Point("door-lobby"), open);

        public void Dispose()
        {
            Monitors.Dispose();
            _gpio.Dispose();
        }
    }
}
