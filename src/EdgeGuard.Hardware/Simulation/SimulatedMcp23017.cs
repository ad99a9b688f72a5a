using System.Device.I2c;

namespace EdgeGuard.Hardware.Simulation;

/// <summary>
/// An MCP23017 register model behind an <see cref="I2cDevice"/>, for simulate mode and, derived, for the
/// hardware tests' fake: a register file with the datasheet's reset values, the address pointer (sequential
/// in BANK = 0 with wrap after 0x15, A/B toggling with SEQOP = 1, the BANK = 1 layout), pins with pull-ups,
/// input polarity (IPOL), outputs from OLAT, and interrupt-on-change latching INTF/INTCAP at the first change
/// until INTCAP or GPIO of that port is read. <see cref="Drivers.Mcp23017.Mcp23017"/> runs on it unchanged.
/// </summary>
/// <remarks>
/// One model serves both uses so that what the simulator does and what the tests assert cannot drift apart.
/// INTA is reported through <see cref="InterruptLevelChanged"/> and, when built with a
/// <see cref="SimulatedGpioDriver"/>, drives a line of it, so the expander's interrupt path runs as on a gateway.
/// </remarks>
public class SimulatedMcp23017 : I2cDevice
{
    // Canonical register index = BANK = 0 address. In BANK = 1, port A registers are 0x00..0x0A and port B 0x10..0x1A.
    private const int Iodir = 0x00, Ipol = 0x02, Gpinten = 0x04, Defval = 0x06, Intcon = 0x08, Iocon = 0x0A,
        Gppu = 0x0C, Intf = 0x0E, Intcap = 0x10, Gpio = 0x12, Olat = 0x14, RegisterCount = 0x16;

    private const byte IoconBank = 0x80, IoconMirror = 0x40, IoconSeqopDisabled = 0x20, IoconOpenDrain = 0x04,
        IoconActiveHigh = 0x02;

    private readonly SimulatedGpioDriver? _driver;
    private readonly int _interruptLine;
    private readonly byte[] _registers = new byte[RegisterCount];
    private readonly bool?[] _external = new bool?[16];
    private readonly byte[] _previous = new byte[2];
    private readonly Lock _gate = new();
    private byte _pointer;
    private bool _intLevel = true;

    /// <summary>A chip at <paramref name="address"/> whose INTA is wired to <paramref name="interruptLine"/>.</summary>
    public SimulatedMcp23017(SimulatedGpioDriver driver, int bus, int address, int interruptLine)
        : this(bus, address)
    {
        ArgumentNullException.ThrowIfNull(driver);
        (_driver, _interruptLine) = (driver, interruptLine);
        driver.SetInputLevel(interruptLine, true); // released: open-drain with the host's pull-up
    }

    /// <summary>A chip at <paramref name="address"/> whose INTA is observed only through <see cref="InterruptLevelChanged"/>.</summary>
    public SimulatedMcp23017(int bus, int address)
    {
        ConnectionSettings = new I2cConnectionSettings(bus, address);
        ResetRegisters();
    }

    /// <summary>Raised with the INTA pin's new electrical level when it changes (outside the chip's lock, so a handler may read the chip).</summary>
    public event Action<bool>? InterruptLevelChanged;

    /// <inheritdoc/>
    public override I2cConnectionSettings ConnectionSettings { get; }

    /// <summary>The electrical level of INTA: open-drain or active-low drives it low when asserted, otherwise high.</summary>
    public bool IntLevel
    {
        get
        {
            lock (_gate)
            {
                return _intLevel;
            }
        }
    }

