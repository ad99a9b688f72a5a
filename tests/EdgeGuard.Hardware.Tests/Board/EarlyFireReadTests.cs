using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Mcp23017;
using EdgeGuard.Hardware.Simulation;
using EdgeGuard.Hardware.Tests.Drivers;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// <see cref="IInputLines.ReadBeforeOutputs"/>: the controller's raw look at the fire inputs before it
/// opens the outputs. What can be read is read (a native line, a supervised loop on the ADC, an expander
/// pin whose chip kept the gateway's configuration: <see cref="ExpanderEarlyFireReadTests"/>); what
/// cannot (a chip just powered on, a blind ADC) says so with null, and nothing is recorded either way,
/// so the boot read after it is the boot read as before.
/// </summary>
public sealed class EarlyFireReadTests
{
    private const int Normal = OneEolLoop.Normal, Alarm = OneEolLoop.Alarm, Cut = OneEolLoop.Cut;

    private readonly OneEolLoop _loop = new();
    private readonly FakeTimeProvider _time;
    private readonly FakeMcp3008 _adc;
    private readonly List<DomainEvent> _reported;

    public EarlyFireReadTests() => (_time, _adc, _reported) = (_loop.Time, _loop.Adc, _loop.Reported);

    private EolLoopLines FireLoop() => _loop.Lines(PointKind.FireAlarm);

    [Theory]
    [InlineData(Normal, false)]
    [InlineData(Alarm, true)]
    [InlineData(Cut, true)] // a tampered fire loop reads active, as it does afterwards
    public void A_fire_loop_is_read_before_the_outputs_and_nothing_is_recorded(int reading, bool high)
    {
        _adc[0] = reading;
        using var lines = FireLoop();

        Assert.Equal(high, lines.ReadBeforeOutputs("p"));

        Assert.Empty(_reported); // the tamper is the boot read's and the polls' to report
        Assert.Empty(_loop.Edges);
        Assert.Null(lines.LastReading("p"));
    }

    [Fact]
    public void A_blind_adc_gives_no_level_and_leaves_its_fault_to_the_boot_read()
    {
        _adc.Absent = true;
        using var lines = FireLoop();

        Assert.Null(lines.ReadBeforeOutputs("p"));
        Assert.Empty(_reported);

        // The boot read after it raises the fault and reads fail-safe, as it did without the early read.
        Assert.True(lines.Read("p"));
        Assert.IsType<HardwareFault>(Assert.Single(_reported));
    }

    [Fact]
    public void An_expander_pin_on_a_chip_just_powered_on_is_not_read_before_the_outputs()
    {
        using var gpio = new System.Device.Gpio.GpioController(new SimulatedGpioDriver());
        using var chip = new FakeMcp23017();
        var point = new PointDefinition("fire", PointKind.FireAlarm, -1, false, LinePull.Up, TimeSpan.Zero, "annex") { LineAddress = "mcp23017@0x20:A0" };
        using var bank = new ExpanderBank(gpio, [new ExpanderOptions("mcp23017@0x20", 1, 0x20, 20)], [point], [],
            new ChipBus(chip), _time, _reported.AddRange);

        Assert.Null(bank.ReadBeforeOutputs("fire"));
        // Only its IOCON is read (the power-on value, not the gateway's): nothing written, no pin read.
        var read = Assert.Single(chip.Transactions);
        Assert.Equal([(byte)Mcp23017Register.Iocon], read.Written);
        Assert.Empty(_reported);
        Assert.Throws<KeyNotFoundException>(() => bank.ReadBeforeOutputs("door"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_native_line_is_read_before_the_outputs(bool high)
    {
        var driver = new SimulatedGpioDriver();
        driver.SetInputLevel(2, high);
        using var gpio = new System.Device.Gpio.GpioController(driver);
        var point = new PointDefinition("fire", PointKind.FireAlarm, 2, true, LinePull.Down, TimeSpan.Zero, "annex");
        using var lines = new GpioInputLines(gpio, [point], _time);
        using var routed = new RoutedInputLines([(lines, ["fire"])]);

        Assert.Equal(high, routed.ReadBeforeOutputs("fire"));
    }

    private sealed class ChipBus(System.Device.I2c.I2cDevice expander) : IBusDevices
    {
        public System.Device.I2c.I2cDevice OpenExpander(ExpanderOptions options) => expander;

        public System.Device.Spi.SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException();
    }
}
