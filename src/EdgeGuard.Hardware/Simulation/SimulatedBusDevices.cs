using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.Hardware.Simulation;

/// <summary>
/// The I/O board's buses in simulate mode: one <see cref="SimulatedMcp23017"/> per configured expander (its
/// INTA on the simulated GPIO chip) and one <see cref="SimulatedMcp3008"/> per ADC, created up front so the
/// simulator can set their pins and readings before the gateway opens them.
/// </summary>
public sealed class SimulatedBusDevices : IBusDevices
{
    private readonly Dictionary<string, SimulatedMcp23017> _expanders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimulatedMcp3008> _adcs = new(StringComparer.Ordinal);

    /// <summary>Creates the simulated chips of <paramref name="board"/>.</summary>
    public SimulatedBusDevices(SimulatedGpioDriver driver, IoBoardOptions board)
    {
        ArgumentNullException.ThrowIfNull(driver);
        ArgumentNullException.ThrowIfNull(board);
        foreach (var e in board.Expanders)
        {
            _expanders.Add(e.Id, new SimulatedMcp23017(driver, e.Bus, e.Address, e.InterruptLine));
        }

        foreach (var a in board.Adcs)
        {
            _adcs.Add(a.Id, new SimulatedMcp3008(new SpiConnectionSettings(a.Bus, a.ChipSelect) { Mode = SpiMode.Mode0, ClockFrequency = a.ClockHz }));
        }
    }

    /// <summary>The simulated expander with configuration id <paramref name="id"/>.</summary>
    public SimulatedMcp23017 Expander(string id) => _expanders[id];

    /// <summary>The simulated ADC with configuration id <paramref name="id"/>.</summary>
    public SimulatedMcp3008 Adc(string id) => _adcs[id];

    /// <inheritdoc/>
    public I2cDevice OpenExpander(ExpanderOptions expander)
    {
        ArgumentNullException.ThrowIfNull(expander);
        return _expanders[expander.Id];
    }

    /// <inheritdoc/>
    public SpiDevice OpenAdc(AdcOptions adc)
    {
        ArgumentNullException.ThrowIfNull(adc);
        return _adcs[adc.Id];
    }

    /// <summary>
    /// A reading in the middle of the band that <paramref name="thresholds"/> classify as <paramref name="state"/>:
    /// what the simulator puts on a channel to cut, short, trip or restore a loop. Where the wiring folds a
    /// tamper into alarm (or the reverse) the reading is the physical one, e.g. a cut single-series loop reads
    /// open and is classified as alarm.
    /// </summary>
    public static int ReadingFor(EolThresholds thresholds, LoopState state)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        return (state, thresholds.Wiring) switch
        {
            (LoopState.ShortCircuitTamper, _) => 0,
            (LoopState.OpenCircuitTamper, _) => EolThresholds.MaxReading,
            (LoopState.Normal, _) => (thresholds.ShortMax + 1 + thresholds.NormalMax) / 2,
            (LoopState.Alarm, EolWiring.Double) => (thresholds.NormalMax + 1 + thresholds.AlarmMax!.Value) / 2,
            (LoopState.Alarm, EolWiring.SingleSeries) => EolThresholds.MaxReading,
            (LoopState.Alarm, _) => 0,
            _ => throw new ArgumentOutOfRangeException(nameof(state), state, null),
        };
    }
}
