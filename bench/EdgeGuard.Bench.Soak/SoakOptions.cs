using System.Globalization;

namespace EdgeGuard.Bench.Soak;

/// <summary>Command-line options; the defaults are a 10-minute run at a busy site's pace.</summary>
internal sealed record SoakOptions
{
    public const string Usage = """
        usage: EdgeGuard.Bench.Soak [options]
          --minutes N               how long the site is driven (default 10)
          --rate R                  door contact changes per second (default 20); spread over
                                    2 doors per change/s so no door reaches the shipped chatter
                                    limit (8 changes in 10 s): at most 24/s on the simulated chip
          --broker-restart-every S  stop Mosquitto (SIGTERM), wait 3 s, start it again on the same
                                    port with its persistence, every S seconds (default 60; 0 never)
          --panic-every S           a panic press, then the keyswitch clear, every S seconds
                                    (default 30; 0 never)
          --journal-max-records N   the gateway's journal.maxRecords (default 2000, so retention
                                    deletes delivered events all along and the journal's disk use
                                    must level off; the shipped 1100000 is never reached in a run)
          --sample-every S          seconds between samples of the gateway process (default 10)
          --samples-file FILE       the samples as CSV (default soak-samples.csv); the gateway's
                                    own output goes beside it, to FILE without .csv + .gateway.log
          --gateway EXE             run this edgeguard executable (a Native AOT publish, say)
                                    instead of the edgeguard.dll built beside the harness
        exit codes: 0 every event reached the office and the retained state matches the gateway,
                    1 an event was lost, duplicated without being marked, reordered, or the state
                    differs (or the gateway died), 2 could not run
        """;

    public double Minutes { get; init; } = 10;

    public double Rate { get; init; } = 20;

    public int BrokerRestartEverySeconds { get; init; } = 60;

    public int PanicEverySeconds { get; init; } = 30;

    public int JournalMaxRecords { get; init; } = 2_000;

    public int SampleEverySeconds { get; init; } = 10;

    /// <summary>An edgeguard executable to run instead of the JIT build beside the harness; null for that one.</summary>
    public string? GatewayExecutable { get; init; }

    public string SamplesFile { get; init; } = "soak-samples.csv";

    public bool Help { get; init; }

    public string GatewayLog => Path.ChangeExtension(SamplesFile, null) + ".gateway.log";

    public TimeSpan Duration => TimeSpan.FromMinutes(Minutes);

    public static SoakOptions Parse(string[] args)
    {
        var options = new SoakOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var name = args[i];
            options = name switch
            {
                "--minutes" => options with { Minutes = Number(args, ref i, min: 0.1) },
                "--rate" => options with { Rate = Number(args, ref i, min: 0.1) },
                "--broker-restart-every" => options with { BrokerRestartEverySeconds = Count(args, ref i, min: 0) },
                "--panic-every" => options with { PanicEverySeconds = Count(args, ref i, min: 0) },
                // The gateway's own range (README: journal.maxRecords 1,000–100,000,000).
                "--journal-max-records" => options with { JournalMaxRecords = Count(args, ref i, min: 1_000) },
                "--sample-every" => options with { SampleEverySeconds = Count(args, ref i, min: 1) },
                "--samples-file" => options with { SamplesFile = Value(args, ref i) },
                "--gateway" => options with { GatewayExecutable = Path.GetFullPath(Value(args, ref i)) },
                "-h" or "--help" => options with { Help = true },
                _ => throw new ArgumentException($"unknown option '{name}'"),
            };
        }

        // A restart cycle is 3 s down plus the reconnects: a shorter period would leave the broker
        // down most of the time, which is an outage run (EndToEnd --outage), not a soak.
        if (options.BrokerRestartEverySeconds is > 0 and < 10)
        {
            throw new ArgumentException("--broker-restart-every needs 0 (never) or at least 10 seconds");
        }

        if (options.GatewayExecutable is { } exe && !File.Exists(exe))
        {
            throw new ArgumentException($"--gateway: no executable at {exe}");
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

    private static double Number(string[] args, ref int i, double min)
    {
        var text = Value(args, ref i);
        return double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var n) && n >= min
            ? n
            : throw new ArgumentException($"{args[i - 1]} needs a number ≥ {min.ToString(CultureInfo.InvariantCulture)}, not '{text}'");
    }
}
