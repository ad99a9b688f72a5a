namespace EdgeGuard.Hardware.Drivers.Mcp23017;

/// <summary>
/// MCP23017 register addresses with <c>IOCON.BANK = 0</c> (the power-on default, and the only bank
/// this driver uses): each A register is followed by its B register, so <c>B = A + 1</c> and a pair
/// can be read or written in one sequential I2C transaction.
/// </summary>
public enum Mcp23017Register : byte
{
    /// <summary>I/O direction, port A: 1 = input (reset value 0xFF), 0 = output.</summary>
    IodirA = 0x00,
    /// <summary>I/O direction, port B.</summary>
    IodirB = 0x01,
    /// <summary>Input polarity, port A: 1 = GPIO reads the inverted pin level.</summary>
    IpolA = 0x02,
    /// <summary>Input polarity, port B.</summary>
    IpolB = 0x03,
    /// <summary>Interrupt-on-change enable, port A.</summary>
    GpintenA = 0x04,
    /// <summary>Interrupt-on-change enable, port B.</summary>
    GpintenB = 0x05,
    /// <summary>Default compare value, port A (used where INTCON = 1).</summary>
    DefvalA = 0x06,
    /// <summary>Default compare value, port B.</summary>
    DefvalB = 0x07,
    /// <summary>Interrupt control, port A: 1 = compare with DEFVAL, 0 = compare with the previous value.</summary>
    IntconA = 0x08,
    /// <summary>Interrupt control, port B.</summary>
    IntconB = 0x09,
    /// <summary>Configuration (one register, also visible at 0x0B).</summary>
    Iocon = 0x0A,
    /// <summary>The same IOCON register at its second address.</summary>
    IoconAlias = 0x0B,
    /// <summary>100 kΩ pull-up enable, port A.</summary>
    GppuA = 0x0C,
    /// <summary>100 kΩ pull-up enable, port B.</summary>
    GppuB = 0x0D,
    /// <summary>Interrupt flags, port A (read-only): which pin caused the pending interrupt.</summary>
    IntfA = 0x0E,
    /// <summary>Interrupt flags, port B.</summary>
    IntfB = 0x0F,
    /// <summary>Interrupt capture, port A (read-only): GPIOA at the moment of the interrupt; reading it clears the interrupt.</summary>
    IntcapA = 0x10,
    /// <summary>Interrupt capture, port B.</summary>
    IntcapB = 0x11,
    /// <summary>Port A pin levels (reading clears the port's interrupt; writing writes OLATA).</summary>
    GpioA = 0x12,
    /// <summary>Port B pin levels.</summary>
    GpioB = 0x13,
    /// <summary>Output latch, port A: the level every output pin drives.</summary>
    OlatA = 0x14,
    /// <summary>Output latch, port B.</summary>
    OlatB = 0x15,
}

/// <summary>Bits of the MCP23017 IOCON register.</summary>
[Flags]
public enum Mcp23017Iocon : byte
{
    /// <summary>All bits clear: the power-on configuration.</summary>
    None = 0,
    /// <summary>Bit 1: INT pins active-high (ignored when <see cref="OpenDrain"/> is set).</summary>
    IntPolarityHigh = 0x02,
    /// <summary>Bit 2: INT pins are open-drain outputs.</summary>
    OpenDrain = 0x04,
    /// <summary>Bit 3: hardware address enable (MCP23S17, SPI only; no effect on the I2C part).</summary>
    HardwareAddress = 0x08,
    /// <summary>Bit 4: SDA slew-rate control disabled.</summary>
    DisableSlewRate = 0x10,
    /// <summary>Bit 5: sequential operation disabled (address pointer does not increment).</summary>
    SequentialDisabled = 0x20,
    /// <summary>Bit 6: INTA and INTB are internally connected (either port asserts both pins).</summary>
    Mirror = 0x40,
    /// <summary>Bit 7: registers grouped by port (BANK = 1); never set by this driver.</summary>
    Bank = 0x80,
}
