using System.Globalization;

namespace EdgeGuard.Bench.Soak;

/// <summary>One look at the gateway process and what the office had by then.</summary>
/// <param name="Seconds">Since the site began to be driven.</param>
/// <param name="RssKib">VmRSS: resident memory now.</param>
/// <param name="HwmKib">VmHWM: the peak resident memory so far.</param>
/// <param name="Threads">Threads of the process.</param>
/// <param name="Fds">Entries of /proc/PID/fd: files, sockets, pipes, eventfds.</param>
/// <param name="JournalBytes">Every file in the gateway's state directory (database, WAL, shared memory).</param>
/// <param name="OfficeEvents">Distinct seqs the office had received.</param>
internal sealed record Sample(double Seconds, long RssKib, long HwmKib, long Threads, long Fds, long JournalBytes, long OfficeEvents)
{
    public const string CsvHeader = "seconds,rss_kib,hwm_kib,threads,fds,journal_bytes,office_events";

    public string ToCsv() => string.Create(
        CultureInfo.InvariantCulture, $"{Seconds:0.0},{RssKib},{HwmKib},{Threads},{Fds},{JournalBytes},{OfficeEvents}");
}

/// <summary>
/// Reads the gateway's process figures from /proc (Linux only) every few seconds and appends each
/// sample to the CSV as it is taken, so a run stopped early still leaves its samples behind.
/// </summary>
internal sealed class ProcessSampler(int processId, string stateDirectory, Func<long> officeEvents, TextWriter csv)
{
    private readonly List<Sample> _samples = [];

    public IReadOnlyList<Sample> Samples => _samples;

    /// <summary>Samples now, then every <paramref name="every"/> until cancelled.</summary>
    public async Task RunAsync(DateTime started, TimeSpan every, CancellationToken cancellationToken)
    {
        await csv.WriteLineAsync(Sample.CsvHeader);
        using var timer = new PeriodicTimer(every);
        do
        {
            await TakeAsync(started);
        }
        while (await Tick(timer, cancellationToken));
    }

    /// <summary>One more sample (the last, after the run), unless the process is gone.</summary>
    public async Task TakeAsync(DateTime started)
    {
        var sample = Take((DateTime.UtcNow - started).TotalSeconds);
        if (sample is null)
        {
            return;
        }

        _samples.Add(sample);
        await csv.WriteLineAsync(sample.ToCsv());
        await csv.FlushAsync();
    }

    private static async Task<bool> Tick(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private Sample? Take(double seconds)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{processId}/status");
            long Field(string name) => long.Parse(
                status.First(l => l.StartsWith(name + ":", StringComparison.Ordinal))
                    .Split((char[])[' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1],
                CultureInfo.InvariantCulture);
            var fds = Directory.EnumerateFileSystemEntries($"/proc/{processId}/fd").LongCount();
            return new Sample(seconds, Field("VmRSS"), Field("VmHWM"), Field("Threads"), fds, DirectoryBytes(stateDirectory), officeEvents());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null; // the process exited between two looks
        }
    }

    /// <summary>
    /// What the open descriptors are, by kind (socket, pipe, anon_inode:[eventfd], assemblies, or
    /// the file's path), most first: where a growing count comes from. Empty once the process is gone.
    /// </summary>
    public string DescriptorKinds()
    {
        try
        {
            var kinds = new DirectoryInfo($"/proc/{processId}/fd").EnumerateFileSystemInfos().Select(fd => Kind(fd.LinkTarget ?? "?"));
            return string.Join(", ", kinds.GroupBy(k => k).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => $"{g.Key} {g.Count()}"));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    // socket:[12345] and pipe:[678] name one inode each: counted by kind. The runtime keeps every
    // loaded assembly open (twice); those are counted together, as they only grow with new code.
    private string Kind(string target) =>
        target.EndsWith(".dll", StringComparison.Ordinal) ? "assemblies (.dll)"
        : target.StartsWith("socket:", StringComparison.Ordinal) ? "socket"
        : target.StartsWith("pipe:", StringComparison.Ordinal) ? "pipe"
        : target.StartsWith(stateDirectory, StringComparison.Ordinal) ? "state/" + target[(stateDirectory.Length + 1)..]
        : target;

    /// <summary>The state directory's files and their sizes, largest first.</summary>
    public string StateFiles() => string.Join(", ", new DirectoryInfo(stateDirectory).EnumerateFiles("*", SearchOption.AllDirectories)
        .OrderByDescending(f => f.Length)
        .Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Name} {f.Length / 1024.0:0} KiB")));

    private static long DirectoryBytes(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f =>
        {
            try
            {
                return f.Length;
            }
            catch (FileNotFoundException)
            {
                return 0; // deleted while listed (a rotated or checkpointed file)
            }
        });
}
