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
    private static readonly (string Thread, string Label)[] Groups =
    [
        (".NET Timer", "timer thread"),
        (".NET Sockets", "socket events"),
        (".NET TP Worker", "pool workers"),
        ("EdgeGuard journ", "journal writer"),
        ("mosquitto", "Mosquitto"),
    ];

    private readonly Dictionary<string, long> _switches = new(StringComparer.Ordinal);
    private long _samples;

    /// <summary>The counters now, by group label, for this process and the broker (null: none found).</summary>
    public static Dictionary<string, long> Read(int? brokerPid)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        ReadProcess(Environment.ProcessId, counts);
        if (brokerPid is { } pid)
        {
            ReadProcess(pid, counts);
        }

        return counts;
    }

    /// <summary>Mosquitto's pid when the harness started it (a child of this process), else null.</summary>
    public static int? FindBroker()
    {
        if (!Directory.Exists("/proc"))
        {
            return null;
        }

        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm has no spaces for mosquitto.
            var stat = TryRead(Path.Combine(dir, "stat"));
            var fields = stat?.Split(' ');
            if (fields is { Length: > 3 } && fields[1] == "(mosquitto)"
                && int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out var parent) && parent == Environment.ProcessId)
            {
                return pid;
            }
        }

        return null;
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
        foreach (var (_, label) in Groups)
        {
            if (_switches.TryGetValue(label, out var count))
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{label} {count / (double)_samples:0.0}"));
            }
        }

        if (_switches.TryGetValue(PreemptedLabel, out var preempted))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"Mosquitto preempted {preempted / (double)_samples:0.0}"));
        }

        return string.Join(", ", parts);
    }

    private const string PreemptedLabel = "Mosquitto preempted";

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
            if (label == "Mosquitto")
            {
                counts[PreemptedLabel] = counts.GetValueOrDefault(PreemptedLabel) + Field(status, "nonvoluntary_ctxt_switches:");
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
