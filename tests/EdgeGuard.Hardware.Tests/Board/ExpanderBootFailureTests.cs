using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hardware.Tests.Drivers;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// A chip that does not answer at start-up, or fails the boot read, must not take the gateway down: it is
/// reported, its points read fail-safe, and supervision configures it once it answers.
/// </summary>
public sealed class ExpanderBootFailureTests : IDisposable
{
    private const int IntLine = 4;
    private const int LockPin = 8; // B0

    private static readonly ExpanderOptions Expander = new("mcp23017@0x20", 1, 0x20, IntLine);
    private static readonly PointDefinition Panic = new("panic-annex", PointKind.PanicButton, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A0" };
    private static readonly PointDefinition Door = new("door-annex", PointKind.DoorContact, -1, true, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A1" };
    private static readonly PointDefinition Key = new("key-annex", PointKind.Keyswitch, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A2" };
    private static readonly OutputDefinition LockAnnex = new("lock-annex", OutputKind.Lock, -1, true, "annex") { LineAddress = "mcp23017@0x20:B0" };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly SimulatedGpioDriver _host = new();
    private readonly GpioController _controller;
    private readonly FakeMcp23017 _fake = new();
    private readonly List<DomainEvent> _reported = [];
    private readonly List<RawEdge> _edges = [];

    public ExpanderBootFailureTests()
    {
        _controller = new GpioController(_host);
        _host.SetInputLevel(IntLine, true);
        _fake.InterruptLevelChanged += level => _host.SetInputLevel(IntLine, level);
        _fake.SetPin(1, false); // the door is closed; panic (A0) and key (A2) released, pulled up
    }

    public void Dispose() => _controller.Dispose();

    private ExpanderBank Bank() =>
        new(_controller, [Expander], [Panic, Door, Key], [LockAnnex], new FakeBuses(_fake), _time, _reported.AddRange);

    [Fact]
    public void A_chip_dead_at_start_up_is_reported_reads_fail_safe_and_is_configured_once_it_answers()
    {
        _fake.Nack = _ => true; // no power on the chip
        using var bank = Bank();

        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = false });
        bank.Start(_edges.Add);

        Assert.Equal("mcp23017@0x20", Assert.IsType<HardwareFault>(Assert.Single(_reported)).Device);
        // The tamper levels: panic and door active, the keyswitch inactive (it must never clear anything).
        Assert.False(bank.Read("panic-annex"), "a blind panic button reads active (low)");
        Assert.True(bank.Read("door-annex"), "a blind door reads open");
        Assert.True(bank.Read("key-annex"), "a blind keyswitch reads inactive (high)");
        Assert.Throws<HardwareException>(() => outputs.Write("lock-annex", true)); // the controller retries it
        Assert.False(outputs.ReadBack("lock-annex"), "a failed write changed the level read back");
        bank.Supervise();
        Assert.Single(_reported);
        Assert.Empty(_edges);

        _fake.Nack = null;
        bank.Supervise();

        Assert.True(_fake.PinLevel(LockPin), "configured with the level asked for while it was dead");
        Assert.Equal([("panic-annex", true), ("door-annex", false)], _edges.Select(e => (e.PointId, e.High)));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
        outputs.Write("lock-annex", false);
        Assert.False(_fake.PinLevel(LockPin));

        // Started: its interrupts reach the receiver, and nothing is delivered or raised twice.
        bank.Supervise();
        _fake.SetPin(1, true);
        Assert.Equal(("door-annex", true), (_edges[^1].PointId, _edges[^1].High));
        Assert.Equal(3, _edges.Count);
        Assert.Equal(2, _reported.Count);
    }

    [Fact]
    public void A_chip_that_fails_the_boot_read_gives_fail_safe_levels_and_its_real_ones_once_it_answers()
    {
        using var bank = Bank();
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true });
        bank.Start(_edges.Add);
        _fake.Nack = _ => true;

        Assert.True(bank.Read("door-annex"));
        Assert.False(bank.Read("panic-annex"));
        Assert.Equal("mcp23017@0x20", Assert.IsType<HardwareFault>(Assert.Single(_reported)).Device);

        _fake.Nack = null;
        bank.Supervise();

        Assert.Equal([("panic-annex", true), ("door-annex", false)], _edges.Select(e => (e.PointId, e.High)));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
        Assert.True(_fake.PinLevel(LockPin));
        Assert.True(outputs.ReadBack("lock-annex"));
    }

    [Fact]
    public void A_chip_with_only_outputs_dead_at_start_up_is_configured_by_supervision_once_it_answers()
    {
        // A relay expander: locks only, so the composition never adds it to the inputs and never calls Start.
        _fake.Nack = _ => true;
        using var bank = new ExpanderBank(_controller, [Expander], [], [LockAnnex], new FakeBuses(_fake), _time, _reported.AddRange);
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = false });
        Assert.Throws<HardwareException>(() => outputs.Write("lock-annex", true)); // the controller's plan: locked
        _time.Advance(ExpanderBank.SupervisionInterval);
        Assert.Equal(["fault.hardware"], _reported.Select(e => e.Type));

        _fake.Nack = null;
        _time.Advance(ExpanderBank.SupervisionInterval);

        Assert.True(_fake.PinLevel(LockPin), "the lock was not driven at the level asked for once its chip answered");
        Assert.True(outputs.ReadBack("lock-annex"));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
        outputs.Write("lock-annex", false);
        Assert.False(_fake.PinLevel(LockPin));

        // Disposing the outputs stops supervision: nothing is reported about lines that are closed.
        outputs.Dispose();
        _time.Advance(ExpanderBank.SupervisionInterval * 3);
        Assert.Equal(2, _reported.Count);
    }

    [Fact]
    public void An_adc_dead_at_boot_gives_the_fail_safe_level_and_its_real_one_at_the_first_poll_that_reads()
    {
        var fire = new PointDefinition("fire-annex", PointKind.FireAlarm, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH0" };
        var dead = true;
        using var lines = new EolLoopLines("mcp3008@0.0", _ => dead ? throw new HardwareException("no answer") : 470, TimeSpan.FromMilliseconds(50),
            [new SupervisedLoop(fire, 0, new EolLoopClassifier(new EolThresholds(EolWiring.Double, 341, 599, 818)))], _time, _reported.AddRange);
        lines.Start(_edges.Add);

        Assert.True(lines.Read("fire-annex"), "a fire input on a dead ADC must read active");
        Assert.Equal("fault.hardware", Assert.Single(_reported).Type);

        dead = false;
        lines.Poll();
        Assert.Equal([("fire-annex", false)], _edges.Select(e => (e.PointId, e.High)));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
    }

    private sealed class FakeBuses(I2cDevice expander) : IBusDevices
    {
        public I2cDevice OpenExpander(ExpanderOptions options) => expander;

        public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException("no ADC on this board");
    }
}
