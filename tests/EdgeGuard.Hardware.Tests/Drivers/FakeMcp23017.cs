using System.Device.I2c;

namespace EdgeGuard.Hardware.Tests.Drivers;

/// <summary>One I2C transaction as the bus saw it: bytes the master wrote, then bytes it read.</summary>
public sealed record I2cTransaction(byte[] Written, byte[] Read)
{
    public override string ToString() =>
        $"W[{Convert.ToHexString(Written)}]" + (Read.Length > 0 ? $" R[{Convert.ToHexString(Read)}]" : "");
}

/// <summary>
/// An MCP23017 behind a fake <see cref="I2cDevice"/>: a register file with the datasheet's reset values, the
/// address pointer (sequential in BANK = 0 with wrap after 0x15, A/B toggling with SEQOP = 1, the BANK = 1
/// layout), pins with pull-ups, polarity, outputs from OLAT, and interrupt-on-change with INTF/INTCAP latched
/// at the first change and cleared by reading INTCAP or GPIO. Every transaction is recorded byte for byte.
/// </summary>
public sealed class FakeMcp23017 : I2cDevice
{
    // Canonical register index = BANK = 0 address. In BANK = 1, port A registers are 0x00..0x0A and port B 0x10..0x1A.
    private const int Iodir = 0x00, Ipol = 0x02, Gpinten = 0x04, Defval = 0x06, Intcon = 0x08, IoconReg = 0x0A,
        Gppu = 0x0C, Intf = 0x0E, Intcap = 0x10, Gpio = 0x12, Olat = 0x14;

    private readonly byte[] _registers = new byte[0x16];
    private readonly bool?[] _external = new bool?[16];
    private readonly List<I2cTransaction> _transactions = [];
    private readonly Lock _gate = new();
    private readonly byte[] _previous = new byte[2];
    private byte _pointer;
    private bool _intLevel = true;

    public FakeMcp23017(int address = 0x20, int bus = 1)
    {
        ConnectionSettings = new I2cConnectionSettings(bus, address);
        _registers[Iodir] = 0xFF;
        _registers[Iodir + 1] = 0xFF;
    }

    /// <summary>Raised with the INTA pin's new electrical level when it changes (outside the fake's lock).</summary>
    public event Action<bool>? InterruptLevelChanged;

    public override I2cConnectionSettings ConnectionSettings { get; }

    /// <summary>The next transaction throws this, as a NACK does on Linux.</summary>
    public IOException? FailNext { get; set; }

    /// <summary>While set, a transaction whose written bytes match throws an IOException, as a NACK does (<c>_ =&gt; true</c>: a chip without power).</summary>
    public Predicate<byte[]>? Nack { get; set; }

    public IReadOnlyList<I2cTransaction> Transactions { get { lock (_gate) { return [.. _transactions]; } } }

    /// <summary>The electrical level of INTA: open-drain or active-low drives low when asserted, otherwise high.</summary>
    public bool IntLevel { get { lock (_gate) { return _intLevel; } } }

    public byte this[byte bank0Address] { get { lock (_gate) { return _registers[bank0Address == 0x0B ? IoconReg : bank0Address]; } } }

    public void ClearTransactions() { lock (_gate) { _transactions.Clear(); } }

    /// <summary>A brown-out: every register back to its datasheet reset value (IODIR = 0xFF, the rest 0); pins driven from outside keep their level.</summary>
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

