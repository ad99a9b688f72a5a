using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Hardware.Board;

// How a poll's events and edges leave, and what happens when the edge action throws (a bug, the controller
// disposed at a stop): the rule every input source follows (the Hardware README, "When the edge action throws").
// The edges themselves are kept, not the levels: a fire alarm refused and over again before the next accepted
// state leaves the level where it was, and a put-back level would never deliver the alarm.
public sealed partial class EolLoopLines
{
    /// <summary>
    /// Refused edges kept at most, per ADC: eight loops changing four times each, twice over. Beyond it an edge
    /// is counted lost and its loop goes back to the level (and fail-safe mark) before its first dropped edge,
    /// the one the receiver holds once the queue drains, so a later poll still brings the receiver to the real
    /// level.
    /// </summary>
    public const int MaxRefusedEdges = RefusedEdges.MaxKept;

    /// <summary>
    /// Refused edges dropped because <see cref="MaxRefusedEdges"/> were already waiting, one per change (a loop
    /// put back is not counted again at each poll that finds it changed). Named in the ADC's fault reason.
    /// </summary>
    public long LostDeliveries => Interlocked.Read(ref _lostDeliveries);

    // The edges the action threw on (and every later one), in order, with their original stamps. Under _polling.
    private readonly Queue<PendingEdge> _refused = new();

    /// <summary>Hands the poll's events to the report. Never throws.</summary>
    private void Report(List<DomainEvent> events)
    {
        try
        {
            if (events.Count > 0)
            {
                _report(events);
            }
        }
#pragma warning disable CA1031 // Runs on a timer thread: an escaping exception would end the process.
        catch (Exception)
#pragma warning restore CA1031
        {
            // The report never throws by design; if it does, the controller is gone and so is anyone to tell.
        }
    }

    /// <summary>
    /// Hands the edges still refused, then the poll's <paramref name="edges"/>, to the action, in order. Under
    /// <see cref="_polling"/>, outside <see cref="_gate"/>. An edge counts as taken only once the action returned
    /// for it: at a throw, that edge and every later one are kept for the next poll, which tries them first.
    /// </summary>
    /// <remarks>
    /// A kept edge keeps its stamp: it is when the loop changed, and the receiver's debounce measures a pulse
    /// between two stamps. <see cref="LoopSlot.ReportedHigh"/> and <see cref="LoopSlot.FailSafe"/> describe the
    /// level after every edge delivered or kept, so nothing is put back, except for an edge dropped from a full
    /// queue.
    /// </remarks>
    private void Deliver(List<PendingEdge> edges)
    {
        while (_refused.TryPeek(out var kept))
        {
            if (!_handOff.Hand(_onEdge, kept.Edge))
            {
                Keep(edges);
                return;
            }

            _refused.Dequeue();
        }

        for (var i = 0; i < edges.Count; i++)
        {
            if (!_handOff.Hand(_onEdge, edges[i].Edge))
            {
                Keep(edges.Skip(i).ToList());
                return;
            }
        }
    }


    /// <summary>Queues <paramref name="edges"/> behind those already kept; drops (and puts back) what does not fit.</summary>
    private void Keep(List<PendingEdge> edges)
    {
        var fit = Math.Min(edges.Count, MaxRefusedEdges - _refused.Count);
        foreach (var edge in edges.Take(fit))
        {
            _refused.Enqueue(edge);
        }

        if (fit == edges.Count)
        {
            return;
        }

        // Counted per change, not per poll: a loop put back by an earlier poll gives the same edge again at every
        // poll while the queue stays full, and that change was counted lost when first dropped.
        Interlocked.Add(ref _lostDeliveries, edges.Skip(fit).Count(e => !e.Again));
        var restored = new HashSet<LoopSlot>();
        lock (_gate)
        {
            foreach (var (slot, before, beforeFailSafe, _, _) in edges.Skip(fit))
            {
                // Back to the level (and its fail-safe mark) before the loop's first dropped edge: what the
                // receiver holds once the queue drains, so a later accepted state compares with it.
                if (restored.Add(slot))
                {
                    (slot.ReportedHigh, slot.FailSafe, slot.PutBack) = (before, beforeFailSafe, true);
                }
            }
        }
    }

    /// <summary>
    /// The fault text for refused edges, or null when none is kept and no throw or loss happened since the last
    /// poll looked. Under <see cref="_polling"/> and <see cref="_gate"/>: a poll's throws are seen by the next one.
    /// </summary>
    private string? RefusedFault()
    {
        var refusals = _handOff.Failures;
        var lost = Interlocked.Read(ref _lostDeliveries);
        if (refusals == _deliveryFailuresSeen && lost == _lostDeliveriesSeen && _refused.Count == 0)
        {
            return null;
        }

        var text = RefusedEdges.Describe(refusals - _deliveryFailuresSeen, _refused.Count, lost - _lostDeliveriesSeen,
            _handOff.LastFailure?.Message, "its loops'", "poll");
        (_deliveryFailuresSeen, _lostDeliveriesSeen) = (refusals, lost);
        return text;
    }

    /// <summary>
    /// An edge a poll found, with the loop's level and fail-safe mark before it (null: none delivered yet): put
    /// back only when the edge is dropped from a full queue. <c>Again</c>: the loop had been put back, so this is
    /// the change already counted lost, found again.
    /// </summary>
    private readonly record struct PendingEdge(LoopSlot Slot, bool? Before, bool BeforeFailSafe, RawEdge Edge, bool Again);
}
