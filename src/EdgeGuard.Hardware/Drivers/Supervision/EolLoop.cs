namespace EdgeGuard.Hardware.Drivers.Supervision;

/// <summary>What a supervised loop's reading means.</summary>
public enum LoopState
{
    /// <summary>The sensor is at rest and the wiring is intact.</summary>
    Normal,
    /// <summary>The sensor has tripped (door open, beam broken, button pressed).</summary>
    Alarm,
    /// <summary>The loop resistance is far above any legal value: a cut wire or a removed resistor.</summary>
    OpenCircuitTamper,
    /// <summary>The loop resistance is far below any legal value: the wires have been bridged.</summary>
    ShortCircuitTamper,
}

/// <summary>How the sensor and its end-of-line resistors are wired (see the Supervision README for the schematics).</summary>
public enum EolWiring
{
    /// <summary>
    /// Single EOL, normally-closed contact in series with the resistor. At rest the loop reads the resistor;
    /// the contact opening and a cut wire both read open and are both <see cref="LoopState.Alarm"/>; a short
    /// is <see cref="LoopState.ShortCircuitTamper"/>.
    /// </summary>
    SingleSeries,

    /// <summary>
    /// Single EOL, normally-open contact across the resistor. At rest the loop reads the resistor; the contact
    /// closing and a bridged pair both read short and are both <see cref="LoopState.Alarm"/>; a cut is
    /// <see cref="LoopState.OpenCircuitTamper"/>.
    /// </summary>
    SingleParallel,

    /// <summary>
    /// Double EOL: normally-closed contact across an alarm resistor, in series with the EOL resistor. Rest =
    /// EOL, tripped = EOL + alarm resistor, and short and cut are each their own tamper: all four states apart.
    /// </summary>
    Double,
}
