using System.Globalization;

namespace EdgeGuard.Bench.Soak;

/// <summary>
/// The run's Markdown summary: first, last and max of every sampled figure and its least-squares
/// slope per hour over the samples after the warm-up (the first 20 % of the run dropped: start-up
/// allocation, JIT and the first journal pages are growth that stops). Growth is reported, not
/// judged: a human reads the slopes against the run's length and the figures' noise.
/// </summary>
internal sealed class SoakReport
{
    public required SoakOptions Options { get; init; }

    public required IReadOnlyList<Sample> Samples { get; init; }

    public required int Doors { get; init; }

    public required long EdgesSet { get; init; }

    public required long LastSeq { get; init; }

    public required long DeliveredThrough { get; init; }

    public required OfficeLedger Ledger { get; init; }

    public required int PanicCycles { get; init; }

    public required int BrokerRestarts { get; init; }

    public required IReadOnlyList<string> StateMismatches { get; init; }

    public required int? GatewayExit { get; init; }

    public required TimeSpan Driven { get; init; }

    /// <summary>The gateway's open descriptors by kind at the end of the run.</summary>
    public required string Descriptors { get; init; }

    /// <summary>The state directory's files at the end of the run.</summary>
    public required string StateFiles { get; init; }

    public bool DeliveryComplete => Ledger.Intact(LastSeq) && DeliveredThrough == LastSeq;

    public bool Passed => DeliveryComplete && StateMismatches.Count == 0;

    public void Print(TextWriter o)
    {
        var build = Options.GatewayExecutable is { } exe ? $"`{exe}`" : "the Release JIT build beside the harness";
        o.WriteLine(Invariant($"## Soak: {Driven.TotalMinutes:0.0} min of the real gateway (`edgeguard run --simulate`, {build})"));
        o.WriteLine();
        o.WriteLine(Invariant($"{Options.Rate:0.#} door changes/s over {Doors} added door contacts, a panic press and keyswitch clear every {Options.PanicEverySeconds} s ({PanicCycles} cycles), Mosquitto restarted every {Options.BrokerRestartEverySeconds} s ({BrokerRestarts} restarts), journal.maxRecords {Options.JournalMaxRecords:N0}."));
        o.WriteLine();
        var warm = Samples.Where(s => s.Seconds >= Driven.TotalSeconds * 0.2).ToList();
        o.WriteLine(Invariant($"Samples: {Samples.Count} every {Options.SampleEverySeconds} s (`{Options.SamplesFile}`); slopes over the {warm.Count} after the first 20 % ({Driven.TotalSeconds * 0.2:0} s)."));
        o.WriteLine();
        o.WriteLine("| figure | first | last | max | slope per hour after warm-up |");
        o.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        Row(o, "VmRSS (MiB)", Samples, warm, s => s.RssKib / 1024.0);
        Row(o, "VmHWM (MiB)", Samples, warm, s => s.HwmKib / 1024.0);
        Row(o, "threads", Samples, warm, s => s.Threads);
        Row(o, "open fds", Samples, warm, s => s.Fds);
        Row(o, "state directory (MiB)", Samples, warm, s => s.JournalBytes / 1024.0 / 1024.0);
        o.WriteLine();
        o.WriteLine($"At the end: descriptors {Descriptors}; state directory {StateFiles}.");
        o.WriteLine();
        o.WriteLine(Invariant($"| delivery | |"));
        o.WriteLine("| --- | --- |");
        o.WriteLine(Invariant($"| point changes set (doors, panic, keyswitch) | {EdgesSet:N0} |"));
        o.WriteLine(Invariant($"| events journaled (the gateway's last seq) | {LastSeq:N0} |"));
        o.WriteLine(Invariant($"| acknowledged by the broker (outbox delivered_through) | {DeliveredThrough:N0} |"));
        o.WriteLine(Invariant($"| at the office | {Ledger.Describe(LastSeq)} |"));
        var state = StateMismatches.Count == 0 ? "matches the gateway's `sim status`" : string.Join("; ", StateMismatches);
        o.WriteLine(Invariant($"| retained state/lockdown and state/points | {state} |"));
        o.WriteLine(Invariant($"| gateway exit on SIGTERM | {(GatewayExit is { } code ? code.ToString(CultureInfo.InvariantCulture) : "killed after 30 s")} |"));
        o.WriteLine();
        o.WriteLine(Passed
            ? "Soak: every event reached the office, none unmarked twice or out of order; retained state matches."
            : "Soak: FAILED — delivery incomplete or retained state differs (see above).");
    }

    private static void Row(TextWriter o, string name, IReadOnlyList<Sample> all, IReadOnlyList<Sample> warm, Func<Sample, double> value)
    {
        if (all.Count == 0)
        {
            o.WriteLine($"| {name} | n/a | n/a | n/a | n/a |");
            return;
        }

        var slope = Slope(warm.Select(s => (s.Seconds / 3600.0, value(s))).ToList());
        var slopeText = slope is { } per ? Invariant($"{per:+0.###;-0.###;0}") : "n/a (fewer than 3 samples)";
        o.WriteLine(Invariant($"| {name} | {value(all[0]):0.##} | {value(all[^1]):0.##} | {all.Max(value):0.##} | {slopeText} |"));
    }

    /// <summary>Least-squares slope of y over x; null with fewer than 3 points or no spread in x.</summary>
    public static double? Slope(IReadOnlyList<(double X, double Y)> points)
    {
        if (points.Count < 3)
        {
            return null;
        }

        var meanX = points.Average(p => p.X);
        var meanY = points.Average(p => p.Y);
        var sxx = points.Sum(p => (p.X - meanX) * (p.X - meanX));
        var sxy = points.Sum(p => (p.X - meanX) * (p.Y - meanY));
        return sxx == 0 ? null : sxy / sxx;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
