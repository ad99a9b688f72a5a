using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>Opens the event journal with its failures (writer, unreadable rows) and its own faults going to the log.</summary>
internal static partial class JournalLogging
{
    public static EventJournal Create(JournalDatabase database, TimeProvider time, JournalLimits limits, ILogger<EventJournal> log) =>
        new(database, time, limits,
            onError: ex => LogFailure(log, ex),
            onJournalEvent: e => LogJournalEvent(log, e.Type, e));

    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "Journal failure; it carries on")]
    private static partial void LogFailure(ILogger log, Exception ex);

    [LoggerMessage(EventId = 301, Level = LogLevel.Critical, Message = "{EventType} {Event}")]
    private static partial void LogJournalEvent(ILogger log, string eventType, Core.Lockdown.DomainEvent @event);
}
