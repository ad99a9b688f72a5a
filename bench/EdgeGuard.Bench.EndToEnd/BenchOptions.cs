using System.Globalization;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>Command-line options; the defaults keep a run under two minutes on two cores.</summary>
internal sealed record BenchOptions
{
    public const string Usage = """
        usage: EdgeGuard.Bench.EndToEnd [options]
          --events N          messages per throughput stream, bare and gateway (default 20000; above
                              ~40000 the gateway's chatter supervision may suppress bench contacts)
          --latency N         ping-pong latency samples per row (default 1000)
          --warmup N          untimed messages/edges before measuring (default 500)
          --in-flight N       PUBACKs outstanding in the pipelined bare stream (default 64, the
                              OutboxPublisher's MaxInFlight)
          --output-samples N  lockdown/clear pairs for the edge → output row (default 100, 0 skips)
          --outage N          instead of the rows above: stop Mosquitto, set N door edges (a multiple
                              of 40), start it again, and check that all reach the office once, in
                              order (DESIGN.md's target is 1000000; needs about 300 MB in the temp dir)
          --payload-bytes N   bare payload size (default: the measured size of the gateway's events)
          --log-level L       gateway log level (default Warning; Information logs every event)
          --in-process-subscriber
                              run the office subscriber in this process, sharing the gateway's
                              thread pool, instead of a child process (the default)
          --inline-edges      set the door lines on the bench's own running thread, as every run
                              before Z49 did, instead of waking an event thread from a blocking read
                              as the kernel wakes the GPIO driver's (the default)
          --state-dir DIR     parent of the gateway's temp state directory (default the system
                              temp dir; /dev/shm puts the journal on tmpfs, where fsync is free)
          --samples-file FILE write every timed latency sample (row, start and latency in ns of
                              CLOCK_MONOTONIC) to FILE, to line them up with a scheduler trace
                              (bench/trace/README.md)
        exit codes: 0 ran, 1 an event was lost, duplicated or reordered, 2 could not run
        """;

    public int Events { get; init; } = 20_000;

    public int LatencySamples { get; init; } = 1_000;

    public int Warmup { get; init; } = 500;

    public int InFlight { get; init; } = 64;

    public int OutputSamples { get; init; } = 100;

    public int Outage { get; init; }

    public int? PayloadBytes { get; init; }

    public string LogLevel { get; init; } = "Warning";

    public string? StateDir { get; init; }

    public string? SamplesFile { get; init; }

    public bool InProcessSubscriber { get; init; }

    public bool InlineEdges { get; init; }

    public bool Help { get; init; }

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            options = name switch
            {
                "--events" => options with { Events = Count(args, ref i, min: 1) },
                "--latency" => options with { LatencySamples = Count(args, ref i, min: 1) },
                "--warmup" => options with { Warmup = Count(args, ref i, min: 0) },
                "--in-flight" => options with { InFlight = Count(args, ref i, min: 1) },
                "--output-samples" => options with { OutputSamples = Count(args, ref i, min: 0) },
                "--outage" => options with { Outage = Count(args, ref i, min: 40) is var n && n % 40 == 0 ? n : throw new ArgumentException($"--outage needs a multiple of 40 (the bench's doors), not {n}") },
                "--payload-bytes" => options with { PayloadBytes = Count(args, ref i, min: 1) },
                "--log-level" => options with { LogLevel = Value(args, ref i) },
                "--state-dir" => options with { StateDir = Value(args, ref i) },
                "--samples-file" => options with { SamplesFile = Value(args, ref i) },
                "--in-process-subscriber" => options with { InProcessSubscriber = true },
                "--inline-edges" => options with { InlineEdges = true },
                "-h" or "--help" => options with { Help = true },
                _ => throw new ArgumentException($"unknown option '{name}'"),
            };
        }

        return options;
    }

    private static string Value(string[] args, ref int i) =>
        ++i < args.Length ? args[i] : throw new ArgumentException($"{args[i - 1]} needs a value");

    private static int Count(string[] args, ref int i, int min)
    {
        var text = Value(args, ref i);
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= min
            ? n
            : throw new ArgumentException($"{args[i - 1]} needs a whole number ≥ {min}, not '{text}'");
    }
}
