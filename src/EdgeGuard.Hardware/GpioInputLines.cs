using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Hardware;

/// <summary>
/// The input points of a site on GPIO lines. Returns electrical levels; what "active" means
/// (active-low contacts) is the point definition's business in Core.
/// </summary>
/// <remarks>
/// <para>Does not own the <see cref="GpioController"/>: disposing this closes only its own lines, so the
/// outputs on the same controller keep their levels.</para>
/// <para>Edges alone cannot be trusted to carry every level: an edge is lost when the edge action throws,
/// when the kernel's per-line event queue overflows under chatter, or when the driver's event thread stops.
/// So from <see cref="Start"/> on, every line is also re-read every <see cref="ResyncInterval"/>
/// (<see cref="Resync"/>) and a level that differs from the last one delivered is delivered as a
/// <see cref="RawEdge"/> stamped now, through the same action as a real edge (the controller's debounce
/// applies as usual), and reported as <see cref="HardwareFault"/> for the line, restored after a clean pass.</para>
/// </remarks>
public sealed partial class GpioInputLines : IInputLines
{
    private readonly GpioController _controller;
    private readonly TimeProvider _time;
    private readonly Action<IReadOnlyList<DomainEvent>>? _report;
    private readonly Dictionary<string, InputLine> _lines = new(StringComparer.Ordinal);
    private Action<RawEdge>? _onEdge;
    private Exception? _lastCallbackFailure;
    private bool _disposed;

    /// <summary>Opens every point's line as an input with the point's pull resistor.</summary>
    /// <param name="controller">The controller the lines are on (not owned).</param>
    /// <param name="points">The points on native lines.</param>
    /// <param name="time">Timestamps edges and schedules the resync.</param>
    /// <param name="report">
    /// Receives the resync's <see cref="HardwareFault"/> and <see cref="HardwareFaultRestored"/> events, from its
    /// timer thread (it must only hand them on). Null drops them; the resync still corrects the levels.
    /// </param>
    /// <exception cref="ArgumentException">Two points share an id or a line.</exception>
    /// <exception cref="HardwareException">
    /// A line is open in this process already (an output's: a configuration error); no line is opened. A line the
    /// kernel refuses is left closed, not thrown: it reads as a line that cannot be read until it opens
    /// (GpioInputLines.Open.cs).
    /// </exception>
    public GpioInputLines(
        GpioController controller, IEnumerable<PointDefinition> points, TimeProvider time, Action<IReadOnlyList<DomainEvent>>? report = null)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(time);
        _controller = controller;
        _time = time;
        _report = report;

        var byLine = new Dictionary<int, string>();
        foreach (var point in points)
        {
            if (!_lines.TryAdd(point.Id, new InputLine(point)))
            {
                throw new ArgumentException($"Point '{point.Id}' is defined twice.", nameof(points));
            }

            if (!byLine.TryAdd(point.Line, point.Id))
            {
                throw new ArgumentException($"Points '{byLine[point.Line]}' and '{point.Id}' both use line {point.Line}.", nameof(points));
            }
        }

