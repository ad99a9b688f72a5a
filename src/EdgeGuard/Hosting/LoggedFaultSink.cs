using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>
/// Where delivery faults go: the log at once (someone on site may be watching it) and the journal
/// (so the office receives them once the link works again).
/// </summary>
internal sealed partial class LoggedFaultSink(EventJournal journal, ILogger<LoggedFaultSink> log) : IEventSink
{
    public void Publish(IReadOnlyList<DomainEvent> events)
    {
        foreach (var e in events)
        {
            LogFault(e.Type, e);
        }

        journal.Publish(events);
    }

    [LoggerMessage(EventId = 310, Level = LogLevel.Error, Message = "{EventType} {Event}")]
    private partial void LogFault(string eventType, DomainEvent @event);
}
