using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace EdgeGuard.Hardware.Drivers.Mcp3008;

/// <summary>
/// A channel of an MCP3008 as configuration names it: <c>mcp3008@0.1:CH2</c> is channel 2 of the chip on
/// SPI bus 0, chip select 1 (<c>/dev/spidev0.1</c>). The chip alone is <c>mcp3008@0.1</c>. Case-insensitive;
/// parsing is pure so the configuration validator can report every malformed name with its path.
/// </summary>
/// <param name="Bus">SPI bus number (0..255).</param>
/// <param name="ChipSelect">Chip-select line on that bus (0..255).</param>
/// <param name="Channel">0..7 (CH0..CH7).</param>
public readonly record struct Mcp3008ChannelAddress(int Bus, int ChipSelect, int Channel)
{
    /// <summary>What every chip and channel name starts with.</summary>
    public const string Prefix = "mcp3008@";

    private const string Expected = "expected 'mcp3008@B.C:CHn' with B = SPI bus, C = chip select and n = 0..7, e.g. 'mcp3008@0.0:CH2'";

    /// <summary>The chip's name, e.g. <c>mcp3008@0.1</c>.</summary>
    public string Chip => ChipName(Bus, ChipSelect);

    /// <summary>True when the text names an MCP3008 chip or channel at all.</summary>
    public static bool IsAdcName(string? text) => text?.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>The canonical chip name for a bus and chip select.</summary>
    public static string ChipName(int bus, int chipSelect) =>
        string.Create(CultureInfo.InvariantCulture, $"{Prefix}{bus}.{chipSelect}");

    /// <summary>Parses a chip name (<c>mcp3008@0.1</c>); on failure <paramref name="error"/> says what is expected.</summary>
    public static bool TryParseChip(string? text, out int bus, out int chipSelect, [NotNullWhen(false)] out string? error)
    {
        bus = chipSelect = 0;
        if (!IsAdcName(text))
        {
            error = $"'{text}' is not an MCP3008 name: expected 'mcp3008@B.C' with B = SPI bus and C = chip select, e.g. 'mcp3008@0.0'";
            return false;
        }

        var parts = text![Prefix.Length..].Split('.');
        if (parts.Length != 2 || !Small(parts[0], out bus) || !Small(parts[1], out chipSelect))
        {
            error = $"'{text}': expected 'mcp3008@B.C' with B = SPI bus and C = chip select (whole numbers 0..255), e.g. 'mcp3008@0.0' for /dev/spidev0.0";
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>Parses a channel name; on failure <paramref name="error"/> says what is wrong and what is expected.</summary>
    public static bool TryParse(string? text, out Mcp3008ChannelAddress address, [NotNullWhen(false)] out string? error)
    {
        address = default;
        if (!IsAdcName(text))
        {
            error = $"'{text}' is not an MCP3008 channel: {Expected}";
            return false;
        }

        var colon = text!.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            error = $"'{text}' has no channel after the chip: {Expected}";
            return false;
        }

        if (!TryParseChip(text[..colon], out var bus, out var chipSelect, out error))
        {
            return false;
        }

        var channelText = text[(colon + 1)..];
        if (channelText.Length != 3 || !channelText.StartsWith("CH", StringComparison.OrdinalIgnoreCase)
            || channelText[2] is < '0' or > '7')
        {
            error = $"'{text}': channel '{channelText}' is not CH0..CH7";
            return false;
        }

        address = new Mcp3008ChannelAddress(bus, chipSelect, channelText[2] - '0');
        return true;
    }

    /// <summary>The canonical name, e.g. <c>mcp3008@0.0:CH2</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Chip}:CH{Channel}");

    private static bool Small(string text, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value <= 255;
}