    /// <summary>A register's content by its BANK = 0 address (0x0B is IOCON too), without the side effects of a bus read.</summary>
    public byte this[byte bank0Address]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(bank0Address, RegisterCount);
            lock (_gate)
            {
                return _registers[bank0Address == Iocon + 1 ? Iocon : bank0Address];
            }
        }
    }

    /// <summary>The outside world drives a pin (a contact to ground reads low; null = nothing connected).</summary>
    public void SetPin(int pin, bool? high)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pin);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pin, 15);
        lock (_gate)
        {
            _external[pin] = high;
            Evaluate();
        }

        UpdateInterruptLine();
    }

    /// <summary>The level a pin sits at: its latch when an output, else what drives it, its pull-up, or low.</summary>
    public bool PinLevel(int pin)
    {
        lock (_gate)
        {
            return Level(pin);
        }
    }

    /// <summary>
    /// A brown-out: every register back to its power-on value (IODIR = 0xFF, everything else 0), so outputs
    /// become inputs and interrupts are off, as the gateway's supervision must detect and repair. What drives
    /// the pins from outside is kept.
    /// </summary>
    public void PowerOnReset()
    {
        lock (_gate)
        {
            ResetRegisters();
            _pointer = 0;
        }

        UpdateInterruptLine();
    }

    /// <summary>
    /// False: the chip has no power (or is not fitted) and NACKs every transaction, as an I/O error on Linux.
    /// Setting it back to true is a power-on: every register at its power-on value.
    /// </summary>
    public bool Powered
    {
        get => Volatile.Read(ref _powered);
        set
        {
            if (value && !_powered)
            {
                PowerOnReset();
            }

            Volatile.Write(ref _powered, value);
        }
    }

    private bool _powered = true;

    /// <summary>Puts the chip in BANK = 1, as another program might have left it (only a power cycle undoes that).</summary>
    public void ForceBank1()
    {
        lock (_gate)
        {
            _registers[Iocon] |= IoconBank;
        }
    }

    /// <inheritdoc/>
    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    /// <inheritdoc/>
    public override void Read(Span<byte> buffer) => Transact([], buffer);

    /// <inheritdoc/>
    public override void WriteByte(byte value) => Write([value]);

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer) => Transact(buffer, []);

    /// <inheritdoc/>
    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => Transact(writeBuffer, readBuffer);

    /// <summary>
    /// Called under the chip's lock before a transaction touches the registers; throwing refuses it as a NACK
    /// does (nothing is stored or read, INTA is not re-evaluated). Does nothing here.
    /// </summary>
    /// <param name="written">The bytes the master is about to write (register address first).</param>
    protected virtual void BeginTransaction(ReadOnlySpan<byte> written)
    {
    }

    /// <summary>
    /// Called under the chip's lock once a transaction is done, so transactions are seen in the order the chip
    /// served them. Does nothing here.
    /// </summary>
    /// <param name="written">The bytes the master wrote.</param>
    /// <param name="read">The bytes the chip answered.</param>
    protected virtual void EndTransaction(ReadOnlySpan<byte> written, ReadOnlySpan<byte> read)
    {
    }

    private void Transact(ReadOnlySpan<byte> written, Span<byte> read)
    {
        lock (_gate)
        {
            if (!Powered)
            {
                throw new IOException($"MCP23017 at 0x{ConnectionSettings.DeviceAddress:x2}: no acknowledge (the chip has no power)");
            }

            BeginTransaction(written);
            if (written.Length > 0)
            {
                _pointer = written[0];
                foreach (var value in written[1..])
                {
                    Store(_pointer, value);
                    Advance();
                }
            }

            for (var i = 0; i < read.Length; i++)
            {
                read[i] = Load(_pointer);
                Advance();
            }

            EndTransaction(written, read);
        }

        // Outside the lock: the driver may run the expander's callback, which reads this chip again.
        UpdateInterruptLine();
    }

    private void ResetRegisters()
    {
        Array.Clear(_registers);
        _registers[Iodir] = 0xFF;
        _registers[Iodir + 1] = 0xFF;
        // The pins as they now read are the reference for interrupt-on-change, so the reset itself raises none.
        _previous[0] = GpioOf(0);
        _previous[1] = GpioOf(1);
    }

    private bool Bank1 => (_registers[Iocon] & IoconBank) != 0;

    /// <summary>Maps a bus address to the canonical register, or -1 for an address the current bank does not have.</summary>
    private int Canonical(byte address)
    {
        if (!Bank1)
        {
            return address < RegisterCount ? address : -1;
        }

        var port = address >> 4;
        var index = address & 0x0F;
        return port <= 1 && index <= 0x0A ? (index == 5 ? Iocon : (index * 2) + port) : -1;
    }

    private void Advance()
    {
        var seqopDisabled = (_registers[Iocon] & IoconSeqopDisabled) != 0;
        if (Bank1)
        {
            _pointer = seqopDisabled ? _pointer : (byte)(_pointer + 1);
        }
        else
        {
            // BANK = 0 with SEQOP disabled toggles between a pair's A and B registers, so a port pair can be polled.
            _pointer = seqopDisabled ? (byte)(_pointer ^ 1) : (byte)(_pointer >= RegisterCount - 1 ? 0 : _pointer + 1);
        }
    }

    private void Store(byte address, byte value)
    {
        var reg = Canonical(address);
        switch (reg)
        {
            case < 0 or Intf or Intf + 1 or Intcap or Intcap + 1:
                return; // unimplemented or read-only
            case Iocon or Iocon + 1:
                _registers[Iocon] = (byte)(value & 0xFE); // bit 0 is unimplemented
                return;
            case Gpio or Gpio + 1:
                _registers[reg + 2] = value; // writing GPIO writes OLAT
                break;
            default:
                _registers[reg] = value;
                break;
        }

        Evaluate();
    }

    private byte Load(byte address)
    {
        var reg = Canonical(address);
        if (reg < 0)
        {
            return 0;
        }

        var value = reg is Gpio or Gpio + 1 ? GpioOf(reg - Gpio) : _registers[reg == Iocon + 1 ? Iocon : reg];
        if (reg is Intcap or Intcap + 1 or Gpio or Gpio + 1)
        {
            _registers[Intf + (reg & 1)] = 0; // reading INTCAP or GPIO of a port clears that port's interrupt
            Evaluate();
        }

        return value;
    }

    private bool Level(int pin)
    {
        var port = pin >> 3;
        var bit = 1 << (pin & 7);
        return (_registers[Iodir + port] & bit) == 0
            ? (_registers[Olat + port] & bit) != 0
            : _external[pin] ?? (_registers[Gppu + port] & bit) != 0;
    }

    /// <summary>GPIO as read: pin levels, inverted where IPOL is set on an input.</summary>
    private byte GpioOf(int port)
    {
        var levels = 0;
        for (var bit = 0; bit < 8; bit++)
        {
            levels |= Level((port * 8) + bit) ? 1 << bit : 0;
        }

        return (byte)(levels ^ (_registers[Ipol + port] & _registers[Iodir + port]));
    }

    /// <summary>The first change on an enabled input latches INTF and INTCAP; later ones wait for the clear.</summary>
    private void Evaluate()
    {
        for (var port = 0; port < 2; port++)
        {
            var gpio = GpioOf(port);
            var enabled = _registers[Gpinten + port] & _registers[Iodir + port];
            var intcon = _registers[Intcon + port];
            var condition = enabled & ((intcon & (gpio ^ _registers[Defval + port])) | (~intcon & (gpio ^ _previous[port])));
            if (condition != 0 && _registers[Intf + port] == 0)
            {
                _registers[Intf + port] = (byte)condition;
                _registers[Intcap + port] = gpio;
            }

            _previous[port] = gpio;
        }
    }

    /// <summary>INTA as IOCON configures it (MIRROR, open-drain, polarity): reported only when its level changes.</summary>
    private void UpdateInterruptLine()
    {
        bool level;
        lock (_gate)
        {
            var iocon = _registers[Iocon];
            var mirror = (iocon & IoconMirror) != 0;
            var asserted = mirror ? (_registers[Intf] | _registers[Intf + 1]) != 0 : _registers[Intf] != 0;
            var activeHigh = (iocon & IoconOpenDrain) == 0 && (iocon & IoconActiveHigh) != 0;
            level = asserted == activeHigh;
            if (level == _intLevel)
            {
                return;
            }

            _intLevel = level;
        }

        _driver?.SetInputLevel(_interruptLine, level);
        InterruptLevelChanged?.Invoke(level);
    }
}
