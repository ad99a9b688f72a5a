using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.Hardware.Board;

/// <summary>An MCP23017 expander as configured.</summary>
/// <param name="Id">The chip's name, <c>mcp23017@0x20</c>; its pins are named <c>mcp23017@0x20:A3</c>.</param>
/// <param name="Bus">I2C bus number (<c>/dev/i2c-1</c> is 1).</param>
/// <param name="Address">7-bit I2C address, 0x20..0x27.</param>
/// <param name="InterruptLine">The native GPIO line the chip's INTA is wired to.</param>
public sealed record ExpanderOptions(string Id, int Bus, int Address, int InterruptLine);

/// <summary>An MCP3008 ADC as configured.</summary>
/// <param name="Id">The chip's name, <c>mcp3008@0.0</c> (SPI bus 0, chip select 0); channels are <c>mcp3008@0.0:CH2</c>.</param>
/// <param name="Bus">SPI bus number.</param>
/// <param name="ChipSelect">Chip-select line on the bus.</param>
/// <param name="ClockHz">SPI clock.</param>
/// <param name="PollInterval">How often every loop on the chip is read (the chip has no interrupt).</param>
public sealed record AdcOptions(string Id, int Bus, int ChipSelect, int ClockHz, TimeSpan PollInterval);

/// <summary>A point read as an end-of-line supervised loop on an ADC channel.</summary>
/// <param name="PointId">The point.</param>
/// <param name="AdcId">The ADC's <see cref="AdcOptions.Id"/>.</param>
/// <param name="Channel">0..7.</param>
/// <param name="Thresholds">Validated band edges.</param>
public sealed record SupervisedLoopOptions(string PointId, string AdcId, int Channel, EolThresholds Thresholds);

/// <summary>Everything on the gateway's I/O board beyond its native GPIO lines; empty when there is none.</summary>
public sealed record IoBoardOptions(
    IReadOnlyList<ExpanderOptions> Expanders,
    IReadOnlyList<AdcOptions> Adcs,
    IReadOnlyList<SupervisedLoopOptions> Loops)
{
    /// <summary>No expander, no ADC: every line is a native GPIO line.</summary>
    public static IoBoardOptions None { get; } = new([], [], []);

    /// <summary>
    /// Default interval between two readings of a supervised loop (25 ms): inside
    /// <see cref="EolLoopLines.MaxLifeSafetyPollInterval"/> (33 ms) with room for timer jitter, so a
    /// chip that reads a panic button or fire input needs no setting to see a 100 ms press with one poll lost.
    /// </summary>
    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>The loop of a point, or null when the point is not on an ADC.</summary>
    public SupervisedLoopOptions? LoopOf(string pointId) => Loops.FirstOrDefault(l => l.PointId == pointId);
}
