using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Controller;

// Saving the safety state. The state acted on (_safety) and the state on disk are kept apart: a save
// that failed leaves the disk at an older state (Normal under a lockdown, no fire release), which a
// power cut would restore. So a failed save is tried again, at the next decision on the loop and on
// the controller's timer, until it took. Outputs never wait for it: they are driven at once whatever
// the disk does (safety first; docs/architecture.md).
public sealed partial class SiteController
{
    /// <summary>
    /// How soon a safety state whose save failed is saved again when nothing else is decided. A save is
    /// an fsync: once a second is cheap for a disk that recovers (a full partition someone cleans up,
    /// a transient I/O error) and does not hammer one that is dying.
    /// </summary>
    public static readonly TimeSpan SafetySaveRetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Saves tried at an orderly stop while the disk holds an older safety state: each waits up to
    /// the store's own bound (at most a second on a slow card), so the stop stays well within
    /// systemd's patience.
    /// </summary>
    private const int StopSaveAttempts = 3;

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
    /// Saves <see cref="_safety"/>. A failure is reported as <see cref="SafetyStateNotPersisted"/> once per
    /// state that could not be saved (<paramref name="changed"/>), not once per retry; the first save that
    /// takes after failures is reported as <see cref="SafetyStateNotPersistedRestored"/>.
    /// </summary>
    private void Persist(Moment now, List<DomainEvent> events, bool changed)
    {
        try
        {
            store.Save(_safety);
        }
#pragma warning disable CA1031 // A failed write must not stop the doors from locking: report it, act anyway, retry.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            if (changed || !_safetyUnsaved)
            {
                events.Add(new SafetyStateNotPersisted(now.Utc, ex.Message));
            }

            _safetyUnsaved = true;
            _safetySaveRetryAt = now.Monotonic + SafetySaveRetryInterval;
            return;
        }

        if (_safetyUnsaved)
        {
            events.Add(new SafetyStateNotPersistedRestored(now.Utc, _safety.Mode));
        }

        _safetyUnsaved = false;
        _safetySaveRetryAt = null;
    }

    /// <summary>
    /// At an orderly stop, once the loop has ended: a safety state whose save failed (the journal's
    /// writer held the database past the save's short wait) is saved now. Its retry timer would have
    /// come within a second, but a stop right after the lockdown (SIGTERM for an update) ended the
    /// loop first, and the gateway then came back up Normal under a lockdown the disk never took.
    /// </summary>
    private void SaveUnsavedSafetyState()
    {
        lock (_loopGate)
        {
            var events = new List<DomainEvent>();
            for (var attempt = 0; attempt < StopSaveAttempts && _safetyUnsaved && _safety is not null; attempt++)
            {
                Persist(Moment.From(time), events, changed: false);
            }

            Report(events);
        }
    }
}
