using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>
/// Where the publisher's faults (delivery and broker faults, and their restores) go: the log at
/// once (someone on site may be watching it) and the journal (so the office receives them once the
/// link works again).
/// </summary>
internal sealed partial class LoggedFaultSink(EventJournal journal, ILogger<LoggedFaultSink> log) : IEventSink
{
    public void Publish(IReadOnlyList<DomainEvent> events)
    {
        foreach (var e in events)
        {
            // A fault is an error; its "-restored" counterpart is good news, logged as such.
            LogFault(e.Severity == Severity.Info ? LogLevel.Information : LogLevel.Error, e.Type, e);
        }

        journal.Publish(events);
    }

    // 342: 310 is the publisher's "event not delivered" (DeliverySession.Log.cs), and the
    // publisher's ids run from 300 up.
    [LoggerMessage(EventId = 342, Message = "{EventType} {Event}")]
    private partial void LogFault(LogLevel level, string eventType, DomainEvent @event);
}
