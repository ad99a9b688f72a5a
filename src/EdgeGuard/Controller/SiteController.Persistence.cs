using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Controller;

// Saving the safety state. The state acted on (_safety) and the state on disk are kept apart: a
// save that failed leaves the disk at an older state (Normal under a lockdown, no fire release),
// which a power cut would restore. So a failed save is tried again, at the next decision on the
// loop and on the controller's timer, until it took. Outputs never wait for a failing disk: a
// decision saves before it drives, but waits for the save at most SafetySaveDeadline; a save still
// running then counts as failed (reported, outputs driven, retried). It goes on alone on the
// saver's thread (SafetyStateSaver): no other save starts while it runs, and when it ends the loop
// is woken to save the latest state, which the hung save may not have been (docs/architecture.md).
public sealed partial class SiteController
{
    /// <summary>
    /// How soon a safety state whose save failed is saved again when nothing else is decided. A save is
    /// an fsync: once a second is cheap for a disk that recovers (a full partition someone cleans up,
    /// a transient I/O error) and does not hammer one that is dying.
    /// </summary>
    public static readonly TimeSpan SafetySaveRetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest a decision waits for its save before it drives the outputs anyway. A save is one
    /// small commit: milliseconds on a healthy SD card, tens while the journal's own commit holds
    /// the database. 500 ms is far beyond that, so it only cuts short a card that is failing (an
    /// fsync that never returns), and short enough that a fire's egress release or a panic's locks
    /// still come within a person's reaction time. A retry waits as long (once per
    /// <see cref="SafetySaveRetryInterval"/>, and when a save that passed it ends); while that
    /// save still runs, no decision waits at all.
    /// </summary>
    public static readonly TimeSpan SafetySaveDeadline = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Saves tried at an orderly stop while the disk holds an older safety state, all within
    /// <see cref="StopSaveBudget"/>.
    /// </summary>
    private const int StopSaveAttempts = 3;

    /// <summary>
    /// How long an orderly stop spends on saving the latest safety state, a save still running
    /// included: the outputs are already driven, so it can wait longer than a decision, but well
    /// within systemd's patience (TimeoutStopSec=20s).
    /// </summary>
    internal static readonly TimeSpan StopSaveBudget = TimeSpan.FromSeconds(3);

    /// <summary>The one thread that saves (created at start, before the first save).</summary>
    private SafetyStateSaver _saver = null!;

    /// <summary>True while the disk holds an older safety state than <see cref="_safety"/>.</summary>
    private bool _safetyUnsaved;

    /// <summary>
    /// What a "done" answer must add when the site is not yet all the command made it: the current
    /// state is not on disk, an output's write failed, or an output does not show the plan yet (an
    /// expander's write queued to its writer). The office hears "done" when the loop has decided,
    /// saved and driven; "done" alone would claim more than that then.
    /// </summary>
    private string Caveats()
    {
        var caveats = "";
        if (_safetyUnsaved)
        {
            caveats += "; but the site's current state is not saved yet (fault.safety-state-not-persisted): a power cut now "
                + "would restore an older one; the gateway tries again every second";
        }

        var plan = OutputPlan.For(site, _state);
        var failing = new List<string>();
        var queued = new List<string>();
        for (var i = 0; i < site.Outputs.Count; i++)
        {
            var output = site.Outputs[i];
            if (_outputFailing[i])
            {
                failing.Add($"'{output.Id}'");
            }
            else if (_readBack[i] != output.LevelFor(plan.IsActiveAt(i)))
            {
                queued.Add($"'{output.Id}'");
            }
        }

        if (failing.Count > 0)
        {
            caveats += $"; but {string.Join(", ", failing)} {(failing.Count == 1 ? "does" : "do")} not show it (fault.output); retried every 250 ms";
        }

        if (queued.Count > 0)
        {
            caveats += $"; {string.Join(", ", queued)} not yet confirmed (a write still queued to its I/O board)";
        }

        return caveats;
    }

    /// <summary>When the unsaved safety state is next saved by the timer; null while it is on disk.</summary>
    private TimeSpan? _safetySaveRetryAt;

    /// <summary>
    /// Saves <see cref="_safety"/>, waiting at most <paramref name="deadline"/> in all (with
    /// <paramref name="turnWait"/>, a save still running is waited for that long to end first; else
    /// this one counts as failed at once). A failure is reported as
    /// <see cref="SafetyStateNotPersisted"/> once per state that could not be saved
    /// (<paramref name="changed"/>), not once per retry; the first save that takes after failures
    /// is reported as <see cref="SafetyStateNotPersistedRestored"/>.
    /// </summary>
    private void Persist(Moment now, List<DomainEvent> events, bool changed, TimeSpan deadline, TimeSpan turnWait = default)
    {
        if (_saver.Save(_safety, turnWait, deadline) is { } failure)
        {
            if (changed || !_safetyUnsaved)
            {
                events.Add(new SafetyStateNotPersisted(now.Utc, failure));
            }

            _safetyUnsaved = true;
            _safetySaveRetryAt = now.Monotonic + SafetySaveRetryInterval;
            return;
        }

        Saved(now, events);
    }

    private void Saved(Moment now, List<DomainEvent> events)
    {
        if (_safetyUnsaved)
        {
            events.Add(new SafetyStateNotPersistedRestored(now.Utc, _safety.Mode));
        }

        _safetyUnsaved = false;
        _safetySaveRetryAt = null;
    }

    /// <summary>
    /// A save the loop stopped waiting for has ended (<see cref="SafetySaveEnded"/>). If it saved
    /// the state the site is in now, that is on disk; if not (it failed, or a newer state was
    /// decided while it ran), the latest state is saved now rather than at the next retry.
    /// </summary>
    private void OnAbandonedSaveEnded(Moment now, List<DomainEvent> events)
    {
        if (!_safetyUnsaved)
        {
            return;
        }

        if (_saver.LastAbandoned is ({ } state, null) && ReferenceEquals(state, _safety))
        {
            Saved(now, events);
            return;
        }

        Persist(now, events, changed: false, SafetySaveDeadline);
    }

    /// <summary>
    /// At an orderly stop, once the loop has ended: a safety state whose save failed (the journal's
    /// writer held the database past the save's short wait, or the disk passed the deadline) is
    /// saved now. Its retry timer would have come within a second, but a stop right after the
    /// lockdown (SIGTERM for an update) ended the loop first, and the gateway then came back up
    /// Normal under a lockdown the disk never took. A save still running is waited for first; all
    /// of it within <see cref="StopSaveBudget"/>.
    /// </summary>
    private void SaveUnsavedSafetyState()
    {
        lock (_loopGate)
        {
            var events = new List<DomainEvent>();
            var start = time.GetTimestamp();
            for (var attempt = 0; attempt < StopSaveAttempts && _safetyUnsaved && _safety is not null; attempt++)
            {
                var left = StopSaveBudget - time.GetElapsedTime(start);
                if (left <= TimeSpan.Zero)
                {
                    break;
                }

                Persist(Moment.From(time), events, changed: false, deadline: left, turnWait: left);
            }

            Report(events);
        }
    }
}
