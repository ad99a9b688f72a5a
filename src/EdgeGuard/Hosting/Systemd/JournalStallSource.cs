using EdgeGuard.Core.Ports;
using EdgeGuard.Journal;

namespace EdgeGuard.Hosting.Systemd;

/// <summary>
/// The journal writer's stall for the MQTT publisher's <c>state/delivery</c>, by the watchdog's rule
/// (<see cref="JournalStallDetector"/>: no progress for a minute with events waiting). Reads the
/// journal's in-memory counters only, never the database, which is what is stuck.
/// </summary>
/// <remarks>
/// Its own detector, not the watchdog's: each is observed on its own thread and schedule. The stall's
/// start is fixed when it is first seen, so the publisher sees the same value while it lasts.
/// </remarks>
/// <param name="progress">The journal's progress counters.</param>
/// <param name="time">The clock the limit is measured on.</param>
internal sealed class JournalStallSource(Func<JournalProgress> progress, TimeProvider time) : IJournalStallSource
{
    private readonly JournalStallDetector _detector = new(time);
    private readonly Lock _lock = new();
    private DateTimeOffset? _since;

    /// <inheritdoc/>
    public JournalStall? Stall
    {
        get
        {
            lock (_lock)
            {
                var now = progress();
                var stalledFor = _detector.Observe(now);
                if (!JournalStallDetector.IsStuck(stalledFor))
                {
                    _since = null;
                    return null;
                }

                _since ??= time.GetUtcNow() - stalledFor;
                return new JournalStall(_since.Value, now.Waiting);
            }
        }
    }

    /// <summary>The source for <paramref name="journal"/>.</summary>
    public static JournalStallSource For(EventJournal journal, TimeProvider time) =>
        new(
            () =>
            {
                var (enqueued, handled) = journal.Progress; // read once: the two together
                return new JournalProgress(enqueued, handled);
            },
            time);
}
