using System.Device.I2c;

namespace EdgeGuard.Hardware.Simulation;

/// <summary>
/// An MCP23017 for simulate mode: enough of the chip for <see cref="Drivers.Mcp23017.Mcp23017"/> to run
/// unchanged (BANK = 0 register file with sequential addressing, pull-ups, outputs from OLAT,
/// interrupt-on-change latching INTF/INTCAP until INTCAP or GPIO is read). Its INTA drives a line of the
/// <see cref="SimulatedGpioDriver"/>, so the expander's interrupt path runs as on a gateway. The register-level
/// model of every datasheet detail (BANK = 1, SEQOP, polarity) is the test fake's job.
/// </summary>
public sealed class SimulatedMcp23017 : I2cDevice
{
    private const int Iodir = 0x00, Gpinten = 0x04, Defval = 0x06, Intcon = 0x08, Iocon = 0x0A, Gppu = 0x0C,
        Intf = 0x0E, Intcap = 0x10, Gpio = 0x12, Olat = 0x14, RegisterCount = 0x16;

    private readonly SimulatedGpioDriver _driver;
    private readonly int _interruptLine;
    private readonly byte[] _registers = new byte[RegisterCount];
    private readonly bool?[] _external = new bool?[16];
    private readonly byte[] _previous = new byte[2];
    private readonly Lock _gate = new();
    private byte _pointer;
    private bool _intLevel = true;

    /// <summary>A chip at <paramref name="address"/> whose INTA is wired to <paramref name="interruptLine"/>.</summary>
    public SimulatedMcp23017(SimulatedGpioDriver driver, int bus, int address, int interruptLine)
    {
        ArgumentNullException.ThrowIfNull(driver);
        (_driver, _interruptLine) = (driver, interruptLine);
        ConnectionSettings = new I2cConnectionSettings(bus, address);
        _registers[Iodir] = 0xFF;
        _registers[Iodir + 1] = 0xFF;
        driver.SetInputLevel(interruptLine, true); // released: open-drain with the host's pull-up
    }

    /// <inheritdoc/>
    public override I2cConnectionSettings ConnectionSettings { get; }

    /// <summary>The outside world drives a pin (a contact to ground reads low).</summary>
    public void SetPin(int pin, bool high)
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

    /// <summary>
    /// A brown-out: every register back to its power-on value (IODIR = 0xFF, everything else 0), so outputs
    /// become inputs and interrupts are off, as the gateway's supervision must detect and repair. What drives
    /// the pins from outside is kept.
    /// </summary>
    public void PowerOnReset()
    {
        lock (_gate)
        {
            Array.Clear(_registers);
            _registers[Iodir] = 0xFF;
            _registers[Iodir + 1] = 0xFF;
            _pointer = 0;
            _previous[0] = GpioOf(0);
            _previous[1] = GpioOf(1);
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

    private void Transact(ReadOnlySpan<byte> written, Span<byte> read)
    {
        lock (_gate)
        {
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
        }

        // Outside the lock: the driver may run the expander's callback, which reads this chip again.
        UpdateInterruptLine();
    }

    private void Advance() => _pointer = (byte)(_pointer >= RegisterCount - 1 ? 0 : _pointer + 1);

    private void Store(byte register, byte value)
    {
        switch (register)
        {
            case >= RegisterCount or Intf or Intf + 1 or Intcap or Intcap + 1:
                return; // read-only
            case Iocon or Iocon + 1:
                _registers[Iocon] = (byte)(value & 0x7E); // BANK stays 0 in this model; bit 0 is unimplemented
                return;
            case Gpio or Gpio + 1:
                _registers[register + 2] = value; // writing GPIO writes OLAT
                break;
            default:
                _registers[register] = value;
                break;
        }

        Evaluate();
    }

    private byte Load(byte register)
    {
        if (register >= RegisterCount)
        {
            return 0;
        }

        var value = register is Gpio or Gpio + 1 ? GpioOf(register - Gpio) : _registers[register == Iocon + 1 ? Iocon : register];
        if (register is Intcap or Intcap + 1 or Gpio or Gpio + 1)
        {
            _registers[Intf + (register & 1)] = 0; // reading INTCAP or GPIO clears the port's interrupt
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

    private byte GpioOf(int port)
    {
        var levels = 0;
        for (var bit = 0; bit < 8; bit++)
        {
            levels |= Level((port * 8) + bit) ? 1 << bit : 0;
        }

        return (byte)levels;
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

    /// <summary>INTA as the driver configures it (MIRROR, open-drain): low while either port has a pending interrupt.</summary>
    private void UpdateInterruptLine()
    {
        bool level;
        lock (_gate)
        {
            var mirror = (_registers[Iocon] & 0x40) != 0;
            var asserted = mirror ? (_registers[Intf] | _registers[Intf + 1]) != 0 : _registers[Intf] != 0;
            var activeHigh = (_registers[Iocon] & 0x04) == 0 && (_registers[Iocon] & 0x02) != 0;
            level = asserted == activeHigh;
            if (level == _intLevel)
            {
                return;
            }

            _intLevel = level;
        }

        _driver.SetInputLevel(_interruptLine, level);
    }
}
