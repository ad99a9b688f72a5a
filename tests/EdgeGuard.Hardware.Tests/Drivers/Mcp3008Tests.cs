using System.Device.Spi;
using CsCheck;
using EdgeGuard.Hardware.Drivers.Mcp3008;

namespace EdgeGuard.Hardware.Tests.Drivers;

public sealed class Mcp3008Tests
{
    [Fact]
    public void Each_channel_is_one_three_byte_frame_and_the_answer_decodes_to_its_reading()
    {
        var fake = new FakeMcp3008();
        int[] values = [0, 1, 255, 256, 511, 677, 1000, 1023];
        for (var ch = 0; ch < 8; ch++)
        {
            fake[ch] = values[ch];
        }

        var adc = new Mcp3008(fake);
        var readings = Enumerable.Range(0, 8).Select(adc.Read).ToArray();

        Assert.Equal(values, readings);
        Assert.Equal(
            [
                "018000 -> FFF800",
                "019000 -> FFF801",
                "01A000 -> FFF8FF",
                "01B000 -> FFF900",
                "01C000 -> FFF9FF",
                "01D000 -> FFFAA5",
                "01E000 -> FFFBE8",
                "01F000 -> FFFBFF",
            ],
            fake.Transfers.Select(t => t.ToString()));
    }

    [Fact]
    public void Any_channel_and_value_reads_back_exactly() =>
        Gen.Int[0, 7].Select(Gen.Int[0, 1023]).Sample((channel, value) =>
        {
            var fake = new FakeMcp3008 { [channel] = value };
            return new Mcp3008(fake).Read(channel) == value
                && fake.Transfers.Single().Sent.SequenceEqual(new byte[] { 0x01, (byte)(0x80 | (channel << 4)), 0x00 });
        });

    [Fact]
    public void A_missing_chip_is_not_mistaken_for_an_open_loop()
    {
        var fake = new FakeMcp3008 { Absent = true };

        var ex = Assert.Throws<HardwareException>(() => new Mcp3008(fake).Read(3));

        Assert.Contains("MCP3008 on SPI 0.0: no answer on channel 3 (received ff ff ff, null bit not 0)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bus_error_names_the_device_and_channel()
    {
        var fake = new FakeMcp3008 { FailNext = new IOException("Input/output error") };

        var ex = Assert.Throws<HardwareException>(() => new Mcp3008(fake).Read(5));

        Assert.Equal("MCP3008 on SPI 0.0: channel 5 could not be read: Input/output error", ex.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(8)]
    public void A_channel_outside_0_to_7_is_refused_before_any_transfer(int channel)
    {
        var fake = new FakeMcp3008();

        Assert.Throws<ArgumentOutOfRangeException>(() => new Mcp3008(fake).Read(channel));
        Assert.Empty(fake.Transfers);
    }

    [Fact]
    public void SPI_modes_the_chip_does_not_support_are_refused()
    {
        var fake = new FakeMcp3008(new SpiConnectionSettings(0, 1) { Mode = SpiMode.Mode1, ClockFrequency = 1_000_000 });

        var ex = Assert.Throws<ArgumentException>(() => new Mcp3008(fake));

        Assert.StartsWith("MCP3008 on SPI 0.1: mode Mode1 is not supported; use Mode0 or Mode3.", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_clock_faster_than_the_chip_is_refused()
    {
        var fake = new FakeMcp3008(new SpiConnectionSettings(0, 0) { Mode = SpiMode.Mode3, ClockFrequency = 10_000_000 });

        var ex = Assert.Throws<ArgumentException>(() => new Mcp3008(fake));

        Assert.Contains("clock 10000000 Hz is outside 1..3600000 Hz", ex.Message, StringComparison.Ordinal);
    }
}
