using System.Device.Spi;

namespace EdgeGuard.Hardware.Drivers.Mcp3008;

/// <summary>
/// Microchip MCP3008 8-channel 10-bit ADC on a <see cref="SpiDevice"/>; reads single-ended channels
/// (0 = input at ground, 1023 = input at VREF).
/// </summary>
/// <remarks>
/// One conversion is one 3-byte full-duplex transfer: <c>0x01</c> (start bit), <c>0x80 | channel &lt;&lt; 4</c>
/// (single-ended, channel D2..D0), <c>0x00</c> (clocks for the result). The answer's second byte ends in
/// the null bit and B9..B8, the third byte is B7..B0. Thread-safe as far as the <see cref="SpiDevice"/> is
/// (each read is one transfer). Does not own the device.
/// </remarks>
public sealed class Mcp3008
{
    /// <summary>Channels on the chip: CH0..CH7.</summary>
    public const int ChannelCount = 8;

    /// <summary>Highest reading (10 bits).</summary>
    public const int MaxReading = 1023;

    /// <summary>Fastest clock the chip allows (at VDD = 5 V; at 3.3 V stay at or below about 2 MHz).</summary>
    public const int MaxClockFrequency = 3_600_000;

    /// <summary>The null bit's position in the second received byte: the chip always sends 0 there.</summary>
    private const byte NullBit = 0x04;

    private readonly SpiDevice _device;

    /// <summary>Wraps the ADC. The device must use SPI mode 0 or 3 (the only modes the chip supports) at a legal clock.</summary>
    /// <exception cref="ArgumentException">The SPI mode or clock frequency does not suit the chip.</exception>
    public Mcp3008(SpiDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var settings = device.ConnectionSettings;
        if (settings.Mode is not (SpiMode.Mode0 or SpiMode.Mode3))
        {
            throw new ArgumentException(
                $"MCP3008 on SPI {settings.BusId}.{settings.ChipSelectLine}: mode {settings.Mode} is not supported; use Mode0 or Mode3.", nameof(device));
        }

        if (settings.ClockFrequency is <= 0 or > MaxClockFrequency)
        {
            throw new ArgumentException(
                $"MCP3008 on SPI {settings.BusId}.{settings.ChipSelectLine}: clock {settings.ClockFrequency} Hz is outside 1..{MaxClockFrequency} Hz; 1 MHz is a safe choice at 3.3 V.", nameof(device));
        }

        _device = device;
    }

    /// <summary>The transmit frame for a single-ended conversion of <paramref name="channel"/>.</summary>
    public static ReadOnlySpan<byte> Frame(int channel) => channel switch
    {
        0 => [0x01, 0x80, 0x00],
        1 => [0x01, 0x90, 0x00],
        2 => [0x01, 0xA0, 0x00],
        3 => [0x01, 0xB0, 0x00],
        4 => [0x01, 0xC0, 0x00],
        5 => [0x01, 0xD0, 0x00],
        6 => [0x01, 0xE0, 0x00],
        7 => [0x01, 0xF0, 0x00],
        _ => throw new ArgumentOutOfRangeException(nameof(channel), channel, $"The MCP3008 has channels 0..{ChannelCount - 1}."),
    };

    /// <summary>Converts one single-ended channel: 0..1023.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The channel is not 0..7.</exception>
    /// <exception cref="HardwareException">The chip did not answer (bus error, or a null bit that is not 0).</exception>
    public int Read(int channel)
    {
        var tx = Frame(channel);
        Span<byte> rx = stackalloc byte[3];
        var settings = _device.ConnectionSettings;
        try
        {
            _device.TransferFullDuplex(tx, rx);
        }
        catch (IOException ex)
        {
            throw new HardwareException($"MCP3008 on SPI {settings.BusId}.{settings.ChipSelectLine}: channel {channel} could not be read: {ex.Message}", ex);
        }

        // A chip that is missing or unpowered leaves MISO floating or pulled up, and all-ones would decode
        // as 1023: an "open circuit" on every loop instead of a dead ADC. The null bit tells them apart.
        if ((rx[1] & NullBit) != 0)
        {
            throw new HardwareException(
                $"MCP3008 on SPI {settings.BusId}.{settings.ChipSelectLine}: no answer on channel {channel} (received {rx[0]:x2} {rx[1]:x2} {rx[2]:x2}, null bit not 0). Check MISO, chip select and power.");
        }

        return ((rx[1] & 0x03) << 8) | rx[2];
    }
}
