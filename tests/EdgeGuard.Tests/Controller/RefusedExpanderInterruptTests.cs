using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// An MCP23017 whose interrupt line opens but whose edge callback the driver refuses (EIO: a line with no
/// interrupt; libgpiod v1 requesting it again for events) is one chip's fault: the controller starts, the
/// chip's points are delivered by polling, the native lines and the EOL loop (started after the bank) work,
/// and the line is reported. The throw used to escape the bank's start and the controller's: every door,
/// fire and panic input unprotected, and systemd restarting into the same failure. Composed as the gateway
/// composes the board (IoBoardComposition): native lines, the bank, then the loops.
/// </summary>
public sealed class RefusedExpanderInterruptTests : IAsyncDisposable
{
    private const int FireLine = 2, ExitLine = 10, InterruptLine = 20;
    private static readonly ExpanderOptions Expander = new("mcp23017@0x20", 1, 0x20, InterruptLine);

    private static readonly SiteDefinition Site = new(
        "site-r", "gw-r",
        [new("a", "A")],
        [
            new("fire", PointKind.FireAlarm, FireLine, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a"),
            new("key-fire", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key-clear", PointKind.Keyswitch, 5, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            // A normally-closed hold-up button to ground on the expander: released (high) at rest.
            new("panic-annex", PointKind.PanicButton, -1, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a") { LineAddress = "mcp23017@0x20:A0" },
            new("fence", PointKind.Perimeter, -1, ActiveHigh: true, LinePull.None, TimeSpan.Zero, "a") { LineAddress = "mcp3008@0.0:CH0" },
        ],
        [new("lock-exit", OutputKind.Lock, ExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true)],
        new LockdownPolicy(["a"], TimeSpan.FromSeconds(30), ["key-clear"]),
        new LifeSafetyPolicy(["key-fire"]));

    private readonly SimulatedMcp23017 _chip = new(1, 0x20);
    private readonly ControllerHarness _h;
    private ExpanderBank? _bank;
    private volatile int _fenceReading = 470; // double EOL at rest
    private bool _last;

    public RefusedExpanderInterruptTests()
    {
        _h = new ControllerHarness(Site, _ => new MemorySafetyStore(), openOutputs: Open, openInputs: OpenInputs,
            opened: (_, last) => _last = last, chip: driver => driver.RefuseEdgeEvents(InterruptLine));
        // INTA (open-drain) to the host's line, held up by its pull-up while released.
        _h.Driver.SetInputLevel(InterruptLine, true);
        _chip.InterruptLevelChanged += level => _h.Driver.SetInputLevel(InterruptLine, level);
    }

    public async ValueTask DisposeAsync()
    {
        await _h.DisposeAsync();
        _chip.Dispose();
    }

    [Fact]
    public async Task The_controller_starts_polls_the_chip_serves_the_other_inputs_and_reports_the_line()
    {
        var ex = await Record.ExceptionAsync(_h.BootAsync);
        Assert.Null(ex);
        await _h.SettleAsync();

        var fault = Assert.Single(_h.Events.Events.OfType<HardwareFault>());
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.StartsWith("its interrupt line (host GPIO 20) gives no edge events", fault.Reason, StringComparison.Ordinal);
        Assert.Empty(fault.Points); // the chip answers: its points are read, not fail-safe
        Assert.False(_h.Controller.Current!.IsActive("panic-annex"));
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "the normally locked exit was not locked");

        // The expander's button, pressed and released, is delivered by the fast poll though no callback hears it.
        _chip.SetPin(0, false);
        await _h.AdvanceInStepsAsync(TimeSpan.FromMilliseconds(50));
        Assert.True(_h.Controller.Current!.IsActive("panic-annex"), "a press on the polled expander was not delivered");
        _chip.SetPin(0, true);
        await _h.AdvanceInStepsAsync(TimeSpan.FromMilliseconds(50));
        Assert.False(_h.Controller.Current!.IsActive("panic-annex"), "the release on the polled expander was not delivered");

        // The EOL loop, started after the bank, is polled: its sensor trips.
        _fenceReading = 700; // the double EOL's alarm band
        await _h.AdvanceInStepsAsync(TimeSpan.FromMilliseconds(200));
        Assert.True(_h.Controller.Current!.IsActive("fence"), "the EOL loop started after the bank was not read");

        // A native fire input releases egress.
        _h.Set("fire", active: true);
        await _h.AdvanceInStepsAsync(TimeSpan.FromMilliseconds(150));
        Assert.Equal(LifeSafety.FireEgressReleased, _h.Controller.Current!.LifeSafety);
        Assert.Single(_h.Events.Events.OfType<HardwareFault>()); // one fault for the episode
    }

    private IInputLines OpenInputs(GpioController gpio, TimeProvider time)
    {
        var native = Site.Points.Where(p => p.LineAddress is null).ToList();
        _bank = new ExpanderBank(gpio, [Expander], Site.Points, Site.Outputs, new Buses(_chip), time, events => _h.Controller.ReportFromOutside(events));
        var fence = Site.Point("fence");
        var loops = new EolLoopLines("mcp3008@0.0", _ => _fenceReading, TimeSpan.FromMilliseconds(25),
            [new SupervisedLoop(fence, 0, new EolLoopClassifier(new EolThresholds(EolWiring.Double, 341, 599, 818)))],
            time, events => _h.Controller.ReportFromOutside(events));
        return new RoutedInputLines([(new GpioInputLines(gpio, native, time), native.Select(p => p.Id)), (_bank, _bank.PointIds), (loops, [fence.Id])]);
    }

    private IOutputLines Open(GpioController gpio, IReadOnlyDictionary<string, bool> initial)
    {
        // Every output is native: the bank's outputs are opened only to configure the chip, on the last call,
        // as the gateway's factory does (IoBoardComposition).
        if (_last)
        {
            _ = _bank!.OpenOutputs(new Dictionary<string, bool>(StringComparer.Ordinal));
        }

        return new GpioOutputLines(gpio, Site.Outputs.Where(o => initial.ContainsKey(o.Id)), initial);
    }

    private sealed class Buses(I2cDevice expander) : IBusDevices
    {
        public I2cDevice OpenExpander(ExpanderOptions options) => expander;

        public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException();
    }
}
