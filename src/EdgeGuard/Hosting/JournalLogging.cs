using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>Opens the event journal with its failures (writer, unreadable rows) and its own faults going to the log.</summary>
internal static partial class JournalLogging
{
    public static EventJournal Create(JournalDatabase database, TimeProvider time, JournalLimits limits, ILogger<EventJournal> log)
    {
        if (database.ReadOnlyAccess is { } access)
        {
            // Once, at the start, where a technician reading `journalctl -u edgeguard` looks first.
            LogReadOnly(log, database.Path, access);
        }

        return new(database, time, limits,
            onError: ex => LogFailure(log, ex),
            onJournalEvent: e => LogJournalEvent(log, e.Type, e));
    }

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "Journal failure; it carries on")]
    private static partial void LogFailure(ILogger log, Exception ex);

    [LoggerMessage(EventId = 502, Level = LogLevel.Critical, Message = "Journal database {Path} cannot be written (read-only storage; opened {Access}): the gateway runs from the safety state it last saved, but saves nothing from now on: no new safety state (a lockdown or clear now is forgotten at the next restart), no event; the office gets the retained state but no events, and its commands are refused. Usually the kernel remounted the SD card read-only after errors (see dmesg): remount it read-write (mount -o remount,rw) or replace the card, then restart edgeguard")]
    private static partial void LogReadOnly(ILogger log, string path, JournalReadOnlyAccess access);

    [LoggerMessage(EventId = 501, Level = LogLevel.Critical, Message = "{EventType} {Event}")]
    private static partial void LogJournalEvent(ILogger log, string eventType, Core.Lockdown.DomainEvent @event);
}
