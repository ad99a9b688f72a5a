namespace EdgeGuard.Hardware.Drivers.Supervision;

/// <summary>
/// Turns an ADC reading of an end-of-line supervised loop into a <see cref="LoopState"/>. Pure: no I/O, no
/// time, no hysteresis (a reading that wanders across a band edge is chatter, which the point's filter handles).
/// </summary>
public sealed class EolLoopClassifier
{
    /// <summary>Creates the classifier for validated thresholds.</summary>
    /// <exception cref="ArgumentException">The thresholds are invalid; the message lists every problem.</exception>
    public EolLoopClassifier(EolThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(thresholds);
        Thresholds = thresholds.EnsureValid();
    }

    /// <summary>The band edges in use.</summary>
    public EolThresholds Thresholds { get; }

    /// <summary>Classifies one reading (0..1023). Band edges are inclusive upper bounds: <c>ShortMax</c> is still a short.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The reading is outside 0..1023.</exception>
    public LoopState Classify(int reading)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(reading);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(reading, EolThresholds.MaxReading);
        var t = Thresholds;
        var shorted = reading <= t.ShortMax;
        var open = reading > (t.AlarmMax ?? t.NormalMax);
        return t.Wiring switch
        {
            // A series contact that opens is indistinguishable from a cut: both are an alarm.
            EolWiring.SingleSeries => shorted ? LoopState.ShortCircuitTamper : open ? LoopState.Alarm : LoopState.Normal,
            // A parallel contact that closes is indistinguishable from a bridge: both are an alarm.
            EolWiring.SingleParallel => shorted ? LoopState.Alarm : open ? LoopState.OpenCircuitTamper : LoopState.Normal,
            _ => shorted ? LoopState.ShortCircuitTamper
                : open ? LoopState.OpenCircuitTamper
                : reading <= t.NormalMax ? LoopState.Normal
                : LoopState.Alarm,
        };
    }
}
