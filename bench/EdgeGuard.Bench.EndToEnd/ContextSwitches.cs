using System.Globalization;

namespace EdgeGuard.Bench.EndToEnd;

/// <summary>
/// Context switches per latency sample, by thread: this process's (the runtime's timer thread, its
/// socket event thread, the pool's workers, the journal writer) and Mosquitto's, read from
/// <c>/proc</c> around each block. On the bench's VM a wake-up costs more than the CPU work around
/// it (docs/PERFORMANCE.md, runs Z13), so where a row switches is where it pays. Voluntary switches
/// (a thread that blocked and was woken again), except for Mosquitto, whose preemptions are counted
/// too: a broker preempted by the gateway's threads delivers later. The pool workers' preemptions
/// are left out: they are mostly their own spin-waiting's yields. And the CPU time each group ran
/// (<c>schedstat</c>), Mosquitto's included: the journal writer's commits are the gateway row's
/// largest, about half a millisecond per one-event commit on the bench's VM (runs Z14). Empty
/// where there is no <c>/proc</c>.
/// </summary>
internal sealed class ContextSwitches
{
    private const string Broker = "Mosquitto";
    private const string BrokerPreempted = "Mosquitto preempted";

    // Keys of the CPU time (nanoseconds) each group ran, next to its switches in the same counters.
    private const string Cpu = "cpu ";

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

    // Summed over each group's threads, by counter name (a label, or "cpu " + label).
    private readonly Dictionary<string, long> _counts = new(StringComparer.Ordinal);
    private long _samples;

    /// <summary>
    /// The counters now, per thread ("pid/tid") of this process and the broker's: switches under
    /// the group's label, and the CPU time it ran in nanoseconds under "cpu " + label.
    /// </summary>
    public static Dictionary<(string Counter, string Thread), long> Read(int brokerPid)
    {
        var counts = new Dictionary<(string Counter, string Thread), long>();
        ReadProcess(Environment.ProcessId, counts);
        ReadProcess(brokerPid, counts);
        return counts;
    }

    /// <summary>Adds one block: its samples and the counters before and after it.</summary>
    public void Add(
        int samples, Dictionary<(string Counter, string Thread), long> before, Dictionary<(string Counter, string Thread), long> after)
    {
        _samples += samples;
        foreach (var (key, count) in after)
        {
            // Per thread: one that started during the block counts from 0; one that ended during it
            // is left out, rather than taking its whole lifetime's CPU off its group.
            _counts[key.Counter] = _counts.GetValueOrDefault(key.Counter) + count - before.GetValueOrDefault(key);
        }
    }

    /// <summary>"timer thread 4.9, socket events 1.3, …" per sample, in a fixed order; empty when nothing was read.</summary>
    public string Describe() => PerSample(Labels, label => label, count => count, "0.0");

    /// <summary>"timer thread 150, …, journal writer 550, …": µs of CPU per sample; empty when nothing was read.</summary>
    public string DescribeCpu() =>
        PerSample(Groups.Select(group => group.Label), label => Cpu + label, ns => ns / 1000.0, "0");

    // Each label's counter (under key(label)), scaled, per sample, in the labels' order.
    private string PerSample(
        IEnumerable<string> labels, Func<string, string> key, Func<double, double> scale, string format)
    {
        var parts = new List<string>();
        foreach (var label in labels)
        {
            if (_samples > 0 && _counts.TryGetValue(key(label), out var count))
            {
                parts.Add(label + " " + (scale(count) / _samples).ToString(format, CultureInfo.InvariantCulture));
            }
        }

        return string.Join(", ", parts);
    }

    private static void ReadProcess(int pid, Dictionary<(string Counter, string Thread), long> counts)
    {
        var tasks = $"/proc/{pid}/task";
        if (!Directory.Exists(tasks))
        {
            return;
        }

        foreach (var task in Directory.EnumerateDirectories(tasks))
        {
            var name = TryRead(Path.Combine(task, "comm"))?.TrimEnd('\n');
            var label = Array.Find(Groups, group => group.Thread == name).Label;
            var status = label is null ? null : TryRead(Path.Combine(task, "status"));
            if (label is null || status is null)
            {
                continue; // a thread outside the groups, or one that ended while being read
            }

            var thread = $"{pid}/{Path.GetFileName(task)}";
            counts[(label, thread)] = Field(status, "voluntary_ctxt_switches:");
            if (label == Broker)
            {
                counts[(BrokerPreempted, thread)] = Field(status, "nonvoluntary_ctxt_switches:");
            }

            // "<ns on a CPU> <ns waiting for one> <timeslices>"
            var schedstat = TryRead(Path.Combine(task, "schedstat"))?.Split(' ');
            if (schedstat is not null && long.TryParse(schedstat[0], NumberStyles.None, CultureInfo.InvariantCulture, out var ran))
            {
                counts[(Cpu + label, thread)] = ran;
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
