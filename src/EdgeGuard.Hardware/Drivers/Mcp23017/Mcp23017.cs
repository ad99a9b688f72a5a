using System.Device.I2c;

namespace EdgeGuard.Hardware.Drivers.Mcp23017;

/// <summary>
/// Microchip MCP23017 16-line I/O expander on an <see cref="I2cDevice"/>: configures the pins, reads
/// input levels, drives outputs through the output latch and reads what raised an interrupt.
/// </summary>
/// <remarks>
/// <para>The chip is run with <c>IOCON = MIRROR | ODR</c> (0x44): BANK = 0 so the A/B registers of a pair
/// are adjacent, SEQOP = 0 so the address pointer increments and a pair (or INTF..GPIO) is moved in a
/// single I2C transaction, MIRROR = 1 so INTA and INTB both report either port and one host GPIO line
/// serves all sixteen pins, ODR = 1 (open-drain, active-low) so INTA needs only the host line's pull-up and
/// could later share that line with other expanders.</para>
/// <para>Thread-safe: the output latch copy is guarded by a lock, and every register access is one
/// I2C transaction. Does not own the <see cref="I2cDevice"/>.</para>
/// </remarks>
public sealed class Mcp23017
{
    /// <summary>Pins on the chip: A0..A7 are 0..7, B0..B7 are 8..15.</summary>
    public const int PinCount = 16;

    /// <summary>The IOCON value written at initialisation.</summary>
    public const Mcp23017Iocon Iocon = Mcp23017Iocon.Mirror | Mcp23017Iocon.OpenDrain;

    /// <summary>
    /// Where IOCON sits when BANK = 1. With BANK = 0 the same address is GPINTENB, which initialisation
    /// rewrites anyway, so writing 0 there is harmless in either bank.
    /// </summary>
    internal const byte IoconAddressInBank1 = 0x05;

    private readonly I2cDevice _device;
    private readonly Lock _gate = new();
    private ushort _latch;

    /// <summary>Wraps the chip at the device's bus and address. Nothing is sent until <see cref="Initialize"/>.</summary>
    public Mcp23017(I2cDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        _device = device;
    }

    /// <summary>The chip as configuration names it: <c>mcp23017@0x20</c>.</summary>
    public string Name => $"mcp23017@0x{_device.ConnectionSettings.DeviceAddress:x2}";

    /// <summary>The output levels last written to OLAT (bit per pin), kept so single-pin writes need no read.</summary>
    public ushort OutputLatch
    {
        get
        {
            lock (_gate)
            {
                return _latch;
            }
        }
    }

    /// <summary>
    /// Writes the whole configuration and returns the input levels (GPIO), which also clears any interrupt
    /// left pending from before.
    /// </summary>
    /// <exception cref="ArgumentException">The configuration is inconsistent; the message lists every problem.</exception>
    /// <exception cref="HardwareException">The chip did not answer on the bus.</exception>
    public ushort Initialize(Mcp23017Configuration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var problems = configuration.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException(
                $"MCP23017 at {Describe()}: invalid configuration: {string.Join("; ", problems)}.", nameof(configuration));
        }

