using System.Device.Gpio;
using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hardware.Tests.Drivers;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// An expander reset by a brown-out (registers back to power-on defaults) is configured again by the bank's
/// supervision: byte for byte on the register-level fake, and end to end on the simulated chip of the sample.
/// </summary>
public sealed class ExpanderResetTests : IDisposable
{
    private const int IntLine = 4;
    private const int LockPin = 8; // B0

    private static readonly ExpanderOptions Expander = new("mcp23017@0x20", 1, 0x20, IntLine);
    private static readonly PointDefinition Panic = new("panic-annex", PointKind.PanicButton, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A0" };
    private static readonly PointDefinition Door = new("door-annex", PointKind.DoorContact, -1, true, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A1" };
    private static readonly OutputDefinition LockAnnex = new("lock-annex", OutputKind.Lock, -1, true, "annex") { LineAddress = "mcp23017@0x20:B0" };
    private static readonly OutputDefinition LampAnnex = new("lamp-annex", OutputKind.Indicator, -1, true, "annex") { LineAddress = "mcp23017@0x20:B1" };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly SimulatedGpioDriver _host = new();
    private readonly GpioController _controller;
    private readonly FakeMcp23017 _fake = new();
    private readonly List<DomainEvent> _reported = [];
    private readonly List<RawEdge> _edges = [];
    private IOutputLines? _outputs;
    private List<string> _boot = [];

    public ExpanderResetTests()
    {
        _controller = new GpioController(_host);
        _host.SetInputLevel(IntLine, true); // INTA released, held up by the host's pull-up
        _fake.InterruptLevelChanged += level => _host.SetInputLevel(IntLine, level);
        _fake.SetPin(1, false); // the door is closed
    }

    public void Dispose() => _controller.Dispose();

    /// <summary>The sample's annex on the fake chip, started, with the lock unlocked and then locked (a lockdown).</summary>
    private ExpanderBank Locked()
    {
        var bank = new ExpanderBank(_controller, [Expander], [Panic, Door], [LockAnnex, LampAnnex], new FakeBuses(_fake), _time, _reported.AddRange);
        _outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = false, ["lamp-annex"] = false });
        _boot = [.. _fake.Transactions.Select(t => t.ToString())];
        bank.Start(_edges.Add);
        _outputs.Write("lock-annex", true);
        Assert.True(_fake.PinLevel(LockPin));
        _fake.ClearTransactions();
        return bank;
    }

    [Fact]
    public void A_reset_chip_is_configured_again_as_at_boot_with_the_lock_at_its_locked_level_and_olat_before_iodir()
    {
        using var bank = Locked();
        _fake.PowerOnReset();
        Assert.False(_fake.PinLevel(LockPin), "reset: the lock pin is an input and the relay drops");

        bank.Supervise();

        Assert.True(_fake.PinLevel(LockPin), "the lock drives its locked level again");
        Assert.Equal((0x44, 0xFF, 0xFC, 0x00, 0x01), (_fake[0x0A], _fake[0x00], _fake[0x01], _fake[0x14], _fake[0x15]));
        // Boot's sequence exactly (BANK, IOCON, OLAT, IPOL, GPPU, DEFVAL/INTCON, IODIR, GPINTEN, GPIO), only
        // OLATB now carries the locked level; before it, the IOCON read that found the reset.
        var expected = new List<string> { "W[0A] R[00]" };
        expected.AddRange(_boot.Select(t => t == "W[140000]" ? "W[140001]" : t));
        Assert.Equal("W[12] R[FDFC]", expected[^1]); // at boot: A1 (door) closed, B0 and B1 driven low
        expected[^1] = "W[12] R[FDFD]"; // now B0 is driven high
        Assert.Equal(expected, _fake.Transactions.Select(t => t.ToString()));
        Assert.True(Index("W[14") < Index("W[00"), "OLAT is written before IODIR makes the pins outputs");
    }

