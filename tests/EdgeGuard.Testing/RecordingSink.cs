using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Testing;

/// <summary>Collects every domain event published to it.</summary>
public sealed class RecordingSink : IEventSink
{
    private readonly Lock _gate = new();
    private readonly List<DomainEvent> _events = [];

    /// <summary>Everything received so far.</summary>
    public IReadOnlyList<DomainEvent> Events
    {
        get
        {
            lock (_gate)
            {
                return [.. _events];
            }
        }
    }

    /// <inheritdoc/>
    public void Publish(IReadOnlyList<DomainEvent> events)
    {
        lock (_gate)
        {
            _events.AddRange(events);
        }
    }
}
