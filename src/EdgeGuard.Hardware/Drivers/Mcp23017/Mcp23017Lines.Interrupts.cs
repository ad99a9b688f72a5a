using System.Device.Gpio;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Hardware.Drivers.Mcp23017;

// How the chip's changes reach the edge action, and why the host's interrupt line is not trusted blindly:
// a cut INTA wire (the pull-up keeps the line high) or one shorted low makes no falling edge, yet the chip still
// answers and IOCON reads right, so nothing else would notice that its points have gone deaf. Kept apart from
// configuration, reads and outputs in Mcp23017Lines.cs.
public sealed partial class Mcp23017Lines
{
    /// <summary>
    /// How soon the chip is serviced again when INT is still asserted after the callback's passes (a pin keeps
    /// changing). Meanwhile the chip latches nothing new, so a press made then is only seen by reading it.
    /// </summary>
    public static readonly TimeSpan ReserviceDelay = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// How often the chip is read while its interrupt line is judged faulty (<see cref="InterruptLineFault"/>):
    /// short enough that a press and release are seen as such, not only the first change the chip latched.
    /// </summary>
    public static readonly TimeSpan FastPollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>
    /// How long no miss must have been found before a line seen announcing an interrupt again is trusted, so a
    /// loose wire that works for one press and not the next is one fault, not a fault and a restore per press.
    /// </summary>
    public static readonly TimeSpan LineTrustedAfter = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The longest a healthy bus takes from an edge's stamp to its delivery (<see cref="MaxDeliveryDelay"/>): the
    /// callback stamps first, then waits for the chip's lock (a sweep's two reads) and reads INTF, INTCAP and GPIO
    /// in one transaction, ~0.8 ms at 100 kHz, for up to <see cref="MaxServicePasses"/> passes whose edges all
    /// carry the first pass's stamp, each delivered before the next read. Stamped first on purpose: the stamp is
    /// when the pin changed, and the debounce is judged from it. Raised to the chip's last delivered stamp when
    /// a sweep delivered a later one meanwhile (InOrder), which only shortens the delay. A bus that stalls longer (a slave holding SCL,
    /// the adapter's 1 s timeout) is not covered: waiting that long would hold every expander change as long.
    /// </summary>
    public static readonly TimeSpan MaxEdgeDelivery = TimeSpan.FromMilliseconds(10);

    private const int MaxServicePasses = 4;

    private ITimer? _reservice;
    private ITimer? _fastPoll;
    private string? _lineFault;

    // Why the host line's last read failed since a sweep or poll began looking at it; null when it read (LineAsserted).
    private string? _lineReadFailure;
    private long _lastMiss;

    // 1 while a fast-poll tick runs (FastPoll): the next tick skips instead of queueing behind it.
    private int _fastPolling;

    // A sweep found a change no interrupt announced, once since the line last announced one (under the lock).
    private bool _unannouncedOnce;
    private bool _announcedSinceMiss;

    /// <summary>
    /// Why the interrupt line is not trusted (it did not assert for a change the chip latched, stays asserted with
    /// nothing pending, or inputs changed with no interrupt at all), or null. Set by <see cref="Sweep"/>; while set
    /// the chip is read every <see cref="FastPollInterval"/>. Cleared by a sweep once the host has seen a falling
    /// edge for a chip interrupt (its service found INTF set) and no miss was found for <see cref="LineTrustedAfter"/>.
    /// Also set from the start when the kernel refused the line (another process holds it), or the driver its edge
    /// callback at <see cref="Start"/>: the chip is then read every <see cref="FastPollInterval"/> and cleared by the
    /// sweep that finally gets the line (with its callback).
    /// </summary>
    public string? InterruptLineFault
    {
        get
        {
            lock (_gate)
            {
                return _lineRefused ?? _lineFault;
            }
        }
    }

    /// <summary>
    /// Services the chip if its INT line is asserted (low) with no edge to announce it, e.g. after a failed
    /// read, or if the line cannot be read (the chip is the safe side to read). Returns whether it serviced.
    /// Supervision calls <see cref="Sweep"/>, which also does this.
    /// </summary>
    public bool Poll()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Volatile.Write(ref _lineReadFailure, null);
        if (_onEdge is null || (!LineAsserted() && Volatile.Read(ref _lineReadFailure) is null))
        {
            return false;
        }

