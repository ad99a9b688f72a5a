using System.Globalization;

namespace EdgeGuard.Hardware.Drivers.Supervision;

/// <summary>
/// Where the bands of a supervised loop end on the ADC's 0..1023 scale. Each value is the <b>highest reading
/// still in its band</b> (inclusive), and the bands follow each other upwards: short, normal, alarm (double EOL
/// only), open.
/// </summary>
/// <param name="Wiring">How the loop is wired; decides how many bands there are and what they mean.</param>
/// <param name="ShortMax">Readings 0..ShortMax are a short circuit.</param>
/// <param name="NormalMax">Readings ShortMax+1..NormalMax are the sensor at rest.</param>
/// <param name="AlarmMax">Double EOL only: readings NormalMax+1..AlarmMax are the sensor tripped; null for single EOL.</param>
public sealed record EolThresholds(EolWiring Wiring, int ShortMax, int NormalMax, int? AlarmMax = null)
{
    /// <summary>Highest ADC reading (10 bits).</summary>
    public const int MaxReading = 1023;

    /// <summary>
    /// Every problem with these thresholds, one sentence each, naming the value; empty when valid. Valid means:
    /// every value within 0..1022 (the band above it must keep at least one reading), strictly ascending so no
    /// two bands overlap and none is empty, and <see cref="AlarmMax"/> given exactly for double EOL.
    /// </summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (!Enum.IsDefined(Wiring))
        {
            problems.Add($"wiring {(int)Wiring} is not one of {string.Join(", ", Enum.GetNames<EolWiring>())}");
            return problems;
        }

        InRange(problems, "shortMax", ShortMax);
        InRange(problems, "normalMax", NormalMax);
        if (ShortMax >= NormalMax)
        {
            problems.Add($"normalMax ({NormalMax}) must be greater than shortMax ({ShortMax}): the normal band would be empty");
        }

        if (Wiring == EolWiring.Double)
        {
            if (AlarmMax is not { } alarmMax)
            {
                problems.Add("alarmMax is required for double-EOL wiring: it ends the alarm band below the open-circuit band");
            }
            else
            {
                InRange(problems, "alarmMax", alarmMax);
                if (NormalMax >= alarmMax)
                {
                    problems.Add($"alarmMax ({alarmMax}) must be greater than normalMax ({NormalMax}): the alarm band would be empty");
                }
            }
        }
        else if (AlarmMax is { } unused)
        {
            problems.Add($"alarmMax ({unused}) applies only to double-EOL wiring; a single-EOL loop has no separate alarm band");
        }

        return problems;
    }

    /// <summary>Throws when <see cref="Validate"/> finds a problem; the message lists them all.</summary>
    /// <exception cref="ArgumentException">At least one problem.</exception>
    public EolThresholds EnsureValid()
    {
        var problems = Validate();
        return problems.Count == 0
            ? this
            : throw new ArgumentException($"Invalid EOL thresholds: {string.Join("; ", problems)}.");
    }

    /// <summary>
    /// Thresholds for a loop of known resistors read through a pull-up to VREF (reading = 1023·R/(R + pull-up)).
    /// Band edges sit at the resistances halfway between the states on a logarithmic scale: half the EOL value
    /// (short side), the geometric mean of rest and tripped (double EOL), and twice the highest legal value (open
    /// side), so each state tolerates the same ratio of drift in both directions.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A resistance is not positive, or alarm ohms is given for single EOL or missing for double EOL.</exception>
    /// <exception cref="ArgumentException">The resistors are too close together for the ADC to tell the states apart.</exception>
    public static EolThresholds Suggest(EolWiring wiring, double pullUpOhms, double eolOhms, double? alarmOhms = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pullUpOhms);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(eolOhms);
        if ((wiring == EolWiring.Double) != alarmOhms.HasValue)
        {
            throw new ArgumentOutOfRangeException(nameof(alarmOhms), alarmOhms, "An alarm resistor is given exactly for double-EOL wiring.");
        }

        int Edge(double ohms) => (int)Math.Floor(MaxReading * ohms / (ohms + pullUpOhms));

        EolThresholds suggested;
        if (alarmOhms is { } alarm)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(alarm);
            var tripped = eolOhms + alarm;
            suggested = new EolThresholds(wiring, Edge(eolOhms / 2), Edge(Math.Sqrt(eolOhms * tripped)), Edge(tripped * 2));
        }
        else
        {
            suggested = new EolThresholds(wiring, Edge(eolOhms / 2), Edge(eolOhms * 2));
        }

        var problems = suggested.Validate();
        return problems.Count == 0
            ? suggested
            : throw new ArgumentException(string.Create(CultureInfo.InvariantCulture,
                $"A {pullUpOhms} Ω pull-up cannot separate the states of this loop ({string.Join("; ", problems)}); choose a pull-up close to the EOL resistor."));
    }

    private static void InRange(List<string> problems, string name, int value)
    {
        if (value is < 0 or >= MaxReading)
        {
            problems.Add($"{name} ({value}) must be within 0..{MaxReading - 1}");
        }
    }
}
