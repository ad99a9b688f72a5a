using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Mqtt.Commands;

// The recording deadline of a type that runs unrecorded (lockdown): its replay store wait and its
// command.received flush share one short deadline, instead of waiting out each one's own bound in
// turn (up to 5 s for the store, then 5 s for the flush) before the controller got it. Every
// other type keeps both bounds as they are: it is refused unavailable past them anyway.
public sealed partial class CommandHandler
{
    /// <summary>
    /// How long recording a command of a type that <see cref="UnrecordedCommands.RunsUnrecorded"/>
    /// (<c>lockdown</c>) may wait for the disk in all, from when this handler starts recording it:
    /// the replay store's wait and the journal flush's share it. A healthy card commits in
    /// milliseconds and a slow one in hundreds, so a second still records it on a slow card; past
    /// it the card is hung, and the lockdown is carried out without its record (a locked door is
    /// the fail-secure side) rather than after up to 10 s of two bounds, with the guard who pressed
    /// it still at the door.
    /// </summary>
    public static readonly TimeSpan LockdownRecordingBudget = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The least a lockdown's <c>command.received</c> flush waits, whatever is left of
    /// <see cref="LockdownRecordingBudget"/>. Its record was queued just before, so its flush is
    /// never done at once; a second used up by something else (the store's own slow commit, the
    /// handler's lock behind another command) says nothing about the journal's disk, and a healthy
    /// card commits it in milliseconds. Without it such a lockdown ran before its record was on
    /// disk, its start mark unwaited, with a done saying the disk did not answer.
    /// </summary>
    public static readonly TimeSpan LockdownFlushFloor = TimeSpan.FromMilliseconds(250);

    // What is left of the deadline of a recording that started at the timestamp recording (this
    // handler's clock); null for a recording with no deadline (every other type's, and no start).
    // Zero or less once it passed: the waits then take only what is already done.
    private TimeSpan? RecordingWaitLeft(long? recording) =>
        recording is { } started ? LockdownRecordingBudget - _time.GetElapsedTime(started) : null;

    // The attempt's journal record: an accepted command of a type that runs unrecorded waits for
    // the flush only for what is left of its deadline, at least LockdownFlushFloor; anything else
    // waits the journal's own bound.
    private Task RecordAttemptAsync(DomainEvent attempt, VerifiedCommand? accepted, long? recording, CancellationToken cancellationToken) =>
        accepted is not null && UnrecordedCommands.RunsUnrecorded(accepted.Command.Type) && RecordingWaitLeft(recording) is { } left
            ? _journal.RecordWithinAsync(attempt, left < LockdownFlushFloor ? LockdownFlushFloor : left, cancellationToken)
            : _journal.RecordAsync(attempt, cancellationToken);
}
