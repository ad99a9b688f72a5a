using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>Where command attempts are journaled; <see cref="RecordAsync"/> completes once the event is durable.</summary>
public interface ICommandJournal
{
    /// <summary>Journals <paramref name="attempt"/> and completes when it is on disk (or was dropped and counted by a full journal).</summary>
    Task RecordAsync(DomainEvent attempt, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="RecordAsync"/> waiting at most <paramref name="wait"/> for the disk, or the
    /// journal's own bound when that is shorter: for the <c>command.received</c> of a type that
    /// runs unrecorded, whose wait shares one short deadline with the replay store's
    /// (<see cref="CommandHandler.LockdownRecordingBudget"/>). A journal that does not wait for a
    /// disk need not override it; one that does must.
    /// </summary>
    Task RecordWithinAsync(DomainEvent attempt, TimeSpan wait, CancellationToken cancellationToken) =>
        RecordAsync(attempt, cancellationToken);

    /// <summary>
    /// Queues <paramref name="attempt"/> for the journal without waiting for the disk: written after
    /// everything queued before it, when the disk answers. For a record that must follow one whose
    /// <see cref="RecordAsync"/> timed out (still queued), and for records a later wait covers.
    /// </summary>
    void Enqueue(DomainEvent attempt);
}

/// <summary>
/// <see cref="ICommandJournal"/> over the gateway's event sink: publish, then wait for the journal's
/// flush. The event journal's <c>Publish</c> does not wait for the disk (it is called from the
/// controller), so the flush is what lets the subscriber acknowledge a command only after it is journaled.
/// </summary>
/// <remarks>
/// The wait is bounded (<see cref="FlushWait"/>): an SD card hung in fsync holds the journal writer
/// inside its commit for minutes, and an unbounded wait left every office command unanswered, not
/// even refused, then run long after. Past the bound <see cref="RecordAsync"/> throws
/// <see cref="TimeoutException"/>, which the handler answers as <c>unavailable</c> (not acted on),
/// but for an authentic lockdown, carried out all the same (<c>CommandHandler.Unrecorded.cs</c>).
/// A lockdown's record waits only what is left of its 1 s recording deadline
/// (<see cref="RecordWithinAsync"/>, <see cref="CommandHandler.LockdownRecordingBudget"/>).
/// The event stays queued in the journal and is written when the disk answers.
/// </remarks>
/// <param name="sink">The event journal.</param>
/// <param name="flush">Completes when everything published before the call is committed (<c>EventJournal.FlushAsync</c>).</param>
/// <param name="time">The clock of the bound.</param>
public sealed class FlushingCommandJournal(IEventSink sink, Func<Task> flush, TimeProvider time) : ICommandJournal
{
    /// <summary>
    /// How long <see cref="RecordAsync"/> waits for the journal's flush. A healthy card commits in
    /// milliseconds and a slow one in hundreds (a batch, a WAL checkpoint); 5 s is well past that,
    /// and short enough that the office hears <c>unavailable</c> while the person is still there.
    /// </summary>
    public static readonly TimeSpan FlushWait = TimeSpan.FromSeconds(5);

    private readonly IEventSink _sink = sink ?? throw new ArgumentNullException(nameof(sink));
    private readonly Func<Task> _flush = flush ?? throw new ArgumentNullException(nameof(flush));
    private readonly TimeProvider _time = time ?? throw new ArgumentNullException(nameof(time));

    /// <inheritdoc />
    public void Enqueue(DomainEvent attempt)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        _sink.Publish([attempt]);
    }

    /// <inheritdoc />
    /// <exception cref="TimeoutException">The journal did not commit within <see cref="FlushWait"/>.</exception>
    public Task RecordAsync(DomainEvent attempt, CancellationToken cancellationToken) =>
        RecordWaitingAsync(attempt, FlushWait, cancellationToken);

    /// <inheritdoc />
    /// <exception cref="TimeoutException">The journal did not commit within the shorter of <paramref name="wait"/> and <see cref="FlushWait"/>.</exception>
    public Task RecordWithinAsync(DomainEvent attempt, TimeSpan wait, CancellationToken cancellationToken) =>
        RecordWaitingAsync(attempt, wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < FlushWait ? wait : FlushWait, cancellationToken);

    // No time left (zero) times out at once: the attempt was just queued, so its flush is never
    // done yet (the handler gives a lockdown's at least CommandHandler.LockdownFlushFloor).
    private async Task RecordWaitingAsync(DomainEvent attempt, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        _sink.Publish([attempt]);
        try
        {
            await _flush().WaitAsync(wait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException(
                $"{attempt.Type} was not journaled within {wait.TotalSeconds:0.###} s (the journal's disk is slow or hung); it stays queued", ex);
        }
    }
}
