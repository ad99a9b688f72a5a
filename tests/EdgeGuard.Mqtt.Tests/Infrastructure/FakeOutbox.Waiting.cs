namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// Events handed to the journal that have no seq yet, as the journal's while its writer is busy
/// with a commit (or stuck in one on a hung card): <see cref="EventsWaiting"/> is true and no read
/// returns them until <see cref="SequenceWaiting"/>.
/// </summary>
public sealed partial class FakeOutbox
{
    private readonly List<(string Type, string? Point, string? Zone)> _waiting = [];

    /// <summary>
    /// Whether the waiting events get their seqs as soon as a reader asks
    /// <see cref="EventsWaiting"/> (which still answers true): the writer's commit ends just as
    /// the publisher looks. False: they wait until <see cref="SequenceWaiting"/>.
    /// </summary>
    public bool SequencesWaitingWhenAsked { get; set; }

    /// <inheritdoc/>
    public bool EventsWaiting
    {
        get
        {
            bool waiting;
            lock (_gate)
            {
                waiting = _waiting.Count > 0;
            }

            if (waiting && SequencesWaitingWhenAsked)
            {
                SequenceWaiting();
            }

            return waiting;
        }
    }

    /// <summary>Hands the journal an event that waits for its seq.</summary>
    public void HandOverWaiting(string type, string? point = null, string? zone = null)
    {
        lock (_gate)
        {
            _waiting.Add((type, point, zone));
        }
    }

    /// <summary>Journals the waiting events, in the order they were handed over.</summary>
    public void SequenceWaiting()
    {
        List<(string Type, string? Point, string? Zone)> waiting;
        lock (_gate)
        {
            waiting = [.. _waiting];
            _waiting.Clear();
        }

        foreach (var (type, point, zone) in waiting)
        {
            Append(type, point, zone);
        }
    }
}
