using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.Hardware.Board;

/// <summary>A point read as an end-of-line loop on one channel of an ADC.</summary>
/// <param name="Point">The point.</param>
/// <param name="Channel">The ADC channel, 0..7.</param>
/// <param name="Classifier">Its thresholds.</param>
public sealed record SupervisedLoop(PointDefinition Point, int Channel, EolLoopClassifier Classifier);

/// <summary>The last classified reading of a supervised loop.</summary>
/// <param name="Reading">The ADC value, 0..1023.</param>
/// <param name="State">Its band: normal, alarm, open or short.</param>
public sealed record LoopReading(int Reading, LoopState State);

/// <summary>
/// The supervised loops on one ADC, behind <see cref="IInputLines"/>. The chip has no interrupt, so a timer
/// reads every loop each poll interval and classifies it. Normal and alarm become the point's level, delivered
/// as a <see cref="RawEdge"/> when it changes, exactly like a GPIO edge (the point's debounce applies). Open
/// and short are tamper: reported once as <see cref="EolTamperDetected"/> and restored with
/// <see cref="EolTamperRestored"/>, while the point reads what <see cref="TamperedLoop.ReadsActive"/> says.
/// </summary>
/// <remarks>
/// <para>A loop's state (normal, alarm, open, short, or unreadable) changes only when
/// <see cref="ConfirmingSamples"/> consecutive polls agree on the new one: a single corrupt SPI sample or
/// a transient on the cable must not latch a fire release, start a lockdown or raise a tamper. Two polls
/// in a row in different states of the same level (alarm then open, both active for a panic loop) deliver
/// that level without waiting for a state to repeat, so a short press near a band edge is not lost. The boot
/// read (<see cref="Read"/>) samples back to back until they agree, a failed transfer being one sample
/// (EolLoopLines.Confirmation.cs).</para>
/// <para>A read that fails is reported as <see cref="HardwareFault"/> for the chip (once), restored when every
/// loop reads again. Meanwhile a loop that cannot be read is as untrusted as a tampered one and reads what
/// <see cref="TamperedLoop.ReadsActive"/> says (a fire input active, so egress is released), until it
/// reads again and its real level is delivered. A keyswitch or request-to-exit found active at that first legal
/// reading (after a blind ADC or a repaired tamper) is recorded without an edge: held throughout, it must not
/// count as a fresh turn or press; its release and a new turn do.</para>
/// </remarks>
public sealed partial class EolLoopLines : IInputLines
{
    private readonly string _device;
    private readonly Func<int, int> _read;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly Action<IReadOnlyList<DomainEvent>> _report;
    private readonly IDisposable? _owned;
    private readonly Dictionary<string, LoopSlot> _loops = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    // Held by a poll from its first read to its last delivery (before _gate, never after): polls deliver one at a
    // time, in order, and the refused edges below are theirs alone. An overlapping poll is skipped.
    private readonly Lock _polling = new();
    private Action<RawEdge>? _onEdge;
    private ITimer? _timer;
    private bool _faulted;

    private bool _disposed;
    private readonly EdgeHandOff _handOff = new();
    private long _deliveryFailuresSeen;
    private long _lostDeliveries;
    private long _lostDeliveriesSeen;

