using EdgeGuard.Core.Ports;

namespace EdgeGuard.Hardware.Drivers.Mcp23017;

// How a read's edges reach the edge action, and what happens when it throws (a bug, the controller disposed at a
// stop): the rule every input source follows (the Hardware README, "When the edge action throws"). Kept apart
// from configuration and reads in Mcp23017Lines.cs and from the interrupt path in Mcp23017Lines.Interrupts.cs.
public sealed partial class Mcp23017Lines
{
    // Pins whose _reported was put back because the edge action threw on their edge: the next read finds them
    // changed and delivers them again. A difference there says nothing about the interrupt line either.
    private ushort _undelivered;
    private long _deliveryFailures;
    private Exception? _lastDeliveryFailure;

    /// <summary>
    /// Times the edge action threw. Nothing is lost by it: the levels it did not take stay unreported and every
    /// later read (an interrupt, <see cref="Sweep"/>, <see cref="DeliverChanges"/>) delivers them again, stamped
    /// then. Non-zero growth is a fault to report.
    /// </summary>
    public long DeliveryFailures => Interlocked.Read(ref _deliveryFailures);

    /// <summary>The most recent exception the edge action threw.</summary>
    public Exception? LastDeliveryFailure => Volatile.Read(ref _lastDeliveryFailure);

    /// <summary>
    /// Hands edges to the action, in order. Called under the lock, after <see cref="RecordRead"/>. A pin's level
    /// counts as reported only once the action returned for it: when the action throws, that edge's pin and the
    /// pin of every later edge go back to the level before their first undelivered edge, so the next read finds
    /// them changed and delivers them again (stamped then), exactly once. Never throws.
    /// </summary>
    /// <remarks>
    /// Delivering the rest of the batch after a throw would reorder it (the failed edge comes again later), and
    /// the action's failure (a bug, the controller disposed at a stop) is rarely one edge's: the next read is the
    /// retry, at the supervision's pace (each second, every 25 ms while the interrupt line is not trusted) or at
    /// the next interrupt. The failure is counted in <see cref="DeliveryFailures"/>; the bank reports it.
    /// </remarks>
    private void Deliver(List<RawEdge> edges)
    {
        for (var i = 0; i < edges.Count; i++)
        {
            try
            {
                _onEdge?.Invoke(edges[i]);
            }
#pragma warning disable CA1031 // Whatever the action threw, the edge was not taken: kept for the next read.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _deliveryFailures);
                Volatile.Write(ref _lastDeliveryFailure, ex);
                Undeliver(edges, i);

                return;
            }
        }
    }

    /// <summary>Puts back the reported level of each pin with an edge from <paramref name="from"/> on. Under the lock.</summary>
    /// <remarks>
    /// Unconditionally, unlike a native line's guard against a re-entrant edge: the action writes this chip's
    /// outputs at most, never reads it, and should it ever, a level delivered twice beats one never delivered.
    /// </remarks>
    private void Undeliver(List<RawEdge> edges, int from)
    {
        ushort restored = 0;
        for (var i = from; i < edges.Count; i++)
        {
            var bit = (ushort)(1 << _inputPins[edges[i].PointId]);
            if ((restored & bit) == 0)
            {
                // A pin's edges alternate: the level before its first undelivered edge is that edge's opposite.
                restored |= bit;
                _reported = (ushort)(edges[i].High ? _reported & ~bit : _reported | bit);
            }
        }

        _undelivered |= restored;
    }
}
