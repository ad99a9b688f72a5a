using System.Device.Spi;

namespace EdgeGuard.Hardware.Simulation;

/// <summary>
/// An MCP3008 for simulate mode: answers the single-ended conversion frame <c>01, 80|ch&lt;&lt;4, 00</c> with the
/// channel's reading (null bit 0, bits the chip does not drive read as 1). Readings are set from outside, as
/// a loop's resistance would set them.
/// </summary>
public sealed class SimulatedMcp3008 : SpiDevice
{
    private readonly int[] _readings = new int[8];

    /// <summary>A chip on SPI bus and chip select of <paramref name="settings"/>.</summary>
    public SimulatedMcp3008(SpiConnectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ConnectionSettings = settings;
    }

    /// <inheritdoc/>
    public override SpiConnectionSettings ConnectionSettings { get; }

    /// <summary>The reading a channel converts to (0..1023).</summary>
    public int this[int channel]
    {
        get => Volatile.Read(ref _readings[channel]);
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1023);
            Volatile.Write(ref _readings[channel], value);
        }
    }

    /// <inheritdoc/>
    public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        if (writeBuffer.Length != 3 || readBuffer.Length != 3 || writeBuffer[0] != 0x01 || (writeBuffer[1] & 0x8F) != 0x80)
        {
            throw new IOException("The simulated MCP3008 only answers single-ended conversion frames (01, 80|ch<<4, 00).");
        }

        var value = this[(writeBuffer[1] >> 4) & 0x07];
        readBuffer[0] = 0xFF;
        readBuffer[1] = (byte)(0xF8 | (value >> 8));
        readBuffer[2] = (byte)value;
    }

    /// <inheritdoc/>
    public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException("The MCP3008 is only used full duplex.");

    /// <inheritdoc/>
    public override void WriteByte(byte value) => throw new NotSupportedException("The MCP3008 is only used full duplex.");

    /// <inheritdoc/>
    public override void Read(Span<byte> buffer) => throw new NotSupportedException("The MCP3008 is only used full duplex.");

    /// <inheritdoc/>
    public override byte ReadByte() => throw new NotSupportedException("The MCP3008 is only used full duplex.");
}