    /// <summary>Creates the loops of one ADC; nothing is read until <see cref="Start"/> or <see cref="Read"/>.</summary>
    /// <param name="device">The ADC's name for fault events, e.g. <c>mcp3008@0.0</c>.</param>
    /// <param name="read">Converts one channel (0..1023); throws when the chip does not answer.</param>
    /// <param name="interval">Time between two polls.</param>
    /// <param name="loops">The loops on this ADC.</param>
    /// <param name="time">Timestamps edges and runs the poll timer.</param>
    /// <param name="report">Receives tamper and chip fault events (from the timer thread; must not throw).</param>
    /// <param name="owned">Disposed with these lines (the ADC's bus device), if any.</param>
    /// <exception cref="ArgumentException">A point or channel is used twice.</exception>
    public EolLoopLines(string device, Func<int, int> read, TimeSpan interval, IEnumerable<SupervisedLoop> loops,
        TimeProvider time, Action<IReadOnlyList<DomainEvent>> report, IDisposable? owned = null)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(loops);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        (_device, _read, _interval, _time, _report, _owned) = (device, read, interval, time, report, owned);
        var channels = new HashSet<int>();
        foreach (var loop in loops)
        {
            if (!channels.Add(loop.Channel) || !_loops.TryAdd(loop.Point.Id, new LoopSlot(loop)))
            {
                throw new ArgumentException($"{device}: point '{loop.Point.Id}' or channel {loop.Channel} is used twice.", nameof(loops));
            }
        }
    }

    /// <summary>The points on this ADC.</summary>
    public IReadOnlyCollection<string> PointIds => _loops.Keys;

    /// <inheritdoc/>
    /// <remarks>
    /// Reads and classifies the loop now, back to back until <see cref="ConfirmingSamples"/> readings agree, and
    /// takes that as the loop's accepted state and the level it returns as delivered: the receiver holds it from
    /// now on, so the next polls compare with it and deliver whatever differs (a stab only this read caught is
    /// released by them). A failed transfer is one sample (unreadable), passed over as the polls pass it over.
    /// When the ADC fails <see cref="ConfirmingSamples"/> transfers in a row (a chip dead at boot must not stop
    /// the gateway), or the samples do not settle, the loop gives the fail-safe level, as the polls would, and the chip is reported as
    /// <see cref="HardwareFault"/>; that level counts as delivered, so the first polls that agree on a reading
    /// deliver its real level; a blind read, like a blind confirmation of polls, takes two agreeing polls to leave.
    /// When polls already delivered a different level, which of the two the receiver ends at is not known here
    /// (see <see cref="Held"/>): the next accepted state is then delivered whatever it is, but for a keyswitch or
    /// exit button the polls had left fail-safe, which is recorded without an edge when it reads active (a key
    /// held through a cut is no fresh turn). Waits for a poll under way, so no poll delivers between these
    /// samples and their record.
    /// </remarks>
    public bool Read(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var slot = _loops.TryGetValue(pointId, out var s) ? s : throw new KeyNotFoundException($"Point '{pointId}' is not on {_device}.");
        bool level;
        var raise = false;
        string? failure;
        string[] named = [];
        // Never waits on the receiver: a poll's edge action queues or decides, never blocks (IInputLines.Start).
        lock (_polling)
        {
            // Back to back: the receiver takes this level as the point's state at boot, where one corrupt
            // sample of a fire loop would latch the egress release.
            (var state, failure) = SampleAgreeing(slot.Loop);
            level = state is { } agreed ? LevelOf(slot.Loop, agreed) : FailSafeLevel(slot.Loop);
            lock (_gate)
            {
                if (state is { } read)
                {
                    // What the receiver now holds: left unrecorded, a stab caught only here stayed held (a
                    // panic refusing the all-clear) while the polls, still at the level before, saw no change.
                    (slot.Accepted, slot.HasAccepted, slot.Agreeing, slot.Unsettled) = (read, true, 0, 0);
                    (slot.LevelAhead, slot.Previous) = (false, null);
                    var held = Held(slot, level);
                    // Held unknown: the receiver may be at the level the polls delivered, so the mark a fail-safe
                    // one left stays. Wiped, a key held through a cut before this read reached the receiver as a
                    // fresh turn at the next poll (clearing a lockdown, resetting a fire).
                    slot.FailSafe = !IsBand(read) || (held is null && slot.FailSafe);
                    (slot.ReportedHigh, slot.PutBack) = (held, false);
                }
                else
                {
                    // Blind, as a confirmation of failed polls leaves it (Confirmed): leaving it takes two agreeing
                    // polls. Left at a state the polls had accepted, one poll that read it again ended the fail-safe.
                    (slot.Accepted, slot.HasAccepted, slot.Agreeing, slot.Unsettled, slot.BackAtAccepted) = (null, true, 0, 0, 0);
                    (slot.LevelAhead, slot.Previous) = (false, null);
                    slot.ReportedHigh = Held(slot, level);
                    slot.FailSafe = true;
                    slot.Failure = failure;
                    (raise, _faulted) = (!_faulted, true);
                    if (raise)
                    {
                        // Loops not read yet count as unread: the first poll narrows the fault to those it cannot read.
                        named = _faultPoints = UnreadLoops();
                    }
                }
            }

            // Still under _polling, as a poll reports: a poll between this fault and its report could
            // restore it, or raise one naming other loops, first; the controller would then keep the
            // loops this one names unread (their egress doors released) until the next change.
            if (raise)
            {
                Report([new HardwareFault(_time.GetUtcNow(), _device, failure!) { Points = named }]);
            }
        }

        return level;
    }

    /// <summary>
    /// What the boot read records as the level the receiver holds: <paramref name="level"/>, the one it returns,
    /// unless polls already delivered another, which makes it unknown (null), so the next accepted state is
    /// delivered whatever it is, stamped after this read (a keyswitch or exit button still marked fail-safe is
    /// recorded without an edge when it reads active: ApplyAccepted).
    /// </summary>
    /// <remarks>
    /// The controller starts the inputs, takes its boot stamp, then reads point after point (seconds when an
    /// earlier point's bus hangs); it starts each point at the level read and then applies the queued edges
    /// stamped after its boot stamp. A level the polls delivered before this read reached it if stamped after
    /// that stamp, and was dropped if before: these lines cannot tell which. Recorded as read, an edge that
    /// went through and was undone before this read left the controller at it for good (a door open shown
    /// closed, a held panic shown released), as the polls saw no change. Kept as polled, a stab only this
    /// read caught stayed held once its edge had been dropped. Unknown, the next poll that agrees with the
    /// read, or two that agree on another state, deliver the real level as an edge after both: the receiver
    /// ends there either way, at the cost of an edge repeating the level it may already hold.
    /// </remarks>
    private static bool? Held(LoopSlot slot, bool level) => slot.ReportedHigh is { } polled && polled != level ? null : level;

    /// <summary>
    /// What the last poll read on a point's loop, or null before the first poll. Any thread: the walk test
    /// shows it next to the edge the same poll delivered.
    /// </summary>
    public LoopReading? LastReading(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        return _loops.TryGetValue(pointId, out var slot) ? slot.Last : null;
    }

    /// <inheritdoc/>
    public void Start(Action<RawEdge> onEdge)
    {
        ArgumentNullException.ThrowIfNull(onEdge);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.CompareExchange(ref _onEdge, onEdge, null) is not null)
        {
            throw new InvalidOperationException("Edge delivery has already been started.");
        }

        _timer = _time.CreateTimer(_ => Poll(), null, _interval, _interval);
    }

    /// <summary>
    /// Reads and classifies every loop once, delivering level changes as edges and reporting tamper and chip
    /// faults. Runs on the timer; callable directly (tests). Never throws; an overlapping call is skipped.
    /// Every poll first delivers again the edges the action refused before (EolLoopLines.Delivery.cs), whatever
    /// its samples confirm.
    /// </summary>
    public void Poll()
    {
        if (!_polling.TryEnter())
        {
            return; // the previous poll is still reading or delivering: this one would only repeat it
        }

        try
        {
            PollHeld();
        }
        finally
        {
            _polling.Exit();
        }
    }

    /// <summary>The poll, under <see cref="_polling"/>.</summary>
    private void PollHeld()
    {
        var events = new List<DomainEvent>();
        var edges = new List<PendingEdge>();
        lock (_gate)
        {
            if (_disposed || _onEdge is null)
            {
                return;
            }

            string? failure = null;
            foreach (var slot in _loops.Values)
            {
                var sample = Sample(slot, out var reading);
                var previous = slot.Previous;
                slot.Previous = sample;
                if (!Confirmed(slot, sample, out var accepted))
                {
                    // Not yet agreed: the loop keeps the state accepted before, blind included; but two polls
                    // in a row may agree on its level (alarm then cut for a panic loop: active), delivered now.
                    failure ??= slot is { HasAccepted: true, Accepted: null } ? slot.Failure : null;
                    if (LevelConfirmed(slot, previous, sample) is { } level)
                    {
                        Deliver(slot, level, edges);
                        slot.FailSafe = !IsBand(sample); // as ApplyAccepted marks the state last read
                    }

                    continue;
                }

                if (accepted is not { } state)
                {
                    failure ??= slot.Failure;
                    // A loop that cannot be read is as untrusted as a cut one: it takes the tamper level
                    // (a fire input active, so egress is released; a keyswitch inactive), until it reads again.
                    Deliver(slot, FailSafeLevel(slot.Loop), edges);
                    slot.FailSafe = true;
                    continue;
                }

                ApplyAccepted(slot, reading, state, events, edges);
            }

            // The edge action threw: its edges are kept and delivered again by every poll. One fault while any
            // is kept or polls keep finding new throws; restored only with nothing kept and no throw since.
            if (RefusedFault() is { } refused)
            {
                failure = failure is null ? refused : $"{failure}; {refused}";
            }

            FaultOrRestore(failure, events); // EolLoopLines.Faults.cs
        }

        // Outside the lock: the edge action may decide on the edge right here (an idle controller).
        // Faults first, so the office sees why a point changed.
        Report(events);
        Deliver(edges);
    }

    /// <summary>Stops polling: waits for a poll under way, so no edge is delivered once this returns.</summary>
    public void Dispose()
    {
        // Under _polling, as the expander and native lines stop: a poll delivers outside _gate, so marking
        // disposed under _gate alone let a poll under way hand its edges to a controller already stopped.
        lock (_polling)
        {
            lock (_gate)
            {
                _disposed = true;
            }
        }

        _timer?.Dispose();
        _owned?.Dispose();
    }

    /// <summary>Applies an accepted state: tamper events and the point's level.</summary>
    private void ApplyAccepted(LoopSlot slot, int reading, LoopState state, List<DomainEvent> events, List<PendingEdge> edges)
    {
        var point = slot.Loop.Point;
        LoopTamper? tamper = state switch
        {
            LoopState.OpenCircuitTamper => LoopTamper.Open,
            LoopState.ShortCircuitTamper => LoopTamper.Short,
            _ => null,
        };
        if (tamper != slot.Tamper)
        {
            var now = _time.GetUtcNow();
            if (slot.Tamper is { } ended)
            {
                events.Add(new EolTamperRestored(now, point.Id, point.Kind, point.Zone, ended, reading));
            }

            if (tamper is { } started)
            {
                events.Add(new EolTamperDetected(now, point.Id, point.Kind, point.Zone, started, reading));
            }

            slot.Tamper = tamper;
        }

        var level = LevelOf(slot.Loop, state);
        if (tamper is not null)
        {
            Deliver(slot, level, edges);
            slot.FailSafe = true;
        }
        else if (slot.FailSafe && TamperedLoop.QuietWhenTrustedAgain(point.Kind)
            && (slot.ReportedHigh is not null || level != FailSafeLevel(slot.Loop)))
        {
            // The first legal reading after a fail-safe level (the ADC blind, or the loop tampered) of a keyswitch
            // or request-to-exit: recorded without an edge. Delivered, a key held throughout would arrive as a fresh
            // turn (clearing a lockdown) or an exit press (unlocking a door); now only its release (no change) and
            // a new turn count. Its fail-safe level is inactive, so a real inactive level has no edge to give anyway,
            // unless the boot read left the level held unknown (Held): a key turned after the boot stamp and
            // released while the ADC was blind is held turned, and its release, delivered below, is no turn.
            slot.ReportedHigh = level;
            slot.FailSafe = false;
            slot.PutBack = false;
        }
        else
        {
            Deliver(slot, level, edges);
            slot.FailSafe = false;
        }
    }

    /// <summary>Adds an edge when the point's level differs from the one last delivered (or kept to be).</summary>
    private void Deliver(LoopSlot slot, bool high, List<PendingEdge> edges)
    {
        if (high != slot.ReportedHigh)
        {
            var edge = new RawEdge(slot.Loop.Point.Id, high, _time.GetTimestamp());
            edges.Add(new PendingEdge(slot, slot.ReportedHigh, slot.FailSafe, edge, slot.PutBack));
            slot.ReportedHigh = high;
        }

        slot.PutBack = false; // compared with the put-back level: what differed is in this poll's edge
    }

    /// <summary>The electrical level the point reads at: its logical state through its active level.</summary>
    private static bool LevelOf(SupervisedLoop loop, LoopState state) => state switch
    {
        LoopState.Normal => loop.Point.LevelFor(false),
        LoopState.Alarm => loop.Point.LevelFor(true),
        _ => FailSafeLevel(loop),
    };

    /// <summary>The level of a loop that cannot be trusted (tampered, or the ADC does not answer).</summary>
    private static bool FailSafeLevel(SupervisedLoop loop) => TamperedLoop.LevelOf(loop.Point);
}
