using System.Globalization;
using EdgeGuard.Core.Lockdown;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The journal-full policy: what a batch may append when undelivered records reach the limit or
// SQLite cannot write (critical events still go into a reserve above the limit), the episode's
// fault.journal-full and journal.recovered records, and what the host is told.
public sealed partial class EventJournal
{
    // Plans what to write (the journal's own fault records, then as many events as fit), writes
    // it in one transaction, and moves the full-episode state only once that has committed.
    private void Append(List<Pending> batch, long overflowDropped)
    {
        var raise = new List<DomainEvent>(2);
        lock (_appendGate)
        {
            var now = _time.GetUtcNow();
            if (_full)
            {
                // Deleting delivered records may be what frees the disk.
                TryRetentionStep(RetentionElapsed, ageCheck: false);
            }

            var max = _limits.MaxRecords;
            var criticalCeiling = _limits.CriticalCeilingAbove(_waitingAtOpen);
            var officeCeiling = _limits.OfficeCeilingAbove(_waitingAtOpen);
            var faultCeiling = _limits.FaultCeilingAbove(_waitingAtOpen);
            var undelivered = Undelivered();
            var full = _full;
            var faultJournaled = _faultJournaled;
            var reason = _fullReason;
            var episodeDropped = _episodeDropped;
            var since = _fullSince;
            long dropped = 0;
            var plan = new List<Pending>(batch.Count + 4);
            var own = new List<DomainEvent>(4);

            // In an episode: write its fault if that has not been possible yet (it fits in the
            // reserve above the limit however full the journal is), then end the episode if there
            // is room again: below the limit, and with the ballast a full disk freed back on disk
            // (its space is for the safety state: JournalDatabase.Ballast.cs). Runs before the
            // batch, at its first drop and after it.
            void Settle()
            {
                if (full && !faultJournaled && undelivered < faultCeiling)
                {
                    var fault = new JournalFull(now, undelivered, reason);
                    plan.Add(new Pending(fault, false));
                    own.Add(fault);
                    undelivered++;
                    faultJournaled = true;
                }

                if (full && undelivered <= max - ResumeMargin(max) && !_database.BallastFreed)
                {
                    var recovered = new JournalRecovered(now, episodeDropped);
                    plan.Add(new Pending(recovered, false));
                    own.Add(recovered);
                    undelivered++;
                    full = false;
                    faultJournaled = false;
                    episodeDropped = 0;
                }
            }

            void Drop(long count, string why)
            {
                if (!full)
                {
                    full = true;
                    faultJournaled = false;
                    episodeDropped = 0;
                    reason = why;
                    since = now;
                }

                episodeDropped += count;
            }

            if (!full && _database.BallastFreed)
            {
                // Another commit met the full disk first (a retention step, the cursor, a session
                // or safety save) and freed the ballast, whose space is for the safety state and the
                // fault: without an episode this batch's door contacts would take it.
                Drop(0, "the disk is full: a journal write failed with SQLITE_FULL and freed the ballast, kept for the safety state; new events are dropped and counted (critical ones go into a reserve) until the disk has room again");
            }

            Settle();
            foreach (var pending in batch)
            {
                if (!full && undelivered < max)
                {
                    plan.Add(pending);
                    undelivered++;
                    continue;
                }

                // At the limit or in an episode: what the office must never miss still goes in,
                // into the reserve above the limit, while that lasts.
                if (KeptWhileFull(pending.Event) && undelivered < (IsOfficeRecord(pending.Event) ? officeCeiling : criticalCeiling))
                {
                    plan.Add(pending);
                    undelivered++;
                    continue;
                }

                Drop(1, string.Create(CultureInfo.InvariantCulture, $"{undelivered} events are waiting for delivery, the journal's limit of {max}; new events are dropped and counted until the office catches up (critical ones only once their reserve of {JournalLimits.CriticalReserve} records is used up)"));
                dropped++;

                // The episode's fault goes in where the first drop happened, before any critical
                // event journaled after it.
                Settle();
            }

            if (overflowDropped > 0)
            {
                // Dropped by Publish after everything in this batch was queued (already counted in
                // Dropped). The writer has room, so this episode usually ends right away.
                Drop(overflowDropped, string.Create(CultureInfo.InvariantCulture, $"the journal writer fell behind: events beyond its in-memory queue of {QueueCapacity} were dropped"));
            }

            Settle();

            // The episode as it is now, recorded in this batch's commit (EventJournal.Episode.cs).
            var episode = full ? new JournalEpisode(episodeDropped, reason, since) : null;
            var episodeWrite = EpisodeChange(episode);
            var failed = false;
            if (plan.Count > 0 || _pendingGap is not null)
            {
                try
                {
                    if (Write(plan, episodeWrite, inEpisode: full) is { } gap)
                    {
                        raise.Add(gap);
                    }

                    _episodeSaved = episode;
                }
#pragma warning disable CA1031 // Whatever stops the write, the controller must not see it: it becomes the fault.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    WriteFailed(ex, batch.Count, now, raise, droppedBefore: overflowDropped);
                    failed = true;
                }
            }

            else if (episodeWrite is not null && SaveEpisodeAlone(episodeWrite))
            {
                _episodeSaved = episode;
            }

            if (!failed)
            {
                _fullSince = since;
                Committed(now, full, faultJournaled, reason, episodeDropped, dropped, undelivered, own, raise);
            }
        }

