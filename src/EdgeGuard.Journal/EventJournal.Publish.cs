using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The controller's side of the queue: Publish hands events over without waiting for the disk
// (or sequences them itself with the writer idle, EventJournal.Inline.cs), and FlushAsync waits
// until the writer has handled everything handed over before it.
public sealed partial class EventJournal
{
    /// <inheritdoc />
    /// <remarks>
    /// Never blocks on disk and never throws. Each event's own <see cref="DomainEvent.Drill"/> flags
    /// it. With the writer idle, readers waiting in <see cref="WaitForRecordsAfterAsync"/> resume on
    /// this thread before it returns.
    /// </remarks>
    public void Publish(IReadOnlyList<DomainEvent> events) => Publish(events, drill: false);

    /// <summary>
    /// Hands <paramref name="events"/> to the writer (or, with the writer idle, sequences them on
    /// this thread), flagged as drill events or not.
    /// </summary>
    /// <param name="events">Events in the order they happened.</param>
    /// <param name="drill">True when they happened during a drill.</param>
    public void Publish(IReadOnlyList<DomainEvent> events, bool drill)
    {
        if (events is null || events.Count == 0 || TryHandOutNow(events, drill))
        {
            return;
        }

        lock (_queueGate)
        {
            var wasEmpty = _queue.Count == 0;
            long dropped = 0;
            foreach (var domainEvent in events)
            {
                if (domainEvent is null)
                {
                    continue;
                }

                if (_stopping || _queue.Count >= QueueCapacity)
                {
                    dropped++;
                    continue;
                }

                _queue.Enqueue(new Pending(domainEvent, drill || domainEvent.Drill));
                _enqueued++;
            }

            if (dropped > 0)
            {
                Interlocked.Add(ref _dropped, dropped);
                if (!_stopping)
                {
                    // The writer opens a full episode for these, so the office learns of them.
                    _overflowDropped += dropped;
                    Monitor.Pulse(_queueGate);
                }
            }

            if (wasEmpty && _queue.Count > 0)
            {
                Monitor.Pulse(_queueGate);
            }
        }
    }

    /// <summary>
    /// Completes when every event enqueued before the call has been handled by the writer:
    /// committed, or dropped and counted because the journal was full.
    /// </summary>
    /// <returns>A task that completes then; it faults with <see cref="ObjectDisposedException"/> if the journal is disposed first.</returns>
    public Task FlushAsync()
    {
        lock (_queueGate)
        {
            var target = _enqueued;
            if (_processed >= target)
            {
                return Task.CompletedTask;
            }

            if (Volatile.Read(ref _disposed) != 0 && !_writer.IsAlive)
            {
                return Task.FromException(new ObjectDisposedException(nameof(EventJournal)));
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((target, done));
            Monitor.Pulse(_queueGate); // a writer holding a commit commits now
            return done.Task;
        }
    }
}
