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
