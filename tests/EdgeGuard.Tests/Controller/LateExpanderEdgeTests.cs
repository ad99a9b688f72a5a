using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Mcp23017;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// An MCP23017 edge is stamped when the host sees INT fall, before the I²C read that finds which pin
/// changed; it reaches the controller only once that read is done. A door contact's bounce just
/// before the end of its debounce, stamped then but still being read when the controller's timer
/// fires for that deadline, must still cancel the debounce: the door never held open for it, and a
/// locked door that never opened must not be reported forced. Production composition (ExpanderBank)
/// on the simulated chip, whose interrupt read the test holds as a slow bus would; the fake clock
/// makes the times exact.
/// </summary>
public sealed class LateExpanderEdgeTests : IAsyncDisposable
{
    private const int DoorPin = 0, LockLine = 10, InterruptLine = 20;
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static readonly SiteDefinition Site = new(
        "site-x", "gw-x",
        [new("a", "A")],
        [
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            // A reed contact to ground on the expander: open reads high.
            new("door", PointKind.DoorContact, -1, ActiveHigh: true, LinePull.Up, 25 * Ms, "a") { LineAddress = "mcp23017@0x20:A0" },
        ],
        // Normally locked: opening the door without a release is door.forced.
        [new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSecure, NormallyLocked: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        Doors: [new DoorDefinition("door-1", "lock", "door", [], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5))]);

    private readonly SlowReadMcp23017 _chip = new();
    private readonly ControllerHarness _h;
    private ExpanderBank? _bank;

    // Whether the output factory's call being served is the last (told just before Open).
    private bool _last;

    public LateExpanderEdgeTests()
    {
        _chip.SetPin(DoorPin, false); // shut
        _h = new ControllerHarness(Site, _ => new MemorySafetyStore(), openOutputs: Open, openInputs: OpenInputs, opened: (_, last) => _last = last);
        // INTA (open-drain) to the host's line, held up by its pull-up while released.
        _h.Driver.SetInputLevel(InterruptLine, true);
        _chip.InterruptLevelChanged += level => _h.Driver.SetInputLevel(InterruptLine, level);
    }

    [Fact]
    public async Task A_bounce_stamped_before_the_debounce_ends_but_read_after_the_timer_fired_cancels_it()
    {
        await _h.BootAsync();
        await _h.SettleAsync();

        // The door contact bounces open; its 25 ms debounce starts.
        _chip.SetPin(DoorPin, true);
        await _h.SettleAsync();

        // At 24 ms it bounces shut: stamped now, but the bus is slow and the read is still under way...
        _h.Time.Advance(24 * Ms);
        _chip.HoldNextInterruptRead = true;
        var shut = Task.Run(() => _chip.SetPin(DoorPin, false));
        Assert.True(await _chip.Held.WaitAsync(Bound), "the bounce's interrupt read never started");

        // ...when the debounce's deadline passes and the controller's timer fires.
        _h.Time.Advance(1 * Ms);
        await _h.SettleAsync();

        // The read completes: the bounce, stamped at 24 ms, reaches the controller.
        _chip.Unhold.Release();
        await shut.WaitAsync(Bound);
        await _h.SettleAsync();
        await _h.AdvanceInStepsAsync(100 * Ms);

        // The door never held open for its debounce: nothing to report, and above all no forced door.
        Assert.DoesNotContain(_h.Events.Events, e => e is DoorForced);
        Assert.DoesNotContain(_h.Events.Events, e => e is PointActivated { PointId: "door" });
        Assert.False(_h.Controller.Current!.IsActive("door"), "the door reads open");

        // The same contact opening for real is still decided: forced, once.
        _chip.SetPin(DoorPin, true);
        await _h.SettleAsync();
        await _h.AdvanceInStepsAsync(100 * Ms);
        Assert.Single(_h.Events.Events, e => e is DoorForced);
        Assert.True(_h.Controller.Current!.IsActive("door"), "the door opened for real reads shut");
    }

    public async ValueTask DisposeAsync()
    {
        _chip.Unhold.Release();
        await _h.DisposeAsync();
        _chip.Dispose();
    }

    private ExpanderBank Bank(GpioController gpio, TimeProvider time) => _bank ??= new ExpanderBank(
        gpio, [new ExpanderOptions("mcp23017@0x20", 1, 0x20, InterruptLine)], Site.Points, Site.Outputs,
        new Buses(_chip), time, events => _h.Controller.ReportFromOutside(events));

    /// <summary>The gateway's composition of an I/O board's inputs: native lines and the bank's points.</summary>
    private IInputLines OpenInputs(GpioController gpio, TimeProvider time)
    {
        var native = Site.Points.Where(p => p.LineAddress is null).ToList();
        var bank = Bank(gpio, time);
        return new RoutedInputLines([(new GpioInputLines(gpio, native, time), native.Select(p => p.Id)), (bank, bank.PointIds)]);
    }

    /// <summary>Every output is native; the bank's outputs are opened on the last call, to configure the chip, as the gateway does.</summary>
    private IOutputLines Open(GpioController gpio, IReadOnlyDictionary<string, bool> initial)
    {
        if (_last)
        {
            _ = Bank(gpio, _h.Time).OpenOutputs(new Dictionary<string, bool>(StringComparer.Ordinal));
        }

        return new GpioOutputLines(gpio, Site.Outputs.Where(o => initial.ContainsKey(o.Id)), initial);
    }

    private sealed class Buses(I2cDevice expander) : IBusDevices
    {
        public I2cDevice OpenExpander(ExpanderOptions options) => expander;

        public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException();
    }

    /// <summary>
    /// The simulated MCP23017, whose next interrupt read (INTF, INTCAP, GPIO in one transaction) is held
    /// once when asked, as a slow or busy I²C bus holds it: <see cref="Held"/> says it started,
    /// <see cref="Unhold"/> lets it through.
    /// </summary>
    private sealed class SlowReadMcp23017() : SimulatedMcp23017(1, 0x20)
    {
        public volatile bool HoldNextInterruptRead;

        public SemaphoreSlim Held { get; } = new(0);

        public SemaphoreSlim Unhold { get; } = new(0);

        protected override void BeginTransaction(ReadOnlySpan<byte> written)
        {
            // The interrupt read writes the INTFA address alone, then reads six bytes (a supervision sweep's
            // INTF read does too, but none falls within this test's milliseconds after boot).
            if (!HoldNextInterruptRead || written.Length != 1 || written[0] != (byte)Mcp23017Register.IntfA)
            {
                return;
            }

            HoldNextInterruptRead = false;
            Held.Release();
            // Bounded, so a failing test ends instead of hanging the run.
            if (!Unhold.Wait(Bound * 2))
            {
                throw new IOException("held read was never let through");
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Held.Dispose();
                Unhold.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
