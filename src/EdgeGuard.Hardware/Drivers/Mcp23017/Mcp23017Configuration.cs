namespace EdgeGuard.Hardware.Drivers.Mcp23017;

/// <summary>
/// How the sixteen pins of an MCP23017 are set up. Every mask has one bit per pin: bit 0..7 = A0..A7,
/// bit 8..15 = B0..B7 (port A in the low byte, as the registers are laid out with BANK = 0).
/// </summary>
public sealed record Mcp23017Configuration
{
    /// <summary>IODIR: 1 = input, 0 = output. Defaults to all inputs, the chip's own reset state.</summary>
    public ushort Inputs { get; init; } = 0xFFFF;

    /// <summary>GPPU: inputs with the internal 100 kΩ pull-up (the chip has no pull-downs).</summary>
    public ushort PullUps { get; init; }

    /// <summary>IPOL: inputs whose GPIO bit reads the inverted pin level. The gateway leaves this 0 and lets Core interpret levels.</summary>
    public ushort InvertedInputs { get; init; }

    /// <summary>GPINTEN: inputs that raise the interrupt.</summary>
    public ushort InterruptPins { get; init; }

    /// <summary>INTCON: interrupt pins compared with <see cref="DefaultValues"/> (1) instead of their previous level (0, interrupt-on-change).</summary>
    public ushort CompareWithDefault { get; init; }

    /// <summary>DEFVAL: the level a <see cref="CompareWithDefault"/> pin is expected to have; any other level interrupts.</summary>
    public ushort DefaultValues { get; init; }

    /// <summary>OLAT: the level each output drives from the instant it becomes an output.</summary>
    public ushort InitialOutputs { get; init; }

    /// <summary>
    /// The configuration the gateway gives a chip: <paramref name="outputs"/> are outputs at
    /// <paramref name="initialOutputs"/>, every <paramref name="inputs"/> pin interrupts on change, and
    /// pull-ups are on where asked and on every unused pin (a floating CMOS input draws current and can
    /// oscillate). One place, so the boot's check of a chip configured by the last run
    /// (<c>ExpanderBank.ReadBeforeOutputs</c>) compares with exactly what a boot sends.
    /// </summary>
    /// <param name="inputs">The pins of input points.</param>
    /// <param name="pullUps">The input pins whose point asks for the chip's pull-up.</param>
    /// <param name="outputs">The pins of outputs.</param>
    /// <param name="initialOutputs">The level of each output from its first instant.</param>
    public static Mcp23017Configuration ForLines(ushort inputs, ushort pullUps, ushort outputs, ushort initialOutputs)
    {
        var unused = (ushort)~(inputs | outputs);
        return new Mcp23017Configuration
        {
            Inputs = (ushort)~outputs,
            PullUps = (ushort)(pullUps | unused),
            InterruptPins = inputs,
            InitialOutputs = initialOutputs,
        };
    }

    /// <summary>
    /// Every inconsistency in the configuration, one sentence each naming the pins (e.g. <c>pull-up set on
    /// output pins A3, B0</c>); empty when it is valid. A bit that only makes sense on another kind of pin
    /// is a configuration mistake even where the chip would ignore it.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var outputs = (ushort)~Inputs;
        var problems = new List<string>();
        Check(problems, PullUps & outputs, "pull-up (GPPU) set on output pins");
        Check(problems, InvertedInputs & outputs, "inverted polarity (IPOL) set on output pins");
        Check(problems, InterruptPins & outputs, "interrupt (GPINTEN) enabled on output pins");
        Check(problems, CompareWithDefault & ~InterruptPins, "compare-with-default (INTCON) set on pins without an interrupt");
        Check(problems, DefaultValues & ~CompareWithDefault, "default value (DEFVAL) set on pins that are not compared with it");
        Check(problems, InitialOutputs & Inputs, "initial output level (OLAT) set on input pins");
        return problems;
    }

    /// <summary>Names pins the way the datasheet and the configuration do: <c>A0</c>..<c>A7</c>, <c>B0</c>..<c>B7</c>.</summary>
    public static string PinName(int pin)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(pin);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pin, Mcp23017.PinCount - 1);
        return $"{(pin < 8 ? 'A' : 'B')}{pin % 8}";
    }

    /// <summary>Names every pin set in a mask, comma-separated, A0 first.</summary>
    public static string PinNames(int mask) =>
        string.Join(", ", Enumerable.Range(0, Mcp23017.PinCount).Where(pin => (mask & (1 << pin)) != 0).Select(PinName));

    private static void Check(List<string> problems, int mask, string what)
    {
        if ((mask & 0xFFFF) != 0)
        {
            problems.Add($"{what} {PinNames(mask & 0xFFFF)}");
        }
    }
}

/// <summary>What the chip reported for one interrupt, read in one burst.</summary>
/// <param name="Flags">INTF: the pins whose change raised the interrupt (0 when none was pending).</param>
/// <param name="Captured">INTCAP: all pin levels (GPIO) latched when the interrupt was raised.</param>
/// <param name="Levels">GPIO: the pin levels now, after the capture; a pin that changed again after the capture differs from <see cref="Captured"/>.</param>
public readonly record struct Mcp23017Interrupt(ushort Flags, ushort Captured, ushort Levels);
