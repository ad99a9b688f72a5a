using EdgeGuard.Core.Ports;

namespace EdgeGuard.Hardware.Drivers.Mcp23017;

// How a read's edges reach the edge action, and what happens when it throws (a bug, the controller disposed at a
// stop): the rule every input source follows (the Hardware README, "When the edge action throws"). Kept apart
// from configuration and reads in Mcp23017Lines.cs and from the interrupt path in Mcp23017Lines.Interrupts.cs.
public sealed partial class Mcp23017Lines
{
    /// <summary>
    /// Refused edges kept at most, per chip. A panic button pressed and released while the action fails is two
    /// edges; 64 covers a burst on all 16 pins twice over. Beyond it an edge is counted lost and its pin goes back
    /// to the level before its first dropped edge, the one the receiver holds once the queue drains, so the next
    /// read still brings the receiver to the real level.
    /// </summary>
    public const int MaxRefusedEdges = RefusedEdges.MaxKept;

    // The edges the action threw on (and every later one), in order, with their original stamps: delivered again
    // before any new edge of the next read. A level alone cannot stand for them: a press and release refused in
    // turn leave the level where it was, and the press would never be delivered. Under the lock.
    private readonly Queue<RawEdge> _refused = new();

    // Pins whose _reported was put back because the queue was full: the next read finds them changed and
    // delivers their level. A difference there says nothing about the interrupt line.
    private ushort _undelivered;

    // _undelivered as the last read found it, before it cleared it: a put-back pin's first edge in that read is
    // the change already counted lost, derived again, and is not counted a second time. Under the lock.
    private ushort _undeliveredAtRead;
    private readonly EdgeHandOff _handOff = new();
    private long _lostDeliveries;

    // The latest stamp an edge of this chip was given (under the lock): no later edge is stamped before it.
    private long _lastStamp = long.MinValue;

    /// <summary>
    /// Times the edge action threw. The edges it did not take are kept (<see cref="PendingDeliveries"/>) and
    /// every later read (an interrupt, <see cref="Sweep"/>, <see cref="DeliverChanges"/>) delivers them again, in
    /// order and with their original stamps, before its own. Non-zero growth is a fault to report.
    /// </summary>
    public long DeliveryFailures => _handOff.Failures;

    /// <summary>Edges the action refused that wait to be delivered again; non-zero is a fault to report.</summary>
    public int PendingDeliveries
    {
        get
        {
            lock (_gate)
            {
                return _refused.Count;
            }
        }
    }

    /// <summary>
    /// Refused edges dropped because <see cref="MaxRefusedEdges"/> were already waiting: the pulse they were part
    /// of is lost, though the pin's level is delivered by the next read. Non-zero growth is a fault to report.
    /// </summary>
    public long LostDeliveries => Interlocked.Read(ref _lostDeliveries);

    /// <summary>The most recent exception the edge action threw.</summary>
    public Exception? LastDeliveryFailure => _handOff.LastFailure;

    /// <summary>
    /// The chip stopped answering: delivers, stamped now, each point at the level given for it where that differs
    /// from the level last reported, and records the levels as assumed (<see cref="AssumeReported"/>), so the next
    /// read that succeeds delivers the real ones. Reads nothing from the chip. Does nothing before
    /// <see cref="Start"/> (the boot read gives those levels).
    /// </summary>
    /// <remarks>
    /// Edges the action refused before are delivered again first. Supervision calls this at every pass whose
    /// read of the chip failed (one that succeeds delivers them first itself), so a refused panic press reaches
    /// the receiver once the action works again even while the chip does not answer (a bus hang, a reset chip
    /// whose reconfiguration keeps failing): the queue waits on the action alone, as the EOL loops' does at
    /// every poll. Never throws for the action's failures (they are counted).
    /// </remarks>
    /// <param name="levels">Per point: the level to hold while the chip is blind, and whether its first real
    /// level afterwards is recorded without an edge (see <see cref="AssumeReported"/>).</param>
    /// <exception cref="KeyNotFoundException">A point is not on this expander.</exception>
    public void DeliverAssumed(IEnumerable<(string PointId, bool High, bool Quiet)> levels)
    {
        ArgumentNullException.ThrowIfNull(levels);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var timestamp = _time.GetTimestamp();
        lock (_gate)
        {
            if (_onEdge is null)
            {
                return;
            }

            var edges = new List<RawEdge>();
            foreach (var (pointId, high, quiet) in levels)
            {
                var bit = 1 << (_inputPins.TryGetValue(pointId, out var pin) ? pin
                    : throw new KeyNotFoundException($"Point '{pointId}' is not on {_chip.Name}."));
                // Compared with what the receiver holds once the kept edges drain, as every read compares.
                if (((_reported & bit) != 0) != high)
                {
                    edges.Add(new RawEdge(pointId, high, InOrder(timestamp)));
                }

                _reported = (ushort)(high ? _reported | bit : _reported & ~bit);
                _quiet = (ushort)(quiet ? _quiet | bit : _quiet & ~bit);
                _assumed |= (ushort)bit;
            }

            Deliver(edges);
        }
    }

