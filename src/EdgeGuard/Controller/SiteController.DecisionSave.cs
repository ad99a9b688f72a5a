using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Controller;

// Which save a decision makes (SiteController.Persistence.cs says how a save runs): a changed
// safety state is saved before anything is driven, except a change only in the boot's records
// (the held panic buttons, the fire inputs raised under a release), which nothing on site follows
// and which is saved without a wait a moment later.
public sealed partial class SiteController
{
    /// <summary>
    /// When the loop's timer hands the saver a state nothing on site waits for: one that differs
    /// from the one last saved only in which panic buttons are held (<see cref="SafetyState.HeldPanics"/>)
    /// or which fire inputs raised under the release (<see cref="SafetyState.FireRaised"/>), or the
    /// state in force saved over a row the boot could not restore in full or read only late;
    /// null when none waits.
    /// </summary>
    private TimeSpan? _safetySaveDueAt;

    /// <summary>
    /// True when <paramref name="next"/> differs from <paramref name="current"/> only in which panic
    /// buttons are held or which fire inputs raised under the release (another zone's fire.alarm,
    /// egress already released): no output follows from those records, only what the next boot
    /// decides.
    /// </summary>
    private static bool OnlyBootRecordsDiffer(SafetyState next, SafetyState current) =>
        next with { HeldPanics = current.HeldPanics, FireRaised = current.FireRaised } == current;

    /// <summary>
    /// After a decision, before it drives anything: saves <paramref name="safety"/> when it changed
    /// (waiting at most <see cref="SafetySaveDeadline"/>), or schedules it when only the boot's
    /// records changed (<paramref name="recordsOnly"/>); else tries again a failed save whose retry is
    /// due, or hands on a records-only change whose time came.
    /// </summary>
    private void SaveDecided(SafetyState safety, bool recordsOnly, Moment now, List<DomainEvent> events)
    {
        if (recordsOnly)
        {
            // Nothing on site moves for it (a silent hold-up, a button released, a second zone's
            // fire under a release): its report, and the panic and fire edges behind it, do not
            // wait for the disk. A fire.alarm so reaches the journal's queue before its record is
            // saved: a power cut between costs one more fire.alarm at boot, never a missed one.
            _safety = safety;
            _safetySaveDueAt ??= now.Monotonic + SafetySaveRetryInterval;
        }
        else if (safety != _safety)
        {
            _safety = safety;
            Persist(now, events, SafetySaveDeadline);
        }
        else if (_safetyUnsaved && !_onEdgeThread && now.Monotonic >= _safetySaveRetryAt)
        {
            // An earlier save failed and its retry is due: try again now, before this decision
            // drives anything. Not sooner (a dying disk can take seconds per failed write, and every
            // decision on the loop would wait for it), and not on a GPIO thread (an fsync there
            // would hold up the driver's edge timestamps): the retry timer, on the loop, comes soon enough.
            Persist(now, events, SafetySaveDeadline);
        }
        else if (_safetySaveDueAt is { } due && !_onEdgeThread && now.Monotonic >= due)
        {
            // A change only in the boot's records (held panic buttons, raised fire inputs), handed
            // on without a wait as OnAbandonedSaveEnded hands one on: within
            // SafetySaveRetryInterval of it, sooner when another change is saved first (every save
            // is of the latest state), and at an orderly stop. Waiting for it held the duress report up to SafetySaveDeadline behind
            // a stalled card, queued the panic and fire edges behind it, and a hung disk raised
            // fault.safety-state-not-persisted for a press that changed nothing on site; a save
            // started at once would take the one saver from a lockdown pressed next. A power cut
            // before it lands costs only the record: that boot decides a button still held as
            // pressed again (a second holdup.silent), and raises a fire input still active once
            // more (a second fire.alarm), as before the record existed.
            Persist(now, events, deadline: TimeSpan.Zero);
        }
    }
}
