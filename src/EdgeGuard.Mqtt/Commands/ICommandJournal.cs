using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Mqtt.Commands;

/// <summary>Where command attempts are journaled; <see cref="RecordAsync"/> completes once the event is durable.</summary>
public interface ICommandJournal
{
    /// <summary>Journals <paramref name="attempt"/> and completes when it is on disk (or was dropped and counted by a full journal).</summary>
    Task RecordAsync(DomainEvent attempt, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="ICommandJournal"/> over the gateway's event sink: publish, then wait for the journal's
/// flush. The event journal's <c>Publish</c> does not wait for the disk (it is called from the
/// controller), so the flush is what lets the subscriber acknowledge a command only after it is journaled.
/// </summary>
/// <param name="sink">The event journal.</param>
/// <param name="flush">Completes when everything published before the call is committed (<c>EventJournal.FlushAsync</c>).</param>
public sealed class FlushingCommandJournal(IEventSink sink, Func<Task> flush) : ICommandJournal
{
    private readonly IEventSink _sink = sink ?? throw new ArgumentNullException(nameof(sink));
    private readonly Func<Task> _flush = flush ?? throw new ArgumentNullException(nameof(flush));

    /// <inheritdoc />
    public Task RecordAsync(DomainEvent attempt, CancellationToken cancellationToken)
    {
        _sink.Publish([attempt]);
        return _flush().WaitAsync(cancellationToken);
    }
}
