using EdgeGuard.Core.Ports;
using MQTTnet;

namespace EdgeGuard.Mqtt.Publishing;

/// <summary>What an in-flight publish carries.</summary>
internal enum InFlightKind
{
    /// <summary>A journaled event on <c>{root}/events</c>; its PUBACK moves the delivery cursor.</summary>
    Event,

    /// <summary>The retained <c>{root}/state/lockdown</c>.</summary>
    LockdownState,

    /// <summary>A retained <c>{root}/state/points/{point}</c>.</summary>
    PointState,

    /// <summary>The retained <c>{root}/state/delivery</c>: whether the broker refuses an event.</summary>
    DeliveryState,

    /// <summary>
    /// An event on <c>{root}/events</c> sent again at the office's request (the resend command); its
    /// PUBACK never moves the delivery cursor, and a refusal ends the resend, not the stream.
    /// </summary>
    Resend,
}

/// <summary>One publish awaiting its PUBACK.</summary>
/// <param name="Kind">What was published.</param>
/// <param name="Record">The event, for <see cref="InFlightKind.Event"/>.</param>
/// <param name="Point">The point, for <see cref="InFlightKind.PointState"/>; the resend's command id, for <see cref="InFlightKind.Resend"/>.</param>
/// <param name="Ack">Completes with the PUBACK.</param>
internal readonly record struct InFlight(InFlightKind Kind, JournalRecord? Record, string? Point, Task<MqttClientPublishResult> Ack);

/// <summary>
/// The QoS 1 publishes sent and not yet settled, oldest first. Publishes are started in order and
/// settled in the same order, so "the head is acknowledged" means a contiguous prefix is.
/// </summary>
internal sealed class InFlightWindow(int capacity)
{
    private readonly Queue<InFlight> _entries = new(capacity);

    /// <summary>Most publishes in flight at once.</summary>
    public int Capacity { get; } = capacity;

    /// <summary>Publishes in flight.</summary>
    public int Count => _entries.Count;

    /// <summary>Whether another publish must wait.</summary>
    public bool IsFull => _entries.Count >= Capacity;

    /// <summary>Adds a publish just started.</summary>
    public void Add(InFlight entry) => _entries.Enqueue(entry);

    /// <summary>The oldest publish, if any.</summary>
    public bool TryPeek(out InFlight entry) => _entries.TryPeek(out entry);

    /// <summary>Removes the oldest publish.</summary>
    public InFlight Dequeue() => _entries.Dequeue();

    /// <summary>
    /// Forgets every publish in flight (they will be sent again), observing their tasks so a late
    /// failure is not reported as unobserved. Returns the state publishes that were dropped.
    /// </summary>
    public List<InFlight> Abandon()
    {
        var states = new List<InFlight>();
        while (_entries.TryDequeue(out var entry))
        {
            Observe(entry.Ack);
            if (entry.Kind != InFlightKind.Event)
            {
                states.Add(entry);
            }
        }

        return states;
    }

    /// <summary>Marks a task's eventual exception as observed.</summary>
    public static void Observe(Task task)
    {
        if (task.IsCompleted)
        {
            _ = task.Exception;
            return;
        }

        task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
