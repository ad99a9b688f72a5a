using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A site whose fire input is on an MCP23017 expander pin and whose egress lock is a native line,
/// run by the controller over the production <see cref="ExpanderBank"/> (supervision on the
/// harness's clock) and a <see cref="SimulatedMcp23017"/>. Shared by the tests of an expander fire
/// input at boot and lost after it.
/// </summary>
internal sealed class ExpanderFireRig : IAsyncDisposable
{
    public const int ExitLine = 10;
    private const int InterruptLine = 20;
    private static readonly ExpanderOptions Expander = new("mcp23017@0x20", 1, 0x20, InterruptLine);

    public static readonly SiteDefinition Site = new(
        "site-f", "gw-f",
        [new("a", "A")],
        [
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            // A fire panel's relay contact to ground on the expander: released (high) at rest.
            new("fire-annex", PointKind.FireAlarm, -1, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a") { LineAddress = "mcp23017@0x20:A0" },
        ],
        [new("lock-exit", OutputKind.Lock, ExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        new LifeSafetyPolicy(["key"]));

    private ExpanderBank? _bank;

    // Whether the output factory's call being served is the last (told just before Open).
    private bool _last;

    public ExpanderFireRig()
    {
        H = new ControllerHarness(Site, _ => new MemorySafetyStore(), openOutputs: Open, openInputs: OpenInputs, opened: (_, last) => _last = last);
        // INTA (open-drain) to the host's line, held up by its pull-up while released.
        H.Driver.SetInputLevel(InterruptLine, true);
        Chip.InterruptLevelChanged += level => H.Driver.SetInputLevel(InterruptLine, level);
    }

    public SimulatedMcp23017 Chip { get; } = new(1, 0x20);

    public ControllerHarness H { get; }

    /// <summary>The bank the controller's inputs were opened with.</summary>
    public ExpanderBank Bank => _bank ?? throw new InvalidOperationException("the inputs are not open yet");

    /// <summary>The levels the controller opened the native outputs at, over all its calls.</summary>
    public IReadOnlyDictionary<string, bool>? Opened { get; private set; }

    /// <summary>
    /// The gateway's last run: its bank configured the chip, then the service stopped. The chip
    /// kept its power, so it keeps its registers (pull-ups, directions) for the next boot.
    /// </summary>
    public void ConfiguredByLastRun()
    {
        var driver = new SimulatedGpioDriver();
        driver.SetInputLevel(InterruptLine, true);
        using var gpio = new GpioController(driver);
        using var last = new ExpanderBank(gpio, [Expander], Site.Points, Site.Outputs, new Buses(Chip), H.Time, _ => { });
        _ = last.OpenOutputs(new Dictionary<string, bool>(StringComparer.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await H.DisposeAsync();
        Chip.Dispose();
    }

    private ExpanderBank OpenBank(GpioController gpio, TimeProvider time) => _bank ??= new ExpanderBank(
        gpio, [Expander], Site.Points, Site.Outputs, new Buses(Chip), time, events => H.Controller.ReportFromOutside(events));

    private IInputLines OpenInputs(GpioController gpio, TimeProvider time)
    {
        var native = Site.Points.Where(p => p.LineAddress is null).ToList();
        var bank = OpenBank(gpio, time);
        return new RoutedInputLines([(new GpioInputLines(gpio, native, time), native.Select(p => p.Id)), (bank, bank.PointIds)]);
    }

    private IOutputLines Open(GpioController gpio, IReadOnlyDictionary<string, bool> initial)
    {
        // The native egress lock may be opened before the saved state is loaded, the rest after.
        Opened = new Dictionary<string, bool>((Opened ?? new Dictionary<string, bool>()).Concat(initial), StringComparer.Ordinal);
        // Every output is native: the bank's outputs are opened only to configure the chip, on the
        // last call, as the gateway's factory does (IoBoardComposition).
        if (_last)
        {
            _ = OpenBank(gpio, H.Time).OpenOutputs(new Dictionary<string, bool>(StringComparer.Ordinal));
        }

        return new GpioOutputLines(gpio, Site.Outputs.Where(o => initial.ContainsKey(o.Id)), initial);
    }

    private sealed class Buses(I2cDevice expander) : IBusDevices
    {
        public I2cDevice OpenExpander(ExpanderOptions options) => expander;

        public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException();
    }
}
