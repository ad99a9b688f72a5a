using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Mcp23017;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Simulation;

/// <summary>
/// Sets a simulated point wherever its line is: a native line on the simulated GPIO chip, a pin of a
/// simulated expander, or the reading of a supervised loop on a simulated ADC.
/// </summary>
public sealed class SimulatedBoard(SiteDefinition site, IoBoardOptions board, SimulatedGpioDriver driver, SimulatedBusDevices buses)
{
    /// <summary>Loop conditions the simulator can put a supervised loop in, by protocol name.</summary>
    public static IReadOnlyDictionary<string, LoopState> LoopConditions { get; } = new Dictionary<string, LoopState>(StringComparer.OrdinalIgnoreCase)
    {
        ["normal"] = LoopState.Normal,
        ["alarm"] = LoopState.Alarm,
        ["open"] = LoopState.OpenCircuitTamper,
        ["short"] = LoopState.ShortCircuitTamper,
    };

    /// <summary>Sets the point as a person would: a supervised loop goes to its alarm or normal reading.</summary>
    public void Set(PointDefinition point, bool active)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (point.LineAddress is null)
        {
            driver.SetInputLevel(point.Line, point.LevelFor(active));
        }
        else if (Mcp23017LineAddress.TryParse(point.LineAddress, out var pin, out _))
        {
            buses.Expander(pin.Chip).SetPin(pin.Pin, point.LevelFor(active));
        }
        else
        {
            SetLoop(point, active ? LoopState.Alarm : LoopState.Normal);
        }
    }

    /// <summary>Puts a supervised loop's reading in the band of <paramref name="state"/>; returns an error for any other point.</summary>
    public string? SetLoop(PointDefinition point, LoopState state)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (board.LoopOf(point.Id) is not { } loop)
        {
            return $"point '{point.Id}' is not a supervised loop; loops: {string.Join(", ", board.Loops.Select(l => l.PointId))}";
        }

        buses.Adc(loop.AdcId)[loop.Channel] = SimulatedBusDevices.ReadingFor(loop.Thresholds, state);
        return null;
    }

    /// <summary>
    /// Whether a point's line now reads active, wherever it is; a supervised loop is active outside its
    /// normal band (in alarm, cut or bridged): only a loop at rest says the door is surely closed.
    /// </summary>
    public bool IsActive(PointDefinition point)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (point.LineAddress is null)
        {
            return point.IsActive(driver.GetInputLevel(point.Line));
        }

        if (Mcp23017LineAddress.TryParse(point.LineAddress, out var pin, out _))
        {
            return point.IsActive(buses.Expander(pin.Chip).PinLevel(pin.Pin));
        }

        var loop = board.LoopOf(point.Id) ?? throw new ArgumentException($"point '{point.Id}' has no line on this board", nameof(point));
        return new EolLoopClassifier(loop.Thresholds).Classify(buses.Adc(loop.AdcId)[loop.Channel]) != LoopState.Normal;
    }

    /// <summary>The level an output's line is at: a native line's driven level, or an expander pin's.</summary>
    public bool OutputLevel(OutputDefinition output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output.LineAddress is null)
        {
            return driver.GetOutputLevel(output.Line);
        }

        return Mcp23017LineAddress.TryParse(output.LineAddress, out var pin, out var error)
            ? buses.Expander(pin.Chip).PinLevel(pin.Pin)
            : throw new ArgumentException($"output '{output.Id}': {error}", nameof(output));
    }

    /// <summary>Puts every board point at rest (the native lines are quieted by the GPIO driver's own helper).</summary>
    public SimulatedBoard Quiet()
    {
        foreach (var point in site.Points.Where(p => p.LineAddress is not null))
        {
            Set(point, active: false);
        }

        return this;
    }
}