    [Fact]
    public void A_door_opened_while_the_chip_was_reset_is_delivered_and_the_fault_and_restore_are_raised_once()
    {
        using var bank = Locked();
        _fake.PowerOnReset();
        _fake.SetPin(1, true); // the door opens: interrupts are off, so no edge comes from the chip
        Assert.Empty(_edges);

        bank.Supervise();
        bank.Supervise();
        bank.Supervise();

        Assert.Equal([new RawEdge("door-annex", true, _time.GetTimestamp())], _edges);
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
        var fault = Assert.IsType<HardwareFault>(_reported[0]);
        Assert.Equal("mcp23017@0x20", fault.Device);
        Assert.Contains("reset (IOCON read 0x00, expected 0x44)", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("configured again", fault.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("restart", fault.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Single(_fake.Transactions, t => t.ToString() == "W[0A44]"); // configured once, then only checked

        _fake.SetPin(0, false); // interrupts work again after the reconfiguration
        Assert.Equal(new RawEdge("panic-annex", false, _time.GetTimestamp()), _edges[^1]);
    }

    [Fact]
    public void A_chip_that_keeps_failing_is_retried_every_pass_with_one_fault_until_it_is_configured()
    {
        using var bank = Locked();
        _fake.Nack = _ => true; // the brown-out: the chip does not answer at all
        bank.Supervise();
        bank.Supervise();
        _fake.PowerOnReset();
        _fake.Nack = written => written[0] == 0x14; // it answers reset, but the OLAT write fails half-way
        bank.Supervise();
        bank.Supervise();
        Assert.Equal(0x44, _fake[0x0A]); // IOCON took: the next pass must not take that for a configured chip
        bank.Supervise();

        Assert.Equal(["fault.hardware"], _reported.Select(e => e.Type));
        Assert.Equal(3, _fake.Transactions.Count(t => t.ToString() == "W[0500]")); // one attempt per pass
        Assert.False(_fake.PinLevel(LockPin));
        _outputs!.Write("lock-annex", false); // the plan changes meanwhile: the latch follows it
        _outputs.Write("lock-annex", true);

        _fake.Nack = null;
        bank.Supervise();
        bank.Supervise();

        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
        Assert.True(_fake.PinLevel(LockPin));
        Assert.Equal(0xFC, _fake[0x01]);
    }

    [Fact]
    public void On_the_simulated_sample_chip_the_supervision_timer_relocks_the_annex_after_a_brown_out()
    {
        var board = new IoBoardOptions([Expander], [], []);
        var buses = new SimulatedBusDevices(_host, board);
        var chip = buses.Expander(Expander.Id);
        chip.SetPin(1, false); // the door is closed
        using var bank = new ExpanderBank(_controller, [Expander], [Panic, Door], [LockAnnex, LampAnnex], buses, _time, _reported.AddRange);
        var outputs = bank.OpenOutputs(new Dictionary<string, bool> { ["lock-annex"] = true, ["lamp-annex"] = true });
        bank.Start(_edges.Add);

        chip.PowerOnReset();
        chip.SetPin(1, true);
        Assert.False(chip.PinLevel(LockPin));
        _time.Advance(ExpanderBank.SupervisionInterval);

        Assert.True(chip.PinLevel(LockPin) && chip.PinLevel(LockPin + 1), "lock and lamp driven again");
        Assert.True(outputs.ReadBack("lock-annex"));
        Assert.Equal(["door-annex"], _edges.Select(e => e.PointId));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
    }

    private int Index(string prefix) => _fake.Transactions.Select(t => t.ToString()).ToList().FindIndex(t => t.StartsWith(prefix, StringComparison.Ordinal));

    private sealed class FakeBuses(I2cDevice expander) : IBusDevices
    {
        public I2cDevice OpenExpander(ExpanderOptions options) => expander;

        public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException("no ADC on this board");
    }
}
