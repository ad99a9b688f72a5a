using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Ports;

/// <summary>
/// One journaled event exactly as it is stored and published. <see cref="Seq"/> is the gateway's
/// 64-bit sequence number: persisted, increasing by one, never reused or wrapped; the only jumps
/// are ranges a <c>journal.gap</c> event declares.
/// </summary>
/// <param name="Seq">Sequence number, 1 for the gateway's first event ever.</param>
/// <param name="Id">UUIDv7: time-ordered, unique across gateways; the office de-duplicates on it.</param>
/// <param name="Timestamp">When the event happened (UTC, from the event).</param>
/// <param name="Monotonic">Monotonic time of journaling, for ordering across wall-clock jumps.</param>
/// <param name="Type">Event type, e.g. <c>lockdown.started</c>.</param>
/// <param name="Point">Point or output the event is about, if any.</param>
/// <param name="Zone">Zone of that point, if any.</param>
/// <param name="Severity">How urgent.</param>
/// <param name="Drill">True when the event happened during a drill.</param>
/// <param name="DataJson">Event-specific fields as a JSON object (UTF-8 text), <c>{}</c> when none.</param>
public sealed record JournalRecord(
    long Seq,
    Guid Id,
    DateTimeOffset Timestamp,
    TimeSpan Monotonic,
    string Type,
    string? Point,
    string? Zone,
    Severity Severity,
    bool Drill,
    string DataJson);

/// <summary>The delivery side of the journal: what the MQTT publisher reads and acknowledges.</summary>
public interface IOutbox
{
    /// <summary>Highest sequence number the broker has acknowledged (0 when none).</summary>
    long DeliveredThrough { get; }

    /// <summary>
    /// Highest sequence number journaled so far (0 when none): sequenced and readable, possibly
    /// still being committed (the journal hands records out while it commits them).
    /// </summary>
    long LastSeq { get; }

    /// <summary>
    /// Records with <c>Seq &gt; afterSeq</c>, oldest first, at most <paramref name="max"/>; pass
    /// <see cref="DeliveredThrough"/> to get the undelivered ones.
    /// </summary>
    IReadOnlyList<JournalRecord> ReadAfter(long afterSeq, int max);

    /// <summary>
    /// Advances the delivery cursor; never moves it backwards. Durable before returning true.
    /// Waits at most <paramref name="wait"/> for the journal's other writers (a commit on a hung
    /// disk holds the database for as long as the disk hangs) and then returns false without
    /// writing: the cursor lags, which only makes a restart send the events after it again. The
    /// only cursor write the port offers: its caller's loop also shows lockdowns to the office.
    /// </summary>
    /// <returns>True when the cursor is durable at <paramref name="seq"/> or beyond; false when the
    /// journal stayed busy for <paramref name="wait"/>.</returns>
    bool TryMarkDelivered(long seq, TimeSpan wait);

    /// <summary>
    /// Tells the journal, in memory, that the broker has acknowledged every record through
    /// <paramref name="seq"/>. From the round trip the journal decides whether to hold the commit of
    /// records it handed out early (a broker on the gateway: its disk work would compete with the
    /// delivery the office is waiting for), and it may write the cursor with its next commit
    /// (<see cref="DeliveredThrough"/> then moves).
    /// <see cref="TryMarkDelivered"/> makes the cursor durable now.
    /// </summary>
    void Acknowledged(long seq);

    /// <summary>
    /// Completes when a record with <c>Seq &gt; afterSeq</c> exists. The continuation may run on
    /// whichever thread journaled the record (the controller's, often a GPIO event thread): keep
    /// what follows the await short, and move off that thread before anything that may block.
    /// Without a token, a wait for the next record must cost nothing to abandon: the publisher's
    /// idle wait drops it at every keep-alive or cursor wake (the journal returns its announcement
    /// signal itself).
    /// </summary>
    Task WaitForRecordsAfterAsync(long afterSeq, CancellationToken cancellationToken);
}
