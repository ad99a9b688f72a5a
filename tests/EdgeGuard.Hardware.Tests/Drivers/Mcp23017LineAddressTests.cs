using CsCheck;
using EdgeGuard.Hardware.Drivers.Mcp23017;

namespace EdgeGuard.Hardware.Tests.Drivers;

public sealed class Mcp23017LineAddressTests
{
    [Theory]
    [InlineData("mcp23017@0x20:A3", 0x20, 3)]
    [InlineData("MCP23017@0X27:b7", 0x27, 15)]
    [InlineData("mcp23017@0x21:B0", 0x21, 8)]
    public void Valid_names_parse(string text, int address, int pin)
    {
        Assert.True(Mcp23017LineAddress.TryParse(text, out var parsed, out var error), error);
        Assert.Equal(new Mcp23017LineAddress(address, pin), parsed);
    }

    [Theory]
    [InlineData("18", "is not an MCP23017 line")]
    [InlineData("mcp23017@0x20", "has no pin after the address")]
    [InlineData("mcp23017@0x28:A0", "address '0x28' is not 0x20..0x27")]
    [InlineData("mcp23017@32:A0", "address '32' is not 0x20..0x27")]
    [InlineData("mcp23017@0x20:C1", "pin 'C1' is not A0..A7 or B0..B7")]
    [InlineData("mcp23017@0x20:A8", "pin 'A8' is not A0..A7 or B0..B7")]
    public void Malformed_names_say_what_is_wrong(string text, string expected)
    {
        Assert.False(Mcp23017LineAddress.TryParse(text, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_line_round_trips_through_its_name() =>
        Gen.Int[0x20, 0x27].Select(Gen.Int[0, 15]).Sample((address, pin) =>
        {
            var line = new Mcp23017LineAddress(address, pin);
            return Mcp23017LineAddress.TryParse(line.ToString(), out var parsed, out _) && parsed == line;
        });
}
