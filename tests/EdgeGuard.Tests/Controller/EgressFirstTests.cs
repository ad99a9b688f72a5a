using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Mcp23017;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// In a fire every egress door must unlock every time. A write to an MCP23017 on a hung I²C bus blocks
/// for the kernel's adapter timeout (1 s per transaction) or longer: an egress release written after
/// it in the same pass would wait that long. The gateway's expander writes go to a writer per chip
/// (ExpanderWriterTests), but the controller's pass keeps its order for lines whose writes block in
/// Write: the outputs that release egress first, native lines before expander lines, then the rest,
/// native first. These run the real expander driver, written in step, on the simulated chip.
/// </summary>
public sealed class EgressFirstTests : IAsyncDisposable
{
    private const int FireLine = 2, LobbyExitLine = 10, StoreLine = 11, LampLine = 12, InterruptLine = 20;
    private const int StrobePin = 8, AnnexExitPin = 9; // B0, B1

    private static readonly SiteDefinition Site = new(
        "site-e", "gw-e",
        [new("a", "A")],
        [
            new("fire", PointKind.FireAlarm, FireLine, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            // Listed in an order that puts the expander first: the configuration's order must not matter.
            new("strobe-annex", OutputKind.Strobe, -1, ActiveHigh: true, "a") { LineAddress = "mcp23017@0x20:B0" },
            new("lock-annex-exit", OutputKind.Lock, -1, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true)
            {
                LineAddress = "mcp23017@0x20:B1",
            },
            new("lock-store", OutputKind.Lock, StoreLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: false, NormallyLocked: true),
            new("lamp", OutputKind.Indicator, LampLine, ActiveHigh: true, "a"),
            new("lock-lobby-exit", OutputKind.Lock, LobbyExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        new LifeSafetyPolicy(["key"]));

    private readonly StallingMcp23017 _chip = new();
    private readonly List<string> _writes = [];
    private readonly ControllerHarness _h;

    public EgressFirstTests() =>
        _h = new ControllerHarness(Site, _ => new MemorySafetyStore(), openOutputs: Open);

    [Fact]
    public async Task A_fire_releases_a_native_egress_lock_while_an_expander_write_before_it_is_stalled()
    {
        await _h.BootAsync();
        Assert.True(_h.Driver.GetOutputLevel(LobbyExitLine), "the lobby exit was not locked before the fire");
        Assert.True(_chip.PinLevel(AnnexExitPin), "the annex exit was not locked before the fire");

        // The bus hangs: the next OLAT write waits (a real one for the adapter timeout, here until released).
        _chip.StallWrites = true;
        _h.Set("fire", true);
        Assert.True(_chip.Stalled.Wait(TimeSpan.FromSeconds(30)), "no expander write was attempted for the fire");

        // The loop is held inside an expander write, yet the native egress door is already released.
        Assert.False(_h.Driver.GetOutputLevel(LobbyExitLine), "the native egress release waited behind a stalled I2C write");

        _chip.StallWrites = false;
        _chip.Release.Set();
        await _h.SettleAsync();
        Assert.False(_chip.PinLevel(AnnexExitPin), "the expander egress lock was not released once the bus answered");
        Assert.True(_chip.PinLevel(StrobePin), "the strobe was not lit for the fire");
        Assert.True(_h.Driver.GetOutputLevel(StoreLine), "a lock that is not an egress door was released");
        Assert.DoesNotContain(_h.Events.Events, e => e is OutputFault);
    }

    [Fact]
    public async Task Egress_releases_are_written_first_native_before_expander_then_the_rest_native_first()
    {
        await _h.BootAsync();
        // The expander fails every transaction (a NACK): the order must not depend on it answering.
        _chip.Powered = false;
        _writes.Clear();

        _h.Set("fire", true);
        await _h.SettleAsync();

        Assert.Equal(["lock-lobby-exit", "lock-annex-exit", "lock-store", "lamp", "strobe-annex"], _writes);
        Assert.False(_h.Driver.GetOutputLevel(LobbyExitLine), "the native egress door stayed locked");
        Assert.Equal(
            ["lock-annex-exit", "strobe-annex"],
            _h.Events.Events.OfType<OutputFault>().Select(f => f.OutputId));
    }

    public async ValueTask DisposeAsync()
    {
        _chip.Release.Set();
        await _h.DisposeAsync();
        _chip.Dispose();
    }

    /// <summary>The production composition: native lines and the expander's behind one router.</summary>
    private IOutputLines Open(GpioController gpio, IReadOnlyDictionary<string, bool> initial)
    {
        var native = Site.Outputs.Where(o => o.LineAddress is null).ToList();
        var gpioLines = new GpioOutputLines(gpio, native, native.ToDictionary(o => o.Id, o => initial[o.Id], StringComparer.Ordinal));
        var expander = new Mcp23017Lines(
            gpio, InterruptLine, new Mcp23017(_chip), [],
            [new ExpanderOutput("strobe-annex", StrobePin, initial["strobe-annex"]), new ExpanderOutput("lock-annex-exit", AnnexExitPin, initial["lock-annex-exit"])],
            _h.Time);
        var routed = new RoutedOutputLines([(gpioLines, native.Select(o => o.Id)), (expander, ["strobe-annex", "lock-annex-exit"])]);
        return new RecordingLines(routed, _writes);
    }

    /// <summary>Records the order of the controller's writes.</summary>
    private sealed class RecordingLines(IOutputLines inner, List<string> writes) : IOutputLines
    {
        public void Write(string outputId, bool high)
        {
            lock (writes)
            {
                writes.Add(outputId);
            }

            inner.Write(outputId, high);
        }

        public bool ReadBack(string outputId) => inner.ReadBack(outputId);

        public void Dispose() => inner.Dispose();
    }

    /// <summary>
    /// The simulated MCP23017, whose OLAT writes hold while <see cref="StallWrites"/> is set, as on an I²C bus
    /// a slave holds low: <see cref="Stalled"/> says a write is held, <see cref="Release"/> lets it through.
    /// </summary>
    private sealed class StallingMcp23017() : SimulatedMcp23017(1, 0x20)
    {
        private const byte OlatA = 0x14, OlatB = 0x15;

        public volatile bool StallWrites;

        public ManualResetEventSlim Stalled { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        protected override void BeginTransaction(ReadOnlySpan<byte> written)
        {
            if (StallWrites && written.Length > 1 && written[0] is OlatA or OlatB)
            {
                Stalled.Set();
                // Bounded, so a failing test ends instead of hanging the run.
                if (!Release.Wait(TimeSpan.FromSeconds(30)))
                {
                    throw new IOException("stalled write was never released");
                }
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Stalled.Dispose();
                Release.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