        var c = configuration;
        lock (_gate)
        {
            // A chip that was left in BANK = 1 (by another program, since a power cycle resets it) would
            // read every address below with the other layout; this one write puts it back in BANK = 0.
            Write("IOCON (BANK = 1 reset)", IoconAddressInBank1, 0x00);
            Write("IOCON", (byte)Mcp23017Register.Iocon, (byte)Iocon);
            // The latch before the direction: a pin that becomes an output drives the intended level
            // from its first instant, so a lock relay never drops during boot.
            WritePair("OLAT", Mcp23017Register.OlatA, c.InitialOutputs);
            WritePair("IPOL", Mcp23017Register.IpolA, c.InvertedInputs);
            WritePair("GPPU", Mcp23017Register.GppuA, c.PullUps);
            // DEFVALA, DEFVALB, INTCONA, INTCONB are adjacent: one transaction.
            Transfer("DEFVAL/INTCON", [(byte)Mcp23017Register.DefvalA, Low(c.DefaultValues), High(c.DefaultValues), Low(c.CompareWithDefault), High(c.CompareWithDefault)], []);
            WritePair("IODIR", Mcp23017Register.IodirA, c.Inputs);
            // Interrupts last, once pull-ups have settled the inputs, so configuring raises none.
            WritePair("GPINTEN", Mcp23017Register.GpintenA, c.InterruptPins);
            _latch = c.InitialOutputs;
            // Reading GPIO clears whatever interrupt is pending, so the host line is released and the next
            // falling edge means a new change.
            return ReadPair("GPIO", Mcp23017Register.GpioA);
        }
    }

    /// <summary>Reads the level of every pin (GPIOA, GPIOB in one transaction). Also clears a pending interrupt.</summary>
    /// <exception cref="HardwareException">The chip did not answer on the bus.</exception>
    public ushort ReadLevels() => ReadPair("GPIO", Mcp23017Register.GpioA);

    /// <summary>Drives every output pin (OLATA, OLATB in one transaction); bits of input pins are kept in the latch but not driven.</summary>
    /// <exception cref="HardwareException">The chip did not answer; the cached latch is left unchanged so a retry rewrites it.</exception>
    public void WriteOutputs(ushort levels)
    {
        lock (_gate)
        {
            WritePair("OLAT", Mcp23017Register.OlatA, levels);
            _latch = levels;
        }
    }

    /// <summary>Drives one output pin, writing only its port's OLAT byte.</summary>
    /// <remarks>
    /// The new byte comes from the cached latch, never from reading GPIO: GPIO returns pin levels, and an
    /// output held down by its load (or an input pin) would be written back as a different latch value,
    /// glitching pins nobody asked to change. Writing OLAT rather than GPIO keeps that intent explicit.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">The pin is not 0..15.</exception>
    /// <exception cref="HardwareException">The chip did not answer; the cached latch is left unchanged.</exception>
    public void WritePin(int pin, bool high)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pin);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pin, PinCount - 1);
        lock (_gate)
        {
            var mask = (ushort)(1 << pin);
            var latch = (ushort)(high ? _latch | mask : _latch & ~mask);
            if (pin < 8)
            {
                Write("OLATA", (byte)Mcp23017Register.OlatA, Low(latch));
            }
            else
            {
                Write("OLATB", (byte)Mcp23017Register.OlatB, High(latch));
            }

            _latch = latch;
        }
    }

    /// <summary>
    /// Reads INTFA, INTFB, INTCAPA, INTCAPB, GPIOA, GPIOB in one sequential transaction: first which pins
    /// interrupted, then the levels captured at that moment (reading INTCAP clears the interrupt and
    /// releases the INT line), then the levels now, which show a change that happened after the capture.
    /// </summary>
    /// <exception cref="HardwareException">The chip did not answer; the interrupt stays pending and INT stays asserted.</exception>
    public Mcp23017Interrupt ReadInterrupt()
    {
        Span<byte> rx = stackalloc byte[6];
        Transfer("INTF/INTCAP/GPIO", [(byte)Mcp23017Register.IntfA], rx);
        return new Mcp23017Interrupt(Word(rx[0], rx[1]), Word(rx[2], rx[3]), Word(rx[4], rx[5]));
    }

    /// <summary>
    /// Reads INTFA, INTFB only: which pins hold an interrupt. Unlike <see cref="ReadInterrupt"/> this does not
    /// clear it, so INT stays asserted while the result is non-zero; supervision compares it with the host line.
    /// </summary>
    /// <exception cref="HardwareException">The chip did not answer on the bus.</exception>
    public ushort ReadInterruptFlags() => ReadPair("INTF", Mcp23017Register.IntfA);

    /// <summary>Reads one register (diagnostics; for example to verify the configuration took).</summary>
    /// <exception cref="HardwareException">The chip did not answer on the bus.</exception>
    public byte ReadRegister(Mcp23017Register register)
    {
        Span<byte> rx = stackalloc byte[1];
        Transfer(register.ToString(), [(byte)register], rx);
        return rx[0];
    }

    /// <summary>
    /// Reads a register pair, port A then B, in one sequential transaction (A in the low byte): for
    /// example to verify a configuration without writing it. Needs SEQOP = 0, which this driver's
    /// <see cref="Iocon"/> keeps; check IOCON first on a chip not configured by this process.
    /// </summary>
    /// <param name="registerA">The port A register of the pair (IODIRA, GPPUA, ...); not IOCON.</param>
    /// <exception cref="ArgumentException"><paramref name="registerA"/> is not the A register of a pair.</exception>
    /// <exception cref="HardwareException">The chip did not answer on the bus.</exception>
    public ushort ReadRegisterPair(Mcp23017Register registerA) => ReadPair(PairName(registerA), registerA);

    /// <summary>The datasheet's name of a register pair, as the log and fault texts give it.</summary>
    private static string PairName(Mcp23017Register registerA) => registerA switch
    {
        Mcp23017Register.IodirA => "IODIR",
        Mcp23017Register.IpolA => "IPOL",
        Mcp23017Register.GpintenA => "GPINTEN",
        Mcp23017Register.DefvalA => "DEFVAL",
        Mcp23017Register.IntconA => "INTCON",
        Mcp23017Register.GppuA => "GPPU",
        Mcp23017Register.IntfA => "INTF",
        Mcp23017Register.IntcapA => "INTCAP",
        Mcp23017Register.GpioA => "GPIO",
        Mcp23017Register.OlatA => "OLAT",
        _ => throw new ArgumentException($"{registerA} is not the port A register of a pair.", nameof(registerA)),
    };

    private void Write(string what, byte register, byte value) => Transfer(what, [register, value], []);

    private void WritePair(string what, Mcp23017Register registerA, ushort value) =>
        Transfer(what, [(byte)registerA, Low(value), High(value)], []);

    private ushort ReadPair(string what, Mcp23017Register registerA)
    {
        Span<byte> rx = stackalloc byte[2];
        Transfer(what, [(byte)registerA], rx);
        return Word(rx[0], rx[1]);
    }

    /// <summary>One I2C transaction: a write, or a write of the register address followed by a repeated-start read.</summary>
    private void Transfer(string what, ReadOnlySpan<byte> tx, Span<byte> rx)
    {
        try
        {
            if (rx.IsEmpty)
            {
                _device.Write(tx);
            }
            else
            {
                _device.WriteRead(tx, rx);
            }
        }
        catch (IOException ex)
        {
            throw new HardwareException(
                $"MCP23017 at {Describe()} did not answer while accessing {what}: {ex.Message} Check its wiring, power and address pins (A2..A0).", ex);
        }
    }

    private string Describe() =>
        $"0x{_device.ConnectionSettings.DeviceAddress:x2} on I2C bus {_device.ConnectionSettings.BusId}";

    private static byte Low(ushort value) => (byte)value;

    private static byte High(ushort value) => (byte)(value >> 8);

    private static ushort Word(byte a, byte b) => (ushort)(a | (b << 8));
}
