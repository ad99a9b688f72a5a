using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>Opens the event journal with its failures (writer, unreadable rows) and its own faults going to the log.</summary>
internal static partial class JournalLogging
{
    public static EventJournal Create(JournalOpening opening, TimeProvider time, JournalLimits limits, ILogger<EventJournal> log)
    {
        var database = opening.Database;
        if (database.ReadOnlyAccess is { } access)
        {
            // Once, at the start, where a technician reading `journalctl -u edgeguard` looks first.
            LogReadOnly(log, database.Path, access);
        }

        var journal = new EventJournal(database, time, limits,
            onError: ex => LogFailure(log, ex),
            onJournalEvent: e => LogJournalEvent(log, e.Type, e));
        switch (opening.Fault)
        {
            case JournalReplaced replaced:
                LogReplaced(log, replaced.KeptAt, replaced.Path, replaced.Problem);
                break;
            case JournalUnavailable unavailable:
                LogUnavailable(log, unavailable.Path, unavailable.FallbackPath, unavailable.Reason);
                break;
        }

        if (opening.Fault is { } fault)
        {
            // Before the controller's first event: right after the journal.gap that opens a new
            // journal, so the office reads why the seqs jumped next to the jump.
            journal.Publish([fault]);
        }

        return journal;
    }

    [LoggerMessage(EventId = 503, Level = LogLevel.Critical, Message = "Journal database replaced: the old one is kept at {KeptAt} (with its -wal and -shm; export it with `sudo -u edgeguard edgeguard journal export --db {KeptAt}`), the gateway runs on a new journal at {Path}; no saved safety state was restored (a lockdown in force before may have been lost: fault.journal-replaced). {Problem}")]
    private static partial void LogReplaced(ILogger log, string keptAt, string path, string problem);

    [LoggerMessage(EventId = 504, Level = LogLevel.Critical, Message = "Journal database {Path} cannot be opened; the gateway runs on a volatile journal at {FallbackPath}: events and the safety state now live in RAM and are lost at power-off (fault.journal-unavailable). Fix the state directory (space, permissions, the card: see dmesg), then restart edgeguard; the journal continues above the volatile one's seqs. {Reason}")]
    private static partial void LogUnavailable(ILogger log, string path, string fallbackPath, string reason);

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "Journal failure; it carries on")]
    private static partial void LogFailure(ILogger log, Exception ex);

    [LoggerMessage(EventId = 502, Level = LogLevel.Critical, Message = "Journal database {Path} cannot be written (read-only storage; opened {Access}): the gateway runs from the safety state it last saved, but saves nothing from now on: no new safety state (a lockdown or clear now is forgotten at the next restart), no event; the office gets the retained state but no events, and its commands are refused. Usually the kernel remounted the SD card read-only after errors (see dmesg): remount it read-write (mount -o remount,rw) or replace the card, then restart edgeguard")]
    private static partial void LogReadOnly(ILogger log, string path, JournalReadOnlyAccess access);

    [LoggerMessage(EventId = 501, Level = LogLevel.Critical, Message = "{EventType} {Event}")]
    private static partial void LogJournalEvent(ILogger log, string eventType, DomainEvent @event);
}
