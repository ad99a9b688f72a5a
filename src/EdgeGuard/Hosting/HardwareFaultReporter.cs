using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>
/// Where the I/O board's supervision reports go (loop tamper, a chip that stopped answering): the log at
/// once and every event sink (the journal, so the office receives them). They come from the board's poll
/// timers, not from the controller loop; the journal accepts events from any thread.
/// </summary>
internal sealed partial class HardwareFaultReporter(IEnumerable<IEventSink> sinks, ILogger<HardwareFaultReporter> log)
{
    private readonly IEventSink[] _sinks = [.. sinks];

    public void Report(IReadOnlyList<DomainEvent> events)
    {
        foreach (var e in events)
        {
            LogFault(e.Severity >= Severity.Alarm ? LogLevel.Error : LogLevel.Information, e.Type, e.Point, e);
        }

        foreach (var sink in _sinks)
        {
            sink.Publish(events);
        }
    }

    [LoggerMessage(EventId = 320, Message = "{EventType} point={Point} {Event}")]
    private partial void LogFault(LogLevel level, string eventType, string? point, DomainEvent @event);
}