    /// <summary>Adds an edge, stamped <see cref="InOrder"/>, for every input that is not quiet and differs between the two levels. Under the lock.</summary>
    private void AddEdges(List<RawEdge> edges, ushort before, ushort after, long timestamp)
    {
        // A quiet pin's change is the first real reading after a fail-safe level: recorded, not delivered.
        var changed = (before ^ after) & _inputMask & ~_quiet;
        for (var pin = 0; pin < Mcp23017.PinCount; pin++)
        {
            if ((changed & (1 << pin)) != 0)
            {
                edges.Add(new RawEdge(_pointAtPin[pin]!, (after & (1 << pin)) != 0, InOrder(timestamp)));
            }
        }
    }

    /// <summary>
    /// <paramref name="stamp"/>, or the latest stamp an edge of this chip was given if that is later. Under the
    /// lock, for a stamp about to be delivered.
    /// </summary>
    /// <remarks>
    /// The interrupt callback (and <see cref="DeliverAssumed"/>) stamp before taking the lock, the better time
    /// for the edge, then may wait for it behind an output write while a sweep stamps later and delivers first;
    /// the callback's later passes reuse the stamp with the lock released in between. Delivered as taken, a
    /// door opened (swept, stamped t2) and closed (the callback, t1) went back in time, and the point's filter
    /// moved the start of its raw level back: a real opening that lasted the debounce could be dropped. The
    /// edges are delivered in lock order, so that order is the truth; a stamp raised to the edge before it is
    /// still no later than the read that found the change.
    /// </remarks>
    private long InOrder(long stamp) => _lastStamp = Math.Max(stamp, _lastStamp);

    /// <summary>
    /// Hands the edges still refused, then <paramref name="edges"/>, to the action, in order. Called under the
    /// lock, after <see cref="RecordRead"/>, by every read (with no new edges too: the retry). An edge counts as
    /// taken only once the action returned for it: when the action throws, that edge and every later one are kept
    /// for the next read. Never throws.
    /// </summary>
    /// <remarks>
    /// <para>Delivering the rest after a throw would reorder them, and the action's failure (a bug, the controller
    /// disposed at a stop) is rarely one edge's: the next read is the retry, at the supervision's pace (each second,
    /// every 25 ms while the interrupt line is not trusted) or at the next interrupt. The failure is counted in
    /// <see cref="DeliveryFailures"/>; the bank reports it.</para>
    /// <para>A kept edge keeps its stamp: it is when the pin changed, and the receiver's debounce measures a press
    /// between two stamps (restamped at the retry, a refused press and release would last no time at all).</para>
    /// <para>_reported is the level after every edge delivered or kept, so a read compares with what the receiver
    /// will hold once the queue drains; it is put back only for an edge dropped from a full queue.</para>
    /// </remarks>
    private void Deliver(List<RawEdge> edges)
    {
        while (_refused.TryPeek(out var kept))
        {
            if (!_handOff.Hand(_onEdge, kept))
            {
                Keep(edges, 0);
                return;
            }

            _refused.Dequeue();
        }

        for (var i = 0; i < edges.Count; i++)
        {
            if (!_handOff.Hand(_onEdge, edges[i]))
            {
                Keep(edges, i);
                return;
            }
        }
    }


    /// <summary>Queues the edges from <paramref name="from"/> on, behind those already kept. Under the lock.</summary>
    /// <remarks>
    /// Unconditionally, unlike a native line's guard against a re-entrant edge: the action writes outputs at
    /// most (the gateway's are queued to their writer thread, OpenOutputWriters; only outputs written in step,
    /// OpenOutputs in tools and tests, take this lock re-entrantly) and never reads this chip; should it ever,
    /// an edge delivered twice beats one never delivered.
    /// </remarks>
    private void Keep(List<RawEdge> edges, int from)
    {
        var i = from;
        for (; i < edges.Count && _refused.Count < MaxRefusedEdges; i++)
        {
            _refused.Enqueue(edges[i]);
        }

        if (i == edges.Count)
        {
            return;
        }

        // Full: the rest is dropped. Each pin goes back to the level before its first dropped edge (its edges
        // alternate), which the receiver holds once the queue drains, so the next read delivers the real level.
        // Counted per change, not per read: a pin put back by the last read gives its first edge here again
        // while the queue stays full, and that change was counted lost then.
        ushort seen = 0;
        for (var j = 0; j < i; j++)
        {
            seen |= (ushort)(1 << _inputPins[edges[j].PointId]);
        }

        ushort restored = 0;
        var lost = 0;
        for (; i < edges.Count; i++)
        {
            var bit = (ushort)(1 << _inputPins[edges[i].PointId]);
            if ((seen & bit) != 0 || (_undeliveredAtRead & bit) == 0)
            {
                lost++;
            }

            seen |= bit;
            if ((restored & bit) == 0)
            {
                restored |= bit;
                _reported = (ushort)(edges[i].High ? _reported & ~bit : _reported | bit);
            }
        }

        Interlocked.Add(ref _lostDeliveries, lost);
        _undelivered |= restored;
    }
}
