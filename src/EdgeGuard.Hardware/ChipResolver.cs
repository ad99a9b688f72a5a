using System.Device.Gpio;
using System.Globalization;

namespace EdgeGuard.Hardware;

/// <summary>
/// Finds the configured GPIO chip among the chips the driver reports. Pure, so every way a technician
/// may name a chip is tested without hardware.
/// </summary>
public static class ChipResolver
{
    /// <summary>
    /// Resolves <paramref name="chip"/>: a chip number (<c>0</c>), a device name (<c>gpiochip4</c> or
    /// <c>/dev/gpiochip4</c>) or a label (<c>pinctrl-rp1</c>). A label is only accepted when exactly
    /// one chip carries it, because the wrong chip would put locks and sirens on the wrong pins.
    /// </summary>
    /// <exception cref="HardwareException">Nothing matches, or the label is ambiguous; the message lists the available chips.</exception>
    public static GpioChipInfo Resolve(string chip, IReadOnlyList<GpioChipInfo> available)
    {
        ArgumentNullException.ThrowIfNull(available);
        var wanted = chip?.Trim() ?? string.Empty;
        if (wanted.Length == 0)
        {
            throw new HardwareException($"No GPIO chip is configured. {Describe(available)}");
        }

        if (int.TryParse(wanted, NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            return available.FirstOrDefault(c => c.Id == id) ?? throw NotFound(wanted, available);
        }

        var name = wanted.StartsWith("/dev/", StringComparison.Ordinal) ? wanted["/dev/".Length..] : wanted;
        var byName = available.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.Ordinal));
        if (byName is not null)
        {
            return byName;
        }

        var byLabel = available.Where(c => string.Equals(c.Label, wanted, StringComparison.Ordinal)).ToList();
        return byLabel.Count switch
        {
            1 => byLabel[0],
            0 => throw NotFound(wanted, available),
            _ => throw new HardwareException(
                $"GPIO chip label '{wanted}' is carried by {byLabel.Count} chips; configure the chip by name or number instead. {Describe(available)}"),
        };
    }

    /// <summary>One line per chip, for error messages and the <c>validate</c> verb.</summary>
    public static string Describe(IReadOnlyList<GpioChipInfo> available)
    {
        ArgumentNullException.ThrowIfNull(available);
        if (available.Count == 0)
        {
            return "No GPIO chips were found (is /dev/gpiochip* present and readable by the service user?).";
        }

        var chips = available.Select(c => string.Create(
            CultureInfo.InvariantCulture, $"{c.Id} = {c.Name} '{c.Label}' ({c.NumLines} lines)"));
        return $"Available chips: {string.Join("; ", chips)}.";
    }

    private static HardwareException NotFound(string wanted, IReadOnlyList<GpioChipInfo> available) =>
        new($"GPIO chip '{wanted}' was not found. {Describe(available)}");
}
