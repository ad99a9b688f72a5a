using System.Globalization;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>
/// Context switches per latency sample, by thread: this process's (the runtime's timer thread, its
/// socket event thread, the pool's workers, the journal writer) and Mosquitto's, read from
/// <c>/proc</c> around each block. On the bench's VM a wake-up costs more than the CPU work around
/// it (docs/PERFORMANCE.md, runs Z13), so where a row switches is where it pays. Voluntary switches
/// (a thread that blocked and was woken again), except for Mosquitto, whose preemptions are counted
/// too: a broker preempted by the gateway's threads delivers later. The pool workers' preemptions
/// are left out: they are mostly their own spin-waiting's yields. Empty where there is no <c>/proc</c>.
/// </summary>
internal sealed class ContextSwitches
{
    private const string Broker = "Mosquitto";
    private const string BrokerPreempted = "Mosquitto preempted";

    private static readonly (string Thread, string Label)[] Groups =
    [
        (".NET Timer", "timer thread"),
        (".NET Sockets", "socket events"),
        (".NET TP Worker", "pool workers"),
        ("EdgeGuard journ", "journal writer"),
        ("mosquitto", Broker),
    ];

    // The order Describe reports them in.
    private static readonly string[] Labels = [.. Groups.Select(group => group.Label), BrokerPreempted];

    private readonly Dictionary<string, long> _switches = new(StringComparer.Ordinal);
    private long _samples;

    /// <summary>The counters now, by group label, for this process and the broker's.</summary>
    public static Dictionary<string, long> Read(int brokerPid)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        ReadProcess(Environment.ProcessId, counts);
        ReadProcess(brokerPid, counts);
        return counts;
    }

    /// <summary>Adds one block: its samples and the counters before and after it.</summary>
    public void Add(int samples, Dictionary<string, long> before, Dictionary<string, long> after)
    {
        _samples += samples;
        foreach (var (label, count) in after)
        {
            _switches[label] = _switches.GetValueOrDefault(label) + count - before.GetValueOrDefault(label);
        }
    }

    /// <summary>"timer thread 4.9, socket events 1.3, …" per sample, in a fixed order; empty when nothing was read.</summary>
    public string Describe()
    {
        if (_samples == 0 || _switches.Count == 0)
        {
            return string.Empty;
        }

        var parts = new List<string>();
        foreach (var label in Labels)
        {
            if (_switches.TryGetValue(label, out var count))
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{label} {count / (double)_samples:0.0}"));
            }
        }

        return string.Join(", ", parts);
    }

    private static void ReadProcess(int pid, Dictionary<string, long> counts)
    {
        var tasks = $"/proc/{pid}/task";
        if (!Directory.Exists(tasks))
        {
            return;
        }

        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            var name = TryRead(Path.Combine(task, "comm"))?.TrimEnd('\n');
            var status = TryRead(Path.Combine(task, "status"));
            var label = Array.Find(Groups, group => group.Thread == name).Label;
            if (label is null || status is null)
            {
                continue; // a thread outside the groups, or one that ended while being read
            }

            counts[label] = counts.GetValueOrDefault(label) + Field(status, "voluntary_ctxt_switches:");
            if (label == Broker)
            {
                counts[BrokerPreempted] = counts.GetValueOrDefault(BrokerPreempted) + Field(status, "nonvoluntary_ctxt_switches:");
            }
        }
    }

    private static long Field(string status, string key)
    {
        foreach (var line in status.Split('\n'))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(key.Length).Trim(), NumberStyles.None, CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }

    private static string? TryRead(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (IOException)
        {
            return null; // the thread or process ended between the listing and the read
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
