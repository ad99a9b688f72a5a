namespace EdgeGuard.Hosting.Systemd;

/// <summary>How far the journal's writer thread has got: events handed to it, and events it has handled.</summary>
/// <param name="Enqueued">Events handed to the journal so far.</param>
/// <param name="Handled">Events the writer has committed, or dropped and counted (journal full).</param>
public readonly record struct JournalProgress(long Enqueued, long Handled)
{
    /// <summary>Events waiting for the writer.</summary>
    public long Waiting => Enqueued - Handled;
}

/// <summary>
/// Tells the watchdog when the journal's writer thread is stuck: events wait for it and it has handled
/// none of them for <see cref="Limit"/>. The controller loop only hands events to the journal's queue,
/// so without this a writer hung on its disk would go unnoticed while the loop keeps answering.
/// </summary>
/// <remarks>
/// An idle journal (nothing waiting) is never stuck, however long it has been. The limit is generous
/// because one fsync on a loaded SD card can take seconds; a minute with no progress at all is a
/// hang. The watchdog logs it and shows it in the status line, and keeps pinging while the loop
/// answers: a restart would stop a gateway that still protects the site, and meet the same card.
/// The office learns of it from <c>state/delivery</c> (<see cref="JournalStallSource"/>).
/// <para>
/// The count starts at the first sample that sees events waiting, never at an idle one before
/// it: the publisher samples only while it runs its state check, and after minutes disconnected
/// or replaying, its next sample may catch one event handed over a moment ago, which says nothing
/// of the minutes before. Once a sample has seen events waiting, the same handled count later
/// means none of them moved in between, however far apart the samples are.
/// </para>
/// </remarks>
/// <param name="time">The clock the limit is measured on.</param>
public sealed class JournalStallDetector(TimeProvider time)
{
    /// <summary>How long waiting events may see no progress before the writer counts as stuck.</summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMinutes(1);

    private long _lastHandled = -1;
    private long _sinceTimestamp;
    private bool _sawWaiting;

    /// <summary>
    /// Records <paramref name="progress"/> and says whether the writer has been stuck for the limit;
    /// returns how long it has made no progress (zero when it moved or nothing waits).
    /// </summary>
    public TimeSpan Observe(JournalProgress progress)
    {
        var now = time.GetTimestamp();
        var sawWaiting = _sawWaiting;
        _sawWaiting = progress.Waiting > 0;
        // Idle at the sample before: the events waiting now came since, at an unknown time, so
        // the count starts here (see remarks).
        if (progress.Waiting <= 0 || progress.Handled != _lastHandled || !sawWaiting)
        {
            _lastHandled = progress.Handled;
            _sinceTimestamp = now;
            return TimeSpan.Zero;
        }

        return time.GetElapsedTime(_sinceTimestamp, now);
    }

    /// <summary>Whether a writer without progress for <paramref name="stalledFor"/> counts as stuck.</summary>
    public static bool IsStuck(TimeSpan stalledFor) => stalledFor >= Limit;
}
