using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.WalkTest;

/// <summary>
/// Keeps what the I/O board and the kernel check report while the walk test opens its lines — before its session
/// exists — and hands it to the session when it does: a chip that does not answer, or a kernel that drops
/// released outputs (<c>ReleasedOutputsProbe</c>), is reported only once, at start, and the technician must see it.
/// </summary>
/// <remarks>
/// Bounded: a board reporting without end before the session exists must not fill the memory of the walk test;
/// the events beyond <see cref="Capacity"/> are counted, and the count is shown. In the gateway nothing like this is
/// needed: the controller's channel exists before any line is opened.
/// </remarks>
/// <param name="capacity">How many events to keep; the rest are only counted.</param>
internal sealed class BoardEventsAtStart(int capacity = BoardEventsAtStart.DefaultCapacity)
{
    /// <summary>How many events are kept by default: far more than a board reports at start.</summary>
    public const int DefaultCapacity = 256;

    private readonly Lock _gate = new();
    private readonly List<DomainEvent> _kept = [];
    private int _notKept;
    private Action<IReadOnlyList<DomainEvent>>? _later;

    /// <summary>How many events are kept.</summary>
    public int Capacity { get; } = capacity > 0 ? capacity : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "must be positive");

    /// <summary>True once <see cref="HandOver"/> was called.</summary>
    public bool HandedOver
    {
        get
        {
            lock (_gate)
            {
                return _later is not null;
            }
        }
    }

    /// <summary>
    /// The board's report: kept until <see cref="HandOver"/>, then passed straight on. Any thread; called by the
    /// board's poll and supervision timers, so it only stores or hands on.
    /// </summary>
    public void Report(IReadOnlyList<DomainEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            // Under the lock, so an event reported during the hand-over can neither be lost nor overtake a kept one.
            if (_later is { } later)
            {
                later(events);
                return;
            }

            foreach (var e in events)
            {
                if (_kept.Count < Capacity)
                {
                    _kept.Add(e);
                }
                else
                {
                    _notKept++;
                }
            }
        }
    }

    /// <summary>
    /// Gives every kept event, in the order reported, and the count of those not kept, to <paramref name="atStart"/>;
    /// from then on every report goes to <paramref name="later"/>. Once.
    /// </summary>
    /// <exception cref="InvalidOperationException">Handed over already.</exception>
    public void HandOver(Action<IReadOnlyList<DomainEvent>, int> atStart, Action<IReadOnlyList<DomainEvent>> later)
    {
        ArgumentNullException.ThrowIfNull(atStart);
        ArgumentNullException.ThrowIfNull(later);
        lock (_gate)
        {
            if (_later is not null)
            {
                throw new InvalidOperationException("The board's events at start were handed over already.");
            }

            atStart([.. _kept], _notKept);
            _kept.Clear();
            _later = later;
        }
    }
}