        Service(fromEdge: false);
        return true;
    }

    /// <summary>
    /// One supervision read, whatever the host line says: reads INTF (which leaves the interrupt pending), looks at
    /// the host line, then reads INTF/INTCAP/GPIO and delivers every change as the interrupt callback would
    /// (stamped now), so a change the line never announced still arrives. Judges the line from what it saw
    /// (<see cref="InterruptLineFault"/>). Does nothing before <see cref="Start"/>, except requesting a line the
    /// kernel refused so far. A chip with outputs only never requests its line (nothing interrupts).
    /// </summary>
    /// <exception cref="HardwareException">The chip did not answer; the line is not judged.</exception>
    public void Sweep()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        // At supervision's pace, not the fast poll's: a refused request 40 times a second would only cost.
        RequestLineAgain();
        SweepChip();
    }

    /// <inheritdoc/>
    /// <returns><see cref="MaxEdgeDelivery"/>: an edge is stamped before the read that finds it.</returns>
    /// <exception cref="KeyNotFoundException">The point is not on this chip.</exception>
    public TimeSpan MaxDeliveryDelay(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        return _inputPins.ContainsKey(pointId) ? MaxEdgeDelivery : throw new KeyNotFoundException($"Point '{pointId}' is not on {_chip.Name}.");
    }

    /// <summary>The read and judgement of <see cref="Sweep"/>, without requesting the line: the fast poll's.</summary>
    private void SweepChip()
    {
        if (_onEdge is not null && SweepOnce())
        {
            // A pin changed again during the read: serviced like an edge (passes, then a re-service).
            Service(fromEdge: false);
        }
    }

    /// <returns>Whether INT is asserted again after the read because the chip had more to report.</returns>
    private bool SweepOnce()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return false; // a fast-poll tick that raced Dispose: the line is closed, no edge may follow the stop
            }

            // Under the lock the callback, Read and DeliverChanges cannot clear the interrupt between these
            // reads, so INTF set at the first read is still set, and holding INT low, at the look at the line.
            var timestamp = _time.GetTimestamp();
            Volatile.Write(ref _lineReadFailure, null);
            var assertedBefore = LineAsserted();
            var flags = _chip.ReadInterruptFlags();
            var asserted = LineAsserted();
            var (before, assumed, undelivered, readUnreported) = (_reported, _assumed, _undelivered, _readUnreported);
            var interrupt = _chip.ReadInterrupt();
            Deliver(EdgesFrom(interrupt, timestamp));

            // A pin put back because its refused edge did not fit the queue was never announced again: no
            // evidence against the line.
            var unannounced = (before ^ interrupt.Levels) & _inputMask & ~assumed & ~undelivered;

            // A change with no interrupt at all, and no Read() to explain it (it clears without delivering),
            // counts the second time only: a pin that changes between the flags and the levels of one burst
            // read shows this once on a healthy line, since that very read clears its interrupt.
            var unannouncedAgain = false;
            if (flags == 0 && !asserted && interrupt.Flags == 0 && unannounced != 0 && !readUnreported)
            {
                unannouncedAgain = _unannouncedOnce;
                _unannouncedOnce = !_unannouncedOnce;
            }

            var miss = Volatile.Read(ref _lineReadFailure) is { } unread
                ? $"its interrupt line (host GPIO {_interruptLine}) could not be read: {unread.TrimEnd('.')}"
                : (flags, asserted) switch
                {
                    // The chip held INT asserted (INTF stays set until read) while the host read its line high.
                    (not 0, false) =>
                        $"its interrupt line (host GPIO {_interruptLine}) is not asserting: the chip held an interrupt for {Mcp23017Configuration.PinNames(flags)} while the line read high (INTA wire cut or loose?)",
                    // Low before and after the flags read with nothing pending, even after the full read: not the chip.
                    (0, true) when assertedBefore && interrupt.Flags == 0 =>
                        $"its interrupt line (host GPIO {_interruptLine}) is asserted while the chip has no interrupt pending (INTA shorted to ground?), so no falling edge can announce a change",
                    (0, false) when unannouncedAgain =>
                        $"{Mcp23017Configuration.PinNames(unannounced)} changed without an interrupt reaching host GPIO {_interruptLine}",
                    _ => null,
                };
            // A line not held (the kernel refused it) reads as released: nothing to judge, its fault stands.
            if (LineOpen)
            {
                JudgeLine(miss, timestamp);
            }

            return interrupt.Flags != 0 && LineAsserted();
        }
    }

    /// <summary>Raises the line fault at a miss (starting the fast poll), or clears it once the line is trusted again. Under the lock.</summary>
    private void JudgeLine(string? miss, long timestamp)
    {
        if (miss is not null)
        {
            (_lastMiss, _announcedSinceMiss) = (timestamp, false);
            if (_lineFault is null && !_disposed)
            {
                // The first reason stands for the episode: the bank reports the fault once.
                _lineFault = $"{miss}; supervision delivers what the line does not announce, reading the chip every {FastPollInterval.TotalMilliseconds:0} ms until the line is seen working again";
                _fastPoll ??= _time.CreateTimer(_ => FastPoll(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _fastPoll.Change(FastPollInterval, FastPollInterval);
            }
        }
        else if (_lineFault is not null && _announcedSinceMiss && _time.GetElapsedTime(_lastMiss, timestamp) >= LineTrustedAfter)
        {
            _lineFault = null;
            _fastPoll?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>
    /// On the fast-poll timer: a sweep. Nothing may escape a timer callback. A tick while the last one still
    /// runs returns at once: the timer is periodic and re-fires whatever the bus does, and on a hung bus
    /// (1 s per transaction, 40 ticks a second) every tick would block a pool thread on the chip's lock,
    /// starving the controller loop, the watchdog and MQTT, which resume on the pool.
    /// </summary>
    private void FastPoll()
    {
        if (Interlocked.Exchange(ref _fastPolling, 1) != 0)
        {
            return;
        }

        try
        {
            if (!_disposed)
            {
                SweepChip();
            }
        }
        catch (Exception ex) when (ex is HardwareException or ObjectDisposedException)
        {
            // Not counted: nothing was lost (the chip keeps what it latched for the next read), and supervision's
            // own sweep reports a chip that does not answer; counting 40 a second would only inflate the number.
            // Disposed: a tick that raced Dispose.
        }
#pragma warning disable CA1031 // Deliberately catch-all: nothing may escape a timer (the action's throws stop in Deliver).
        catch (Exception ex)
#pragma warning restore CA1031
        {
            CountFailure(ex);
        }
        finally
        {
            Volatile.Write(ref _fastPolling, 0);
        }
    }

    /// <summary>Runs on the driver's event thread (or a timer): nothing may escape (see the Hardware README's callback rule).</summary>
    /// <param name="fromEdge">The host saw a falling edge: if the chip has an interrupt behind it, the line works.</param>
    private void Service(bool fromEdge)
    {
        try
        {
            // Before the lock: when the pin changed. Raised under it (InOrder) if a sweep delivered later meanwhile.
            var timestamp = _time.GetTimestamp();
            var flagged = false;
            for (var pass = 0; pass < MaxServicePasses; pass++)
            {
                lock (_gate)
                {
                    var interrupt = _chip.ReadInterrupt();
                    flagged = interrupt.Flags != 0;
                    var announced = fromEdge && pass == 0 && flagged;
                    _announcedSinceMiss |= announced;
                    _unannouncedOnce &= !announced;
                    // Delivered under the lock so a Poll racing the callback cannot reorder edges. The
                    // action never blocks: it queues the edge, or decides on it here when the
                    // controller is idle; the gateway's outputs on this chip are queued to their writer
                    // thread (OpenOutputWriters), and only outputs written in step (OpenOutputs: tools,
                    // tests) take this lock again, re-entrantly.
                    Deliver(EdgesFrom(interrupt, timestamp));
                }

                // Released: done. Still low: a change arrived during the read; its edge was already consumed.
                if (!LineAsserted())
                {
                    return;
                }
            }

            // Out of passes, INT still asserted by a pin that keeps changing: no new falling edge will come and
            // the chip latches nothing more until read, so read it again soon rather than at the next supervision
            // pass. Not when the last read found nothing pending: a line held low by something else would make
            // this loop forever; supervision judges that line instead.
            if (flagged)
            {
                ScheduleReservice();
            }
        }
#pragma warning disable CA1031 // Deliberately catch-all: a throw would kill the driver's event thread.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            CountFailure(ex);
        }
    }

    private void ScheduleReservice()
    {
        lock (_gate)
        {
            if (!_disposed)
            {
                _reservice ??= _time.CreateTimer(_ => Reservice(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                _reservice.Change(ReserviceDelay, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>On the re-service timer: services the chip if INT is still asserted (a callback may have done it meanwhile).</summary>
    private void Reservice()
    {
        try
        {
            if (!_disposed && LineAsserted())
            {
                Service(fromEdge: false);
            }
        }
#pragma warning disable CA1031 // Deliberately catch-all: an exception on a timer thread would take the process down.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            CountFailure(ex);
        }
    }

    private void CountFailure(Exception ex)
    {
        Interlocked.Increment(ref _callbackFailures);
        Volatile.Write(ref _lastCallbackFailure, ex);
    }

    /// <summary>
    /// Whether INT is asserted; a line not held reads as released (Service then makes one pass), and so does one
    /// whose read fails (EIO), with the failure kept for the sweep to judge the line by (<see cref="SweepOnce"/>):
    /// thrown, it ended every sweep before the chip was read, and the bank took the chip, which answers, for dead.
    /// </summary>
    private bool LineAsserted()
    {
        if (!LineOpen)
        {
            return false;
        }

        try
        {
            return _controller.Read(_interruptLine) == PinValue.Low;
        }
#pragma warning disable CA1031 // Any failure to read the host line is the line's fault, judged by the sweep.
        catch (Exception ex) when (ex is not ObjectDisposedException)
#pragma warning restore CA1031
        {
            Volatile.Write(ref _lineReadFailure, ex.Message);
            return false;
        }
    }

    private List<RawEdge> EdgesFrom(Mcp23017Interrupt interrupt, long timestamp)
    {
        // INTCAP of a port is fresh only when that port flagged this interrupt; otherwise it is a stale copy.
        var fresh = ((interrupt.Flags & 0x00FF) != 0 ? 0x00FF : 0) | ((interrupt.Flags & 0xFF00) != 0 ? 0xFF00 : 0);
        var captured = (ushort)((_reported & ~fresh) | (interrupt.Captured & fresh));
        var edges = new List<RawEdge>();
        AddEdges(edges, _reported, captured, timestamp);
        AddEdges(edges, captured, interrupt.Levels, timestamp);
        RecordRead(interrupt.Levels);
        return edges;
    }
}
