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
    /// True while an event handed to the journal is not readable yet: it waits for its seq (the
    /// writer busy with a commit, or stuck in one on a hung disk) or, in a full or failing
    /// episode, for the commit that hands it out (false again once that write returns, whether it
    /// handed the events out or dropped and counted them). The site's state may already show it (the
    /// controller publishes a decision's events after it updates its state): the orderly stop
    /// sends point state only when nothing waits here, so retained state never runs ahead of the
    /// events delivered before <c>offline</c>.
    /// </summary>
    bool EventsWaiting { get; }

    /// <summary>
    /// Records with <c>Seq &gt; afterSeq</c>, oldest first, at most <paramref name="max"/>; pass
    /// <see cref="DeliveredThrough"/> to get the undelivered ones.
    /// </summary>
    IReadOnlyList<JournalRecord> ReadAfter(long afterSeq, int max);

    /// <summary>
    /// Tells the journal, in memory, that the broker has acknowledged every record through
    /// <paramref name="seq"/>; never any disk I/O on the caller's thread. The journal makes it the
    /// durable delivery cursor on its own writer thread (<see cref="DeliveredThrough"/> then
    /// moves): with its next commit of events, or, when none comes, with a commit of the cursor
    /// alone within about 250 ms or 256 such events. A crash loses at most that much of the
    /// cursor; the events after it are sent again (<c>replayed: true</c>). From the round trip the
    /// journal also decides whether to hold the commit of records it handed out early (a broker on
    /// the gateway: its disk work would compete with the delivery the office is waiting for).
    /// </summary>
    void Acknowledged(long seq);

    /// <summary>
    /// For an orderly stop: acknowledges <paramref name="seq"/> (as <see cref="Acknowledged"/>) and
    /// asks the journal's writer to make the cursor durable through it now rather than at the end
    /// of its interval. Completes once <see cref="DeliveredThrough"/> is at least
    /// <paramref name="seq"/>; faults when that commit failed or the journal was disposed. It may
    /// never complete while the disk hangs: bound the wait (the writer's commit is not the
    /// caller's to wait out).
    /// </summary>
    Task CursorDurableAsync(long seq);

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
