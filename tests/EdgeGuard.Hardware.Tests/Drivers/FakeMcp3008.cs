using System.Device.Spi;

namespace EdgeGuard.Hardware.Tests.Drivers;

/// <summary>One full-duplex SPI transfer: what went out on MOSI and what came back on MISO.</summary>
public sealed record SpiTransfer(byte[] Sent, byte[] Received)
{
    public override string ToString() => $"{Convert.ToHexString(Sent)} -> {Convert.ToHexString(Received)}";
}

/// <summary>
/// An MCP3008 behind a fake <see cref="SpiDevice"/>. It decodes the frame as the chip does (leading zeros,
/// start bit, SGL/DIFF, D2..D0) and answers with the bit timing of datasheet figure 6-1: bits the chip does
/// not drive read as 1 (MISO pulled up), then the null bit 0, then B9..B0. Every transfer is recorded.
/// </summary>
public sealed class FakeMcp3008 : SpiDevice
{
    private readonly int[] _channels = new int[8];
    private readonly List<SpiTransfer> _transfers = [];

    public FakeMcp3008(SpiConnectionSettings? settings = null) =>
        ConnectionSettings = settings ?? new SpiConnectionSettings(0, 0) { Mode = SpiMode.Mode0, ClockFrequency = 1_000_000 };

    public override SpiConnectionSettings ConnectionSettings { get; }

    public IReadOnlyList<SpiTransfer> Transfers => _transfers;

    /// <summary>When true nothing answers: MISO floats high, as with the chip unplugged.</summary>
    public bool Absent { get; set; }

    public IOException? FailNext { get; set; }

    public int this[int channel]
    {
        get => _channels[channel];
        set => _channels[channel] = value is >= 0 and <= 1023 ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public override void TransferFullDuplex(ReadOnlySpan<byte> writeBuffer, Span<byte> readBuffer)
    {
        if (FailNext is { } failure)
        {
            FailNext = null;
            throw failure;
        }

        if (writeBuffer.Length != readBuffer.Length)
        {
            throw new ArgumentException("A full-duplex transfer clocks as many bytes in as out.");
        }

        readBuffer.Fill(0xFF);
        if (!Absent)
        {
            Answer(writeBuffer, readBuffer);
        }

        _transfers.Add(new SpiTransfer(writeBuffer.ToArray(), readBuffer.ToArray()));
    }

    public override void Write(ReadOnlySpan<byte> buffer) => throw new NotSupportedException("The MCP3008 is only used full duplex.");

    public override void WriteByte(byte value) => throw new NotSupportedException("The MCP3008 is only used full duplex.");

    public override void Read(Span<byte> buffer) => throw new NotSupportedException("The MCP3008 is only used full duplex.");

    public override byte ReadByte() => throw new NotSupportedException("The MCP3008 is only used full duplex.");

    /// <summary>Bit-level model: the first 1 is the start bit, then 4 control bits, a sample clock, the null bit and 10 data bits, MSB first.</summary>
    private void Answer(ReadOnlySpan<byte> mosi, Span<byte> miso)
    {
        var bits = mosi.Length * 8;
        var sent = mosi.ToArray();
        int Bit(int i) => (sent[i / 8] >> (7 - (i % 8))) & 1;
        var start = 0;
        while (start < bits && Bit(start) == 0)
        {
            start++;
        }

        if (start + 5 > bits)
        {
            return; // no complete command: the chip never drives MISO
        }

        var single = Bit(start + 1) == 1;
        var channel = (Bit(start + 2) << 2) | (Bit(start + 3) << 1) | Bit(start + 4);
        var value = single ? _channels[channel] : Differential(channel);
        // After D0 comes one sample clock, then the null bit, then B9..B0.
        var nullBit = start + 6;
        for (var i = 0; i <= 10 && nullBit + i < bits; i++)
        {
            var bit = i == 0 ? 0 : (value >> (10 - i)) & 1;
            var at = nullBit + i;
            var mask = 1 << (7 - (at % 8));
            miso[at / 8] = (byte)(bit == 1 ? miso[at / 8] | mask : miso[at / 8] & ~mask);
        }
    }

    private int Differential(int pair) =>
        Math.Max(0, _channels[(pair & 6) | (pair & 1)] - _channels[(pair & 6) | ((pair & 1) ^ 1)]);
}