        OpenEach();
    }

    /// <summary>
    /// How many edges were lost because the edge action threw (in the driver's callback or in a resync).
    /// Each is reported by the next <see cref="Resync"/> pass as a fault of its line, and the line's level re-read.
    /// </summary>
    public long CallbackFailures => _lines.Values.Sum(line => Interlocked.Read(ref line.Failures));

    /// <summary>The most recent exception swallowed in the edge callback, for diagnostics.</summary>
    public Exception? LastCallbackFailure => Volatile.Read(ref _lastCallbackFailure);

    /// <summary>The pin mode that realises a point's pull resistor.</summary>
    public static PinMode ModeFor(LinePull pull) => pull switch
    {
        LinePull.Up => PinMode.InputPullUp,
        LinePull.Down => PinMode.InputPullDown,
        LinePull.None => PinMode.Input,
        _ => throw new ArgumentOutOfRangeException(nameof(pull), pull, "Unknown pull resistor setting."),
    };

    /// <summary>The device a native line's faults name: <c>gpio17</c> for line 17 of the configured chip.</summary>
    public static string DeviceOf(int line) => $"gpio{line}";

    /// <inheritdoc/>
    /// <remarks>
    /// A read that throws (EIO from the character device) leaves the level the receiver holds unknown: the
    /// controller then takes the point's fail-safe level. So the line is marked, and the first resync pass
    /// that reads it delivers its level whatever it is (the level seeded at <see cref="Start"/> may equal
    /// it) and restores the line's fault, which the reader raised (<see cref="Resync"/>). Not the pass that
    /// first finds one failure: the reader may read again at once, and a retry that reads raises no fault
    /// for a restore to follow.
    /// </remarks>
    /// <exception cref="KeyNotFoundException">The point is not one of these lines.</exception>
    public bool Read(string pointId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var line = LineOf(pointId);
        try
        {
            var high = ReadLevel(line) == PinValue.High;
            lock (line.Gate)
            {
                line.ReadFailed = false;
                line.ReadFailures = 0;
            }

            return high;
        }
        catch (Exception)
        {
            lock (line.Gate)
            {
                // The pass acts on it once the reader's retry, if any, has come (Check).
                line.ReadFailed = true;
                line.ReadFailures++;
                line.ReadFailureStood = false;
            }

            throw;
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The lines are inputs with their pulls from construction, so this is a read of the character device's
    /// line value, as <see cref="Read"/>, which records nothing, not even a failure (the levels delivered
    /// are seeded at <see cref="Start"/>; the settled read after it is the boot read).
    /// </remarks>
    public bool? ReadBeforeOutputs(string pointId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ReadLevel(LineOf(pointId)) == PinValue.High;
    }

    /// <inheritdoc/>
    /// <remarks>Also starts the resync timer: before this, no level has been delivered that could be wrong.</remarks>
    /// <exception cref="InvalidOperationException">Edge delivery was already started.</exception>
    public void Start(Action<RawEdge> onEdge)
    {
        ArgumentNullException.ThrowIfNull(onEdge);
        ObjectDisposedException.ThrowIf(_disposed, this);
        // Under the open gate with the registrations: a read on another thread that opens a refused line
        // in between would put its callback in, and the registrations here a second one.
        lock (_openGate)
        {
            if (Interlocked.CompareExchange(ref _onEdge, onEdge, null) is not null)
            {
                throw new InvalidOperationException("Edge delivery has already been started.");
            }

            // A line whose callback the driver refuses is closed, to be opened with it by a later read
            // (GpioInputLines.Open.cs): the other lines, and the resync, start all the same.
            RegisterEach();
        }

        // The levels the receiver starts from: read after the callbacks are in, so a change in between
        // arrives as an edge rather than as a mismatch the resync would report as a lost edge.
        foreach (var line in _lines.Values)
        {
            Seed(line);
        }

        StartResync();
    }

    /// <summary>Stops the resync and edge delivery, and closes the lines.</summary>
    public void Dispose()
    {
        // Taken with the pass's gate, so a pass under way finishes first and none starts afterwards.
        lock (_passGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _timer?.Dispose();
        // Under the open gate, so a read opening a refused line meanwhile cannot leave it open.
        lock (_openGate)
        {
            // Callbacks go first so no edge arrives for a line that is being closed.
            foreach (var line in _lines.Values.Where(l => l.Handler is not null))
            {
                LineSet.BestEffort(() => _controller.UnregisterCallbackForPinValueChangedEvent(line.Point.Line, line.Handler!));
            }

            // Every line of the set that is open, a refused one's leftover too (a close that failed after its
            // callback was refused): no other part of this process has these lines (RefuseOpen).
            LineSet.CloseAll(_controller, _lines.Values.Select(l => l.Point.Line));
        }
    }

    /// <summary>
    /// Runs on the driver's event thread. It timestamps and hands over (the controller may decide on
    /// the edge right here when it is idle, but never waits for a disk on this thread): a throw here
    /// would kill libgpiod's event thread and leave the gateway deaf, so nothing may escape.
    /// </summary>
    private void OnPinChanged(InputLine line, PinValueChangedEventArgs args)
    {
        try
        {
            // Under the line's gate, like a resync's delivery, so the two never reorder or repeat a level.
            lock (line.Gate)
            {
                // Timestamp first: the driver gives none, and the debounce is measured from here. Taken
                // under the gate so a resync delivered meanwhile cannot carry a later stamp than this edge.
                var timestamp = _time.GetTimestamp();
                var high = args.ChangeType switch
                {
                    PinEventTypes.Rising => true,
                    PinEventTypes.Falling => false,
                    // No driver reports anything else; reading the line beats dropping the edge.
                    _ => _controller.Read(args.PinNumber) == PinValue.High,
                };
                line.Edges++;
                if (line.DeliveredByResync && line.Delivered == high)
                {
                    // The late event of the change the resync already delivered: the same news, not a second edge.
                    line.DeliveredByResync = false;
                    return;
                }

                Deliver(line, high, timestamp, byResync: false);
            }
        }
#pragma warning disable CA1031 // Deliberately catch-all: see the method's remarks.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            CountFailure(line, ex);
        }
    }

    /// <summary>
    /// Hands one level to the edge action and records it as delivered. The caller holds the line's gate.
    /// A throwing action leaves the level recorded before, so the resync still finds the line's level undelivered.
    /// </summary>
    private void Deliver(InputLine line, bool high, long timestamp, bool byResync)
    {
        var (before, beforeByResync, mark) = (line.Delivered, line.DeliveredByResync, line.Edges);
        // Recorded before the action runs: an edge it causes on this line (an output wired back to an input)
        // is delivered re-entrantly from inside it, and is the newer level.
        (line.Delivered, line.DeliveredByResync) = (high, byResync);
        try
        {
            _onEdge?.Invoke(new RawEdge(line.Point.Id, high, timestamp));
        }
        catch when (line.Edges == mark)
        {
            (line.Delivered, line.DeliveredByResync) = (before, beforeByResync);
            throw;
        }
    }

    private void CountFailure(InputLine line, Exception ex)
    {
        Volatile.Write(ref line.LastFailure, ex);
        Interlocked.Increment(ref line.Failures);
        Volatile.Write(ref _lastCallbackFailure, ex);
    }

    private InputLine LineOf(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        return _lines.TryGetValue(pointId, out var line)
            ? line
            : throw new KeyNotFoundException($"Point '{pointId}' has no input line.");
    }

    /// <summary>One native input line and what the edge receiver was last given for it.</summary>
    private sealed class InputLine(PointDefinition point)
    {
        /// <summary>Edges lost on this line because the action threw; read by the resync pass.</summary>
        public long Failures;

        /// <summary>The exception of the latest of <see cref="Failures"/>, named in the fault's reason.</summary>
        public Exception? LastFailure;

        /// <summary>Why the line is not open (the kernel refused it, or its callback); null while it is. Written under the open gate.</summary>
        public string? OpenFailure;

        public PointDefinition Point { get; } = point;

        /// <summary>Held while an edge or a resync delivers on this line, so deliveries are one at a time and in order.</summary>
        public Lock Gate { get; } = new();

        public PinChangeEventHandler? Handler { get; set; }

        // The fields below are guarded by Gate.

        /// <summary>The level last delivered (or read at start); null until it could be read.</summary>
        public bool? Delivered { get; set; }

        /// <summary>The resync delivered <see cref="Delivered"/>; the event of that same change may still come.</summary>
        public bool DeliveredByResync { get; set; }

        /// <summary>Events handled from the driver: a resync that saw this move while it read the line stands back.</summary>
        public long Edges { get; set; }

        /// <summary><see cref="Failures"/> as the last pass saw it.</summary>
        public long FailuresSeen { get; set; }

        /// <summary>A mismatch one pass found (the level read, and <see cref="Edges"/> then), confirmed by the next.</summary>
        public (bool High, long Edges)? Suspect { get; set; }

        /// <summary>
        /// The last <see cref="Read"/> threw: the receiver holds a level this line did not give (the point's
        /// fail-safe level), and a fault for the line raised by the reader. Under <see cref="Gate"/>.
        /// </summary>
        public bool ReadFailed { get; set; }

        /// <summary>Reads that threw in a row, since the last that did not. Under <see cref="Gate"/>.</summary>
        public int ReadFailures { get; set; }

        /// <summary>
        /// A pass has found <see cref="ReadFailed"/> since the last failed read: the reader's retry, if any, came
        /// before the next pass, which acts on the failure. Under <see cref="Gate"/>.
        /// </summary>
        public bool ReadFailureStood { get; set; }

        /// <summary>A fault is raised for the line; only the pass (under its own gate) touches this.</summary>
        public bool Faulted { get; set; }

        /// <summary>The last pass could not read the line. Only the pass touches this.</summary>
        public bool Unreadable { get; set; }

        /// <summary>The standing fault names the point unread (<c>HardwareFault.Points</c>). Only the pass touches this.</summary>
        public bool FaultNamesPoint { get; set; }
    }
}
