using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace EdgeGuard.Hardware.Drivers.Mcp23017;

/// <summary>
/// A pin of an MCP23017 as configuration names it: <c>mcp23017@0x20:A3</c> (chip address 0x20..0x27 in hex,
/// port A or B, bit 0..7). Case-insensitive. Parsing is pure so the configuration validator can report
/// every malformed line with its path.
/// </summary>
/// <param name="Address">7-bit I2C address, 0x20..0x27 (set by the A2..A0 pins).</param>
/// <param name="Pin">0..15: A0..A7 are 0..7, B0..B7 are 8..15.</param>
public readonly record struct Mcp23017LineAddress(int Address, int Pin)
{
    /// <summary>What every line name starts with.</summary>
    public const string Prefix = "mcp23017@";

    /// <summary>Lowest address the chip can have (A2..A0 tied low).</summary>
    public const int FirstAddress = 0x20;

    /// <summary>Highest address the chip can have (A2..A0 tied high).</summary>
    public const int LastAddress = 0x27;

    /// <summary>True when the text names an expander line at all (so it is parsed here, not as a GPIO number).</summary>
    public static bool IsExpanderLine(string? text) => text?.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Parses a line name; on failure <paramref name="error"/> says what is wrong and what is expected.</summary>
    public static bool TryParse(string? text, out Mcp23017LineAddress address, [NotNullWhen(false)] out string? error)
    {
        address = default;
        const string expected = "expected 'mcp23017@0xAA:PN' with AA = 20..27 and PN = A0..A7 or B0..B7, e.g. 'mcp23017@0x20:A3'";
        if (!IsExpanderLine(text))
        {
            error = $"'{text}' is not an MCP23017 line: {expected}";
            return false;
        }

        var rest = text![Prefix.Length..];
        var colon = rest.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            error = $"'{text}' has no pin after the address: {expected}";
            return false;
        }

        var addressText = rest[..colon];
        var pinText = rest[(colon + 1)..];
        if (!addressText.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            || !int.TryParse(addressText.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var chip)
            || chip is < FirstAddress or > LastAddress)
        {
            error = $"'{text}': address '{addressText}' is not 0x20..0x27 (the MCP23017's A2..A0 pins select one of those eight)";
            return false;
        }

        if (pinText.Length != 2 || char.ToUpperInvariant(pinText[0]) is not ('A' or 'B') || pinText[1] is < '0' or > '7')
        {
            error = $"'{text}': pin '{pinText}' is not A0..A7 or B0..B7";
            return false;
        }

        address = new Mcp23017LineAddress(chip, (char.ToUpperInvariant(pinText[0]) == 'B' ? 8 : 0) + (pinText[1] - '0'));
        error = null;
        return true;
    }

    /// <summary>
    /// Parses a chip name without a pin (<c>mcp23017@0x20</c>), as an expander's id in configuration; on
    /// failure <paramref name="error"/> says what is expected.
    /// </summary>
    public static bool TryParseChip(string? text, out int address, [NotNullWhen(false)] out string? error)
    {
        address = 0;
        if (text is null || text.Contains(':', StringComparison.Ordinal) || !TryParse(text + ":A0", out var parsed, out _))
        {
            error = $"'{text}' is not an MCP23017 chip name: expected 'mcp23017@0xAA' with AA = 20..27 (set by its A2..A0 pins), e.g. 'mcp23017@0x20'";
            return false;
        }

        address = parsed.Address;
        error = null;
        return true;
    }

    /// <summary>The chip's canonical name, e.g. <c>mcp23017@0x20</c> (what <see cref="Mcp23017.Name"/> reports).</summary>
    public string Chip => string.Create(CultureInfo.InvariantCulture, $"{Prefix}0x{Address:x2}");

    /// <summary>The canonical name, e.g. <c>mcp23017@0x20:A3</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}0x{Address:x2}:{Mcp23017Configuration.PinName(Pin)}");
}
