using EdgeGuard.Core.Commands;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>
/// How verbatim copies of authentic commands are journaled under a flood. Every office certificate
/// can read the command topic, so anyone holding one can republish a command's exact bytes for its
/// whole lifetime (up to about 15 minutes); each copy is answered, but one journal record and one
/// event to the office per copy would let them fill the journal and drown the office's feed. So the
/// first <see cref="Allowance"/> copies of each command are journaled one by one
/// (<c>command.repeated</c>, a redelivery or two is far below it); further ones are answered and
/// counted, and summed up in one <c>command.repeated</c> with <c>copies</c> per command at most every
/// <see cref="SummaryInterval"/>, and at a stop. Every copy is either journaled on its own or counted
/// in a summary; a count not yet summed up when the process dies (a crash, a power cut) is lost,
/// with no trace beyond the first <see cref="Allowance"/> copies (src/EdgeGuard.Mqtt/README.md).
/// </summary>
/// <param name="time">Clock of the summary's timer and its time.</param>
/// <param name="journal">
/// Journals summaries, in order; completes when they are durable (or its bounded wait ran out) and
/// never throws. Handed all of a flush's summaries at once, so that a stop on a hung card waits
/// once, not once per command.
/// </param>
public sealed class RepeatAudit(TimeProvider time, Func<IReadOnlyList<CommandRepeated>, Task> journal)
{
    /// <summary>Copies of one command journaled one by one; far above what a broker redelivers.</summary>
    public const int Allowance = 20;

    /// <summary>How long further copies are counted before their summary is journaled.</summary>
    public static readonly TimeSpan SummaryInterval = TimeSpan.FromMinutes(1);

    // How long a command's count is kept after its expiry: copies are answered as repeats until
    // 5 minutes past it (the verifier's remembered window, CommandVerifier.ExpiredCopies.cs), then
    // refused as expired (and audited as rejections), so the entry is of no use; a wall-clock step
    // back may let a few more copies be journaled one by one, which is all it costs.
    private static readonly TimeSpan KeptAfterExpiry = TimeSpan.FromHours(1);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _commands = new(StringComparer.Ordinal);
    private ITimer? _timer;
    private Task _writing = Task.CompletedTask;

    /// <summary>Copies counted and not yet journaled in a summary.</summary>
    public int Counted
    {
        get
        {
            lock (_gate)
            {
                return _commands.Values.Sum(e => e.Counted);
            }
        }
    }

    /// <summary>Decides on one copy: true to journal it on its own, false when it was counted for a summary.</summary>
    /// <param name="copy">Its record, as it would be journaled.</param>
    /// <param name="expiresAt">The command's signed expiry: its count is forgotten some time after.</param>
    public bool Admit(CommandRepeated copy, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(copy);
        lock (_gate)
        {
            foreach (var (id, _) in _commands.Where(c => c.Value.Counted == 0 && c.Value.ExpiresAt + KeptAfterExpiry < copy.At).ToList())
            {
                _commands.Remove(id);
            }

            if (!_commands.TryGetValue(copy.CommandId, out var entry))
            {
                entry = new Entry(expiresAt);
                _commands.Add(copy.CommandId, entry);
            }

            if (entry.Journaled < Allowance)
            {
                entry.Journaled++;
                return true;
            }

            entry.Counted++;
            entry.Last = copy;
            _timer ??= time.CreateTimer(_ => _ = FlushAsync(), null, SummaryInterval, Timeout.InfiniteTimeSpan);
            return false;
        }
    }

    /// <summary>
    /// Journals the summaries of what was counted, if anything (at the interval's end, and at a
    /// stop); completes when they, and any summary already being written, are durable.
    /// </summary>
    public Task FlushAsync()
    {
        lock (_gate)
        {
            _timer?.Dispose();
            _timer = null;
            var now = time.GetUtcNow();
            var summaries = new List<CommandRepeated>();
            foreach (var entry in _commands.Values.Where(e => e.Counted > 0))
            {
                // The last copy's answer: a command still executing is answered accepted, then done.
                summaries.Add(entry.Last! with { At = now, Copies = entry.Counted });
                (entry.Counted, entry.Last) = (0, null);
            }

            if (summaries.Count > 0)
            {
                var before = _writing;
                _writing = WriteAsync(before, summaries);
            }

            return _writing;
        }
    }

    private async Task WriteAsync(Task before, List<CommandRepeated> summaries)
    {
        await before.ConfigureAwait(false);
        await journal(summaries).ConfigureAwait(false);
    }

    // One command's copies; used under the audit's lock.
    private sealed class Entry(DateTimeOffset expiresAt)
    {
        public DateTimeOffset ExpiresAt => expiresAt;

        public int Journaled { get; set; }

        public int Counted { get; set; }

        public CommandRepeated? Last { get; set; }
    }
}
