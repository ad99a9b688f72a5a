using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A fire input on an expander pin before the outputs are opened. After a service restart the chip
/// still holds the gateway's configuration and its pin is read: at rest, egress is opened at the
/// plan and driven once; in alarm, released. A chip just powered on cannot be read (its pins float
/// without their pull-ups until it is configured with the outputs), so the boot takes the safe
/// side, as for a dead chip: the egress locks are opened released, and the settled read decides. At
/// rest, they lock again after the settle time and no fire is latched; in alarm, they were never
/// locked.
/// </summary>
public sealed class FireAtBootExpanderTests : IAsyncDisposable
{
    private const int ExitLine = 10, InterruptLine = 20;

    private static readonly SiteDefinition Site = new(
        "site-x", "gw-x",
        [new("a", "A")],
        [
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            // A fire panel's relay contact to ground on the expander: released (high) at rest.
            new("fire-annex", PointKind.FireAlarm, -1, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a") { LineAddress = "mcp23017@0x20:A0" },
        ],
        [new("lock-exit", OutputKind.Lock, ExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        new LifeSafetyPolicy(["key"]));

    private readonly SimulatedMcp23017 _chip = new(1, 0x20);
    private readonly ControllerHarness _h;
    private ExpanderBank? _bank;
    private IReadOnlyDictionary<string, bool>? _opened;

    public FireAtBootExpanderTests()
    {
        _h = new ControllerHarness(Site, _ => new MemorySafetyStore(), openOutputs: Open, openInputs: OpenInputs);
        _h.Driver.SetInputLevel(InterruptLine, true);
        _chip.InterruptLevelChanged += level => _h.Driver.SetInputLevel(InterruptLine, level);
    }

    [Fact]
    public async Task After_a_service_restart_an_expander_fire_input_at_rest_opens_egress_at_the_plan()
    {
        ConfiguredByLastRun();
        _chip.SetPin(0, true); // at rest

        await _h.BootAsync();
        await _h.SettleAsync();

        Assert.True(_opened!["lock-exit"], "a fire input read at rest must not release egress");
        Assert.Equal([true], _h.Driver.DrivenLevels(ExitLine));
        Assert.Equal(LifeSafety.Normal, _h.Controller.Current!.LifeSafety);
        Assert.DoesNotContain(_h.Events.Events, e => e is FireAlarmRaised);
    }

    [Fact]
    public async Task After_a_service_restart_an_expander_fire_input_in_alarm_never_lets_egress_lock()
    {
        ConfiguredByLastRun();
        _chip.SetPin(0, false); // the fire panel's contact closed

        await _h.BootAsync();
        await _h.SettleAsync();

        Assert.False(_opened!["lock-exit"], "a fire input read active must open egress released");
        Assert.Equal([false], _h.Driver.DrivenLevels(ExitLine));
        Assert.Equal(LifeSafety.FireEgressReleased, _h.Controller.Current!.LifeSafety);
        Assert.Equal("fire-annex", Assert.Single(_h.Events.Events.OfType<FireAlarmRaised>()).PointId);
    }

    [Fact]
    public async Task On_a_chip_just_powered_on_a_fire_input_at_rest_releases_egress_for_the_settle_time_only()
    {
        _chip.SetPin(0, true); // at rest

        await _h.BootAsync();
        await _h.SettleAsync();

        Assert.False(_opened!["lock-exit"], "an unread fire input must open egress released");
        Assert.Equal([false, true], _h.Driver.DrivenLevels(ExitLine));
        Assert.Equal(LifeSafety.Normal, _h.Controller.Current!.LifeSafety);
        Assert.DoesNotContain(_h.Events.Events, e => e is FireAlarmRaised);
    }

    [Fact]
    public async Task On_a_chip_just_powered_on_a_fire_input_in_alarm_never_lets_egress_lock()
    {
        _chip.SetPin(0, false); // the fire panel's contact closed

        await _h.BootAsync();
        await _h.SettleAsync();

        Assert.Equal([false], _h.Driver.DrivenLevels(ExitLine));
        Assert.Equal(LifeSafety.FireEgressReleased, _h.Controller.Current!.LifeSafety);
        Assert.Equal("fire-annex", Assert.Single(_h.Events.Events.OfType<FireAlarmRaised>()).PointId);
    }

    public async ValueTask DisposeAsync()
    {
        await _h.DisposeAsync();
        _chip.Dispose();
    }

    /// <summary>
    /// The gateway's last run: its bank configured the chip, then the service stopped. The chip
    /// kept its power, so it keeps its registers (pull-ups, directions) for the next boot.
    /// </summary>
    private void ConfiguredByLastRun()
    {
        var driver = new SimulatedGpioDriver();
        driver.SetInputLevel(InterruptLine, true);
        using var gpio = new GpioController(driver);
        using var last = new ExpanderBank(
            gpio, [new ExpanderOptions("mcp23017@0x20", 1, 0x20, InterruptLine)], Site.Points, Site.Outputs,
            new Buses(_chip), _h.Time, _ => { });
        _ = last.OpenOutputs(new Dictionary<string, bool>(StringComparer.Ordinal));
    }

    private ExpanderBank Bank(GpioController gpio, TimeProvider time) => _bank ??= new ExpanderBank(
        gpio, [new ExpanderOptions("mcp23017@0x20", 1, 0x20, InterruptLine)], Site.Points, Site.Outputs,
        new Buses(_chip), time, events => _h.Controller.ReportFromOutside(events));

    private IInputLines OpenInputs(GpioController gpio, TimeProvider time)
    {
        var native = Site.Points.Where(p => p.LineAddress is null).ToList();
        var bank = Bank(gpio, time);
        return new RoutedInputLines([(new GpioInputLines(gpio, native, time), native.Select(p => p.Id)), (bank, bank.PointIds)]);
    }

    private IOutputLines Open(GpioController gpio, IReadOnlyDictionary<string, bool> initial)
    {
        _opened = initial;
        // Every output is native: the bank's outputs are opened only to configure the chip (as at
        // boot).
        _ = Bank(gpio, _h.Time).OpenOutputs(new Dictionary<string, bool>(StringComparer.Ordinal));
        return new GpioOutputLines(gpio, Site.Outputs, initial);
    }

    private sealed class Buses(I2cDevice expander) : IBusDevices
    {
        public I2cDevice OpenExpander(ExpanderOptions options) => expander;

        public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException();
    }
}
