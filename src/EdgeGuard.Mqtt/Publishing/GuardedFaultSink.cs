using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// The publisher's way to its <c>faults</c> sink: a sink that throws is logged, never passed on.
/// The faults are reported from the publisher's catch blocks, its catch-up and the MQTT client's
/// disconnect handler; an exception from there escaped <c>ExecuteAsync</c>, and a
/// <see cref="Microsoft.Extensions.Hosting.BackgroundService"/> that fails stops the host by
/// default, the lock outputs with it. A fault that cannot be recorded is worth a log line, not the
/// site.
/// </summary>
internal sealed partial class GuardedFaultSink(IEventSink sink, ILogger log) : IEventSink
{
    private long _failures;

    /// <summary>Times the sink threw since start.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <inheritdoc/>
    public void Publish(IReadOnlyList<DomainEvent> events)
    {
        try
        {
            sink.Publish(events);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Interlocked.Increment(ref _failures);
            foreach (var e in events)
            {
                LogNotRecorded(ex, e.Type, e);
            }
        }
    }

    [LoggerMessage(EventId = 343, Level = LogLevel.Error, Message = "The publisher's {EventType} could not be recorded (the fault sink failed); delivery carries on: {Event}")]
    private partial void LogNotRecorded(Exception ex, string eventType, DomainEvent @event);
}