        RaiseInterruptChange();
    }

    /// <summary>Puts the chip in BANK = 1, as another program might have left it.</summary>
    public void ForceBank1() { lock (_gate) { _registers[IoconReg] |= 0x80; } }

    /// <summary>The outside world drives a pin (null = nothing connected).</summary>
    public void SetPin(int pin, bool? high)
    {
        lock (_gate)
        {
            _external[pin] = high;
            Evaluate();
        }

        RaiseInterruptChange();
    }

    /// <summary>The level a pin sits at: its latch when an output, else what is connected, its pull-up, or low.</summary>
    public bool PinLevel(int pin)
    {
        lock (_gate)
        {
            return Level(pin);
        }
    }

    public override byte ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        Read(one);
        return one[0];
    }

    public override void Read(Span<byte> buffer) => Transact([], buffer);

    public override void WriteByte(byte value) => Write([value]);

    public override void Write(ReadOnlySpan<byte> buffer) => Transact(buffer, []);

    public override void WriteRead(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer) => Transact(writeBuffer, readBuffer);

    private void Transact(ReadOnlySpan<byte> written, Span<byte> read)
    {
        lock (_gate)
        {
            if ((FailNext ?? (Nack?.Invoke(written.ToArray()) == true ? new IOException("NACK") : null)) is { } failure)
            {
                FailNext = null;
                _transactions.Add(new I2cTransaction(written.ToArray(), []));
                throw failure;
            }

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

            _transactions.Add(new I2cTransaction(written.ToArray(), read.ToArray()));
        }

        RaiseInterruptChange();
    }

    private bool Bank1 => (_registers[IoconReg] & 0x80) != 0;

    /// <summary>Maps a bus address to the canonical register, or -1 for an address the current bank does not have.</summary>
    private int Canonical(byte address)
    {
        if (!Bank1)
        {
            return address < 0x16 ? address : -1;
        }

        var port = address >> 4;
        var index = address & 0x0F;
        return port <= 1 && index <= 0x0A ? (index == 5 ? IoconReg : (index * 2) + port) : -1;
    }

    private void Advance()
    {
        var seqopDisabled = (_registers[IoconReg] & 0x20) != 0;
        if (Bank1)
        {
            _pointer = seqopDisabled ? _pointer : (byte)(_pointer + 1);
        }
        else
        {
            _pointer = seqopDisabled ? (byte)(_pointer ^ 1) : (byte)(_pointer >= 0x15 ? 0 : _pointer + 1);
        }
    }

    private void Store(byte address, byte value)
    {
        var reg = Canonical(address);
        switch (reg)
        {
            case < 0 or Intf or Intf + 1 or Intcap or Intcap + 1:
                return; // unimplemented or read-only
            case IoconReg or IoconReg + 1:
                _registers[IoconReg] = (byte)(value & 0xFE); // bit 0 is unimplemented
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

        if (reg is IoconReg or IoconReg + 1)
        {
            return _registers[IoconReg];
        }

        var value = reg is Gpio or Gpio + 1 ? GpioOf(reg - Gpio) : _registers[reg];
        if (reg is Intcap or Intcap + 1 or Gpio or Gpio + 1)
        {
            // Reading INTCAP or GPIO of a port clears that port's interrupt.
            _registers[Intf + (reg & 1)] = 0;
            Evaluate();
        }

        return value;
    }

    private bool Level(int pin)
    {
        var port = pin >> 3;
        var bit = 1 << (pin & 7);
        if ((_registers[Iodir + port] & bit) == 0)
        {
            return (_registers[Olat + port] & bit) != 0;
        }

        return _external[pin] ?? (_registers[Gppu + port] & bit) != 0;
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

    /// <summary>Interrupt logic per port: the first condition latches INTF and INTCAP; later ones wait for the clear.</summary>
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

    private void RaiseInterruptChange()
    {
        bool level;
        lock (_gate)
        {
            var iocon = _registers[IoconReg];
            var mirror = (iocon & 0x40) != 0;
            var asserted = mirror ? (_registers[Intf] | _registers[Intf + 1]) != 0 : _registers[Intf] != 0;
            var activeHigh = (iocon & 0x04) == 0 && (iocon & 0x02) != 0;
            level = asserted == activeHigh;
            if (level == _intLevel)
            {
                return;
            }

            _intLevel = level;
        }

        InterruptLevelChanged?.Invoke(level);
    }
}
