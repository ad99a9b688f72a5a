using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// Saving the safety state. The state acted on (_safety) and the state on disk are kept apart: a
// save that failed leaves the disk at an older state (Normal under a lockdown, no fire release),
// which a power cut would restore. So a failed save is tried again, at the next decision on the
// loop and on the controller's timer, until it took. Outputs never wait for a failing disk: a
// decision saves before it drives, but waits for the save at most SafetySaveDeadline, then drives.
// A save still running then is late, not failed: it goes on alone on the saver's thread
// (SafetyStateSaver), no other save starts while it runs, and when it ends the loop is woken to
// hand the saver the latest state (which the late save may not have been) without waiting for
// it, or (it failed) to leave the retry to the timer. It counts as failed (the critical
// fault) only if it throws, or still runs at SafetySaveLateBound: until then it may only be
// waiting behind the journal on a slow card (docs/architecture.md).
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
    /// the database. 500 ms is far beyond that, and short enough that a fire's egress release or a
    /// panic's locks still come within a person's reaction time. A save still running then is late,
    /// not failed: on a slow card it may be waiting out the journal's commit, up to
    /// <see cref="SqliteSafetyStateStore.MaxSaveWait"/>; only past <see cref="SafetySaveLateBound"/>
    /// is it the fault. A retry waits as long (once per <see cref="SafetySaveRetryInterval"/>);
    /// while that save still runs, no decision waits at all, and when it ends the latest state is
    /// handed to the saver without a wait (deadline 0, OnAbandonedSaveEnded).
    /// </summary>
    public static readonly TimeSpan SafetySaveDeadline = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// What <see cref="SafetySaveLateBound"/> allows a save beyond its wait for the journal: its
    /// own commit, one small UPSERT and one fsync of the WAL, without a checkpoint (the store runs
    /// none in it). Milliseconds on a healthy card, tens to hundreds on a slow one
    /// (JournalDatabase.TypicalHold); a second is several of the slowest, so a save still running
    /// past it is stuck in the disk, not behind the journal.
    /// </summary>
    public static readonly TimeSpan SafetySaveCommitMargin = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a save may run before its state counts as not saved
    /// (<c>fault.safety-state-not-persisted</c>): the longest the store waits for the journal's
    /// other writers (<see cref="SqliteSafetyStateStore.MaxSaveWait"/>, 1 s, before it gives up
    /// and throws) and <see cref="SafetySaveCommitMargin"/> for its own commit: 2 s. Outputs do not
    /// wait for it (<see cref="SafetySaveDeadline"/>): a save past the deadline but within this
    /// bound has only waited behind the journal on a slow card, and a critical fault for it (with
    /// its restore moments later) would teach the office to ignore the real one.
    /// </summary>
    public static readonly TimeSpan SafetySaveLateBound = SqliteSafetyStateStore.MaxSaveWait + SafetySaveCommitMargin;

    /// <summary>
    /// Saves tried at an orderly stop while the disk holds an older safety state, all within
    /// <see cref="StopSaveBudget"/>.
    /// </summary>
    private const int StopSaveAttempts = 3;

    /// <summary>
    /// How long an orderly stop spends on saving the latest safety state, a save still running
    /// included: the outputs are already driven, so it can wait longer than a decision, but well
    /// within systemd's patience (TimeoutStopSec=30s, the whole stop included).
    /// </summary>
    internal static readonly TimeSpan StopSaveBudget = TimeSpan.FromSeconds(3);

    /// <summary>The one thread that saves (created at start, before the first save).</summary>
    private SafetyStateSaver _saver = null!;

    /// <summary>
    /// The saver's thread runs no save and has handed the loop every end it owed it; for tests
    /// (HungSaveTests), which then settle the loop.
    /// </summary>
    internal bool SafetySaverIdle => _saver.Idle;

    /// <summary>
    /// True while the disk holds an older safety state than <see cref="_safety"/> and
    /// <c>fault.safety-state-not-persisted</c> says so (until its restore).
    /// </summary>
    private bool _safetyUnsaved;

    /// <summary>
    /// The state the standing fault was last raised for: one fault per state, not per retry.
    /// </summary>
    private SafetyState? _faultedFor;

    /// <summary>
    /// True while <see cref="_safety"/> is not known to be on disk but nothing failed: a save runs
    /// past <see cref="SafetySaveDeadline"/> (this state's, or an earlier one it waits behind),
    /// not yet past <see cref="SafetySaveLateBound"/>.
    /// </summary>
    private bool _safetyPending;

    /// <summary>
    /// When the late save passes <see cref="SafetySaveLateBound"/>; the timer looks then.
    /// </summary>
    private TimeSpan? _safetyLateAt;

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
        else if (_safetyPending)
        {
            // Not "not saved": nothing failed and no fault says so; the save may end any moment.
            caveats += "; the site's current state is still being saved (a slow disk): a power cut before that save ends "
                + "would restore an older one; fault.safety-state-not-persisted follows if it has not ended within "
                + $"{SafetySaveLateBound.TotalMilliseconds:0} ms";
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
    /// this state waits behind it). A save that failed is reported as
    /// <see cref="SafetyStateNotPersisted"/> once per state that could not be saved, not once per
    /// retry; one still running is only late (<see cref="_safetyPending"/>) until
    /// <see cref="SafetySaveLateBound"/> from its start. The first save that takes after a fault is
    /// reported as <see cref="SafetyStateNotPersistedRestored"/>.
    /// </summary>
    /// <param name="now">When the save is asked for.</param>
    /// <param name="events">Where the fault or its restore is added.</param>
    /// <param name="deadline">How long to wait for the save in all.</param>
    /// <param name="turnWait">How long a save still running is waited for first.</param>
    /// <param name="stopping">
    /// At an orderly stop: a save still running, even past its bound, is left pending, as the
    /// stop then reports it with its own reason (no save follows once the gateway has stopped).
    /// </param>
    private void Persist(Moment now, List<DomainEvent> events, TimeSpan deadline, TimeSpan turnWait = default, bool stopping = false)
    {
        // Whatever asked for it, this save is of the latest state, the held buttons included.
        _safetySaveDueAt = null;
        var outcome = _saver.Save(_safety, turnWait, deadline);
        if (outcome.Failure is not { } failure)
        {
            Saved(now, events);
            return;
        }

        if (outcome.RunningSince is { } since)
        {
            var lateAt = Moment.MonotonicOf(time, since) + SafetySaveLateBound;
            if (stopping || Moment.MonotonicOf(time, time.GetTimestamp()) < lateAt)
            {
                // Slow, not failed: the store may still be waiting behind the journal's commit.
                if (!_safetyPending && deadline > TimeSpan.Zero)
                {
                    LogSaveLate(SafetySaveLateBound.TotalMilliseconds);
                }

                _safetyPending = true;
                _safetyLateAt = lateAt;
                // A retry that found the save still running is not due again at once: the timer
                // would tick for it back to back until that save ends.
                _safetySaveRetryAt = _safetyUnsaved ? now.Monotonic + SafetySaveRetryInterval : null;
                return;
            }
        }

        NotSaved(now, events, failure);
    }

    /// <summary>
    /// The current state could not be saved: raises the fault unless it stands for this state
    /// already, and saves again on the timer.
    /// </summary>
    private void NotSaved(Moment now, List<DomainEvent> events, string reason)
    {
        if (!ReferenceEquals(_faultedFor, _safety))
        {
            events.Add(new SafetyStateNotPersisted(now.Utc, reason));
        }

        _faultedFor = _safety;
        _safetyUnsaved = true;
        _safetyPending = false;
        _safetyLateAt = null;
        _safetySaveRetryAt = now.Monotonic + SafetySaveRetryInterval;
    }

    private void Saved(Moment now, List<DomainEvent> events)
    {
        if (_safetyUnsaved)
        {
            events.Add(new SafetyStateNotPersistedRestored(now.Utc, _safety.Mode));
        }

        _safetyUnsaved = false;
        _faultedFor = null;
        _safetyPending = false;
        _safetyLateAt = null;
        _safetySaveRetryAt = null;
    }

    /// <summary>
    /// On the timer: a late save still running at <see cref="SafetySaveLateBound"/> is no longer
    /// waiting behind the journal (the store gives up on that within its own wait): the disk is
    /// stuck, and the state counts as not saved.
    /// </summary>
    private void CheckLateSave(Moment now, List<DomainEvent> events)
    {
        if (_safetyLateAt is not { } lateAt || now.Monotonic < lateAt)
        {
            return;
        }

        _safetyLateAt = null;
        if (!_saver.Saving)
        {
            // It ended meanwhile: its SafetySaveEnded is queued and settles it.
            return;
        }

        NotSaved(now, events, $"the disk did not finish the save within {SafetySaveLateBound.TotalMilliseconds:0} ms; "
            + "outputs were driven without it, and the latest state is saved once that save ends");
    }

    /// <summary>
    /// A save the loop stopped waiting for has ended (<see cref="SafetySaveEnded"/>). If it was of
    /// the state the site is in now, that is on disk, or (it failed) not saved: the fault, and the
    /// retry left to the timer. If a newer state was decided while it ran, that one's save is
    /// handed to the saver now, whatever became of the older one: the loop does not wait for it,
    /// and the fault is raised for it only if its own save fails or passes the bound.
    /// </summary>
    /// <remarks>
    /// The loop never waits here. The outputs were driven already, and on a stalled disk, where
    /// every save waits <see cref="SqliteSafetyStateStore.MaxSaveWait"/> and throws, a save waited
    /// for at each end would hold the loop (and the panic and fire edges queued behind it, which
    /// the GPIO fast path cannot decide while the loop holds the gate) up to
    /// <see cref="SafetySaveDeadline"/> of every second. A newer state's save handed on with no
    /// deadline is late, not failed, until it throws or passes <see cref="SafetySaveLateBound"/>,
    /// and its own end comes back here.
    /// </remarks>
    private void OnAbandonedSaveEnded(Moment now, List<DomainEvent> events)
    {
        TakeLateRead(now, events);
        if (!_safetyUnsaved && !_safetyPending)
        {
            return;
        }

        if (_saver.LastAbandoned is ({ } state, var failure, var took))
        {
            if (failure is null && took >= SafetySaveDeadline)
            {
                // Only a save the outputs waited for; one handed on without a wait is not "late".
                LogSaveEndedLate(took.TotalMilliseconds, SafetySaveDeadline.TotalMilliseconds);
            }

            if (ReferenceEquals(state, _safety))
            {
                if (failure is null)
                {
                    Saved(now, events);
                }
                else
                {
                    NotSaved(now, events, failure.Message);
                }

                return;
            }

            // An older state's save: whatever became of it, the newer state is not on disk, and
            // only its own save says whether it can be. Raising the fault for it with the older
            // save's reason, and the restore when its own save took moments later, were a false
            // alarm.
        }

        Persist(now, events, deadline: TimeSpan.Zero);
    }

    /// <summary>
    /// The boot's load, given up on, if it has ended: a scenario it read is put back in force
    /// unless a scenario decided since the boot stands over it, else the office is told what it held
    /// (SiteController.Boot.cs). Before any save: the saver hands none on until this took it, so
    /// its row is not overwritten first.
    /// </summary>
    private void TakeLateRead(Moment now, List<DomainEvent> events)
    {
        if (_saver.TakeAbandonedLoad() is { } load)
        {
            LateLoadEnded(load.Loaded, load.Failure, load.Took, now, events);
        }
    }

    /// <summary>
    /// At an orderly stop, once the loop has ended: a safety state whose save failed (the
    /// journal's writer held the database past the save's wait, or the disk passed the bound) or
    /// is late is saved now. Its retry timer would have come within a second, but a stop right
    /// after the lockdown (SIGTERM for an update) ended the loop first, and the gateway then came
    /// back up Normal under a lockdown the disk never took. A save still running is waited for
    /// first; all of it within <see cref="StopSaveBudget"/>. A state still only late then counts
    /// as not saved: the gateway waits for it no longer.
    /// </summary>
    private void SaveUnsavedSafetyState()
    {
        lock (_loopGate)
        {
            var events = new List<DomainEvent>();
            var start = time.GetTimestamp();
            for (var attempt = 0; attempt < StopSaveAttempts && (_safetyUnsaved || _safetyPending || _safetySaveDueAt is not null) && _safety is not null; attempt++)
            {
                var left = StopSaveBudget - time.GetElapsedTime(start);
                if (left <= TimeSpan.Zero)
                {
                    break;
                }

                // A late read that ended since the loop stopped is taken first: the saver hands
                // on no save until it is (the one waited for below may be that read).
                TakeLateRead(Moment.From(time), events);
                Persist(Moment.From(time), events, deadline: left, turnWait: left, stopping: true);
            }

            if (_safetyPending)
            {
                // Still running (late, or hung past its bound), but the gateway waits no longer:
                // the save may never end now, and nothing saves the latest state after it.
                NotSaved(Moment.From(time), events, "the gateway stopped before the disk finished the save of its current state");
            }

            Report(events);
        }
    }

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Safety-state save still running (a slow disk): outputs driven without it; fault.safety-state-not-persisted only if it fails or runs past {BoundMs} ms")]
    private partial void LogSaveLate(double boundMs);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Safety-state save took {TookMs} ms, past the {DeadlineMs} ms the outputs waited (a slow disk)")]
    private partial void LogSaveEndedLate(double tookMs, double deadlineMs);
}