        RaiseAfter(raise);
    }

    // A write failed and nothing of it was written: its events are lost (counted), the episode
    // (new or ongoing) says why, and the fault itself is tried on its own. droppedBefore: events
    // Publish dropped at its queue's limit (already in Dropped) that this batch was to report;
    // the episode's count, which the office gets in journal.recovered, still needs them. Caller
    // holds _appendGate.
    private void WriteFailed(Exception ex, long events, DateTimeOffset now, List<DomainEvent> raise, long droppedBefore = 0)
    {
        Interlocked.Add(ref _dropped, events);
        BeginOrExtendEpisode(FailureReason(ex), events + droppedBefore);
        ReportWriteFailure(ex);
        TryWriteFault(now, raise);
    }

    // After a successful write (or when there was nothing to write): the episode state moves on
    // and the host hears, once per episode, that it began, and when it ended.
    private void Committed(
        DateTimeOffset now,
        bool full,
        bool faultJournaled,
        string reason,
        long episodeDropped,
        long dropped,
        long undelivered,
        List<DomainEvent> own,
        List<DomainEvent> raise)
    {
        _full = full;
        _faultJournaled = faultJournaled;
        _fullReason = reason;
        _episodeDropped = episodeDropped;
        _isFull = full;
        if (!full)
        {
            EpisodeEnded();
        }

        Interlocked.Add(ref _dropped, dropped);

        // Tell the host once per episode that it began, and when it ended.
        var announced = _faultAnnounced;
        foreach (var domainEvent in own)
        {
            if (domainEvent is JournalRecovered)
            {
                raise.Add(domainEvent);
                announced = false;
            }
            else if (!announced)
            {
                raise.Add(domainEvent);
                announced = true;
            }
        }

        if (full && !announced)
        {
            // No room even for the fault record (reserve used up): the host still hears of it.
            raise.Add(new JournalFull(now, undelivered, reason));
            announced = true;
        }

        _faultAnnounced = announced;
    }

    /// <summary>
    /// Whether <paramref name="domainEvent"/> is still journaled, in the reserve above
    /// <see cref="JournalLimits.MaxRecords"/>, while the journal is full of undelivered records:
    /// every critical event (lockdown started or retriggered, panic button, output and
    /// safety-state faults), and the clearing of a lockdown, which is rated a warning but without
    /// which the office's audit trail would show the site locked down for good.
    /// </summary>
    /// <param name="domainEvent">The event to journal.</param>
    /// <returns>True when it may use <see cref="JournalLimits.CriticalReserve"/>.</returns>
    // Authenticated office commands and what they changed are kept too: who cleared, bypassed or
    // acknowledged what must never be missing from the record (the commands' own records only
    // within JournalLimits.OfficeShare of the reserve). Rejected commands are not: anyone who
    // can reach the broker can send them, and a flood of forgeries must not use up the reserve that
    // keeps lockdown.started (the drop count in journal.recovered still says they happened).
    internal static bool KeptWhileFull(DomainEvent domainEvent) =>
        domainEvent.Severity == Severity.Critical
        || domainEvent is LockdownCleared or FireReset or PointBypassed or PointUnbypassed or AlarmAcknowledged
            or DoorAccessGranted or DoorAccessEnded or TechnicianAccessGranted or TechnicianAccessEnded
        || IsOfficeRecord(domainEvent);

    /// <summary>
    /// Whether <paramref name="domainEvent"/> is an office command's record, kept while full only
    /// within <see cref="JournalLimits.OfficeShare"/> of the reserve (and of a hand-out from memory:
    /// EventJournal.FromMemory.cs): a signed command sent in a loop must not use up the room a
    /// lockdown needs. That is the command's own records, and an acknowledgement that silences
    /// nothing (never refused when repeated). What changes what the site does keeps the whole
    /// reserve: a lockdown's clear, a fire reset, a siren silenced, a bypass and its end (the site
    /// obeys a bypass whether or not its record fits, so the record must), a door's open-door and its
    /// end, technician access and its end (likewise obeyed). A rebirth works only once
    /// its event reaches the broker, and a resend's end is what the office waits for; past the share
    /// they are dropped and counted like the rest.
    /// </summary>
    internal static bool IsOfficeRecord(DomainEvent domainEvent) =>
        domainEvent.Severity != Severity.Critical
        && domainEvent switch
        {
            Core.Commands.CommandReceived or CommandDone or CommandRefused or StateRepublishRequested or ResendEnded => true,
            AlarmAcknowledged acknowledged => !acknowledged.SirenSilenced,
            _ => false,
        };

    private static bool IsWriteFailure(Exception ex) =>
        ex is JournalException or SqliteException or ObjectDisposedException or InvalidOperationException;

    private void TryWriteFault(DateTimeOffset now, List<DomainEvent> raise)
    {
        var undelivered = Undelivered();
        var fault = new JournalFull(now, undelivered, _fullReason);
        if (!_faultJournaled && undelivered < _limits.FaultCeilingAbove(_waitingAtOpen))
        {
            try
            {
                // The episode goes in with its fault: the count the failed write began or extended.
                var episode = CurrentEpisode;
                if (Write([new Pending(fault, false)], EpisodeChange(episode)) is { } gap)
                {
                    raise.Add(gap);
                }

                _episodeSaved = episode;
                _faultJournaled = true;
            }
            catch (Exception ex) when (IsWriteFailure(ex))
            {
                // Still no room: the fault stays pending and is written with the next attempt.
                ReportWriteFailure(ex);
            }
        }

        if (!_faultAnnounced)
        {
            raise.Add(fault);
            _faultAnnounced = true;
        }
    }

    // A failed write (a batch, the fault, the episode's count alone, a retention step) goes to the
    // host's log when it says something new in this episode. Each one was logged: a line per batch
    // while a door chattered, and two every 30 s while idle (the writer's retry of the fault), into
    // journald, often on the same full card. The office has the episode's fault, and
    // journal.recovered the count. Caller holds _appendGate.
    private void ReportWriteFailure(Exception ex)
    {
        if (string.Equals(_writeFailureReported, ex.Message, StringComparison.Ordinal))
        {
            return;
        }

        _writeFailureReported = ex.Message;
        Report(ex);
    }

    private void BeginOrExtendEpisode(string reason, long dropped)
    {
        if (!_full)
        {
            _full = true;
            _faultJournaled = false;
            _fullReason = reason;
            _fullSince = _time.GetUtcNow();
            _episodeDropped = 0;
            _faultAnnounced = false;
            _isFull = true;
        }

        _episodeDropped += dropped;
    }

    // Resume only with a little room to spare, so a journal at its limit does not flap between
    // full and recovered with every acknowledgement.
    private static long ResumeMargin(long max) => Math.Max(1, max / 100);

    private static string FailureReason(Exception ex)
    {
        var sqlite = ex as SqliteException ?? ex.InnerException as SqliteException;
        var what = (sqlite is null ? 0 : SqliteCodes.Primary(sqlite)) switch
        {
            SqliteCodes.Full => "the disk is full",
            SqliteCodes.IoError => "disk I/O error",
            _ => "the journal could not be written",
        };
        return $"{what}: {(sqlite ?? ex).Message}";
    }

    private void RaiseAfter(List<DomainEvent> own)
    {
        if (_onJournalEvent is null)
        {
            return;
        }

        foreach (var domainEvent in own)
        {
            try
            {
                _onJournalEvent(domainEvent);
            }
            catch (Exception ex)
            {
                Report(ex);
            }
        }
    }
}
