using System.Device.Gpio;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Hardware;

/// <summary>
/// The input points of a site on GPIO lines. Returns electrical levels; what "active" means
/// (active-low contacts) is the point definition's business in Core.
/// </summary>
/// <remarks>
/// Does not own the <see cref="GpioController"/>: disposing this closes only its own lines, so the
/// outputs on the same controller keep their levels.
/// </remarks>
public sealed class GpioInputLines : IInputLines
{
    private readonly GpioController _controller;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, PointDefinition> _points = new(StringComparer.Ordinal);
    private readonly List<(int Line, PinChangeEventHandler Handler)> _callbacks = [];
    private Action<RawEdge>? _onEdge;
    private long _callbackFailures;
    private Exception? _lastCallbackFailure;
    private bool _disposed;

    /// <summary>Opens every point's line as an input with the point's pull resistor.</summary>
    /// <exception cref="ArgumentException">Two points share an id or a line.</exception>
    /// <exception cref="HardwareException">A line cannot be opened; lines opened before it are closed again.</exception>
    public GpioInputLines(GpioController controller, IEnumerable<PointDefinition> points, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(time);
        _controller = controller;
        _time = time;

        var byLine = new Dictionary<int, string>();
        foreach (var point in points)
        {
            if (!_points.TryAdd(point.Id, point))
            {
                throw new ArgumentException($"Point '{point.Id}' is defined twice.", nameof(points));
            }

            if (!byLine.TryAdd(point.Line, point.Id))
            {
                throw new ArgumentException($"Points '{byLine[point.Line]}' and '{point.Id}' both use line {point.Line}.", nameof(points));
            }
        }

        LineSet.OpenAll(controller, _points.Values.Select(p => new LineRequest(p.Line, p.Id, ModeFor(p.Pull))));
    }

    /// <summary>
    /// How many edges were lost because the edge action threw. Non-zero means the controller's queue
    /// failed while the event thread was kept alive; report it as a fault.
    /// </summary>
    public long CallbackFailures => Interlocked.Read(ref _callbackFailures);

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

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">The point is not one of these lines.</exception>
    public bool Read(string pointId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _controller.Read(PointOf(pointId).Line) == PinValue.High;
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Edge delivery was already started.</exception>
    public void Start(Action<RawEdge> onEdge)
    {
        ArgumentNullException.ThrowIfNull(onEdge);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.CompareExchange(ref _onEdge, onEdge, null) is not null)
        {
            throw new InvalidOperationException("Edge delivery has already been started.");
        }

        foreach (var point in _points.Values)
        {
            var pointId = point.Id;
            PinChangeEventHandler handler = (_, args) => OnPinChanged(pointId, args);
            _controller.RegisterCallbackForPinValueChangedEvent(point.Line, PinEventTypes.Rising | PinEventTypes.Falling, handler);
            _callbacks.Add((point.Line, handler));
        }
    }

    /// <summary>Stops edge delivery and closes the lines.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        // Callbacks go first so no edge arrives for a line that is being closed.
        foreach (var (line, handler) in _callbacks)
        {
            LineSet.BestEffort(() => _controller.UnregisterCallbackForPinValueChangedEvent(line, handler));
        }

        _callbacks.Clear();
        LineSet.CloseAll(_controller, _points.Values.Select(p => p.Line));
    }

    /// <summary>
    /// Runs on the driver's event thread. It timestamps and hands over (the controller may decide on
    /// the edge right here when it is idle, but never waits for a disk on this thread): a throw here
    /// would kill libgpiod's event thread and leave the gateway deaf, so nothing may escape.
    /// </summary>
    private void OnPinChanged(string pointId, PinValueChangedEventArgs args)
    {
        try
        {
            // Timestamp first: the driver gives none, and the debounce is measured from here.
            var timestamp = _time.GetTimestamp();
            var high = args.ChangeType switch
            {
                PinEventTypes.Rising => true,
                PinEventTypes.Falling => false,
                // No driver reports anything else; reading the line beats dropping the edge.
                _ => _controller.Read(args.PinNumber) == PinValue.High,
            };
            _onEdge?.Invoke(new RawEdge(pointId, high, timestamp));
        }
#pragma warning disable CA1031 // Deliberately catch-all: see the method's remarks.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _callbackFailures);
            Volatile.Write(ref _lastCallbackFailure, ex);
        }
    }

    private PointDefinition PointOf(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        return _points.TryGetValue(pointId, out var point)
            ? point
            : throw new KeyNotFoundException($"Point '{pointId}' has no input line.");
    }
}
