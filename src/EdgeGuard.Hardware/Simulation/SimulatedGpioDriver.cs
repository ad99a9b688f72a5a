using System.Device.Gpio;

namespace EdgeGuard.Hardware.Simulation;

/// <summary>
/// An in-memory GPIO chip. It is a real <see cref="GpioDriver"/>, so production code runs unchanged
/// through <c>new GpioController(driver)</c>; tests and the simulator drive the "wires" from outside
/// with <see cref="SetInputLevel"/> and observe outputs with <see cref="GetOutputLevel"/>.
/// </summary>
/// <remarks>
/// <para>Thread-safe. State is guarded by one lock; callbacks are never invoked while it is held, so a
/// callback may call back into the driver (read a line, even set another input) without deadlocking.</para>
/// <para>Like the libgpiod drivers, events are delivered one at a time and in order, and a callback that
/// throws stops all further event delivery for this driver (<see cref="EventThreadFault"/> records
/// why). The simulation keeps that hazard visible instead of hiding it, so a test catches a callback
/// that would kill the event thread on a real gateway.</para>
/// <para>Electrical model: an output drives its level; an input reads its external level when one was
/// set, else its pull (up = high, down = low, none = low). Like libgpiod, switching a line to output
/// without an initial value drives it low; a line keeps its level when closed.</para>
/// </remarks>
public sealed partial class SimulatedGpioDriver : GpioDriver
{
    /// <summary>The line count of a simulated chip when none is given: enough for a Pi header.</summary>
    public const int DefaultLineCount = 64;

    private readonly Lock _gate = new();
    private readonly SimulatedLine[] _lines;
    private readonly List<(int Line, bool High)> _writes = [];
    private readonly Queue<PendingEdge> _pending = new();
    private bool _draining;
    private bool _held;
    private bool _disposed;
    private Exception? _eventThreadFault;

    /// <summary>Creates a simulated chip.</summary>
    /// <param name="lineCount">Number of lines; line offsets run from 0 to <paramref name="lineCount"/> - 1.</param>
    public SimulatedGpioDriver(int lineCount = DefaultLineCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lineCount);
        _lines = new SimulatedLine[lineCount];
        for (var i = 0; i < lineCount; i++)
        {
            _lines[i] = new SimulatedLine();
        }
    }

    /// <summary>Number of lines on the simulated chip.</summary>
    public int LineCount => _lines.Length;

    /// <summary>
    /// The exception that stopped event delivery, or null while events flow. On real hardware this
    /// is the moment the libgpiod event thread dies and the gateway goes deaf.
    /// </summary>
    public Exception? EventThreadFault
    {
        get
        {
            lock (_gate)
            {
                return _eventThreadFault;
            }
        }
    }

    /// <summary>Every <c>Write</c> that reached the driver, in order (initial values of outputs are not writes).</summary>
    public IReadOnlyList<(int Line, bool High)> Writes
    {
        get
        {
            lock (_gate)
            {
                return [.. _writes];
            }
        }
    }

    /// <summary>
    /// Sets the level the outside world puts on a line (a contact closing, a button pressed). When the
    /// line is open as an input and its level changes, matching callbacks and waiters are notified.
    /// May be called before the line is opened, to wire the site up before boot.
    /// </summary>
    public void SetInputLevel(int line, bool high)
    {
        List<TaskCompletionSource<WaitForEventResult>> woken;
        PinEventTypes edge;
        lock (_gate)
        {
            var state = LineAt(line);
            var wasInput = state.Open && IsInput(state.Mode);
            var before = state.InputLevel;
            state.External = high;
            if (!wasInput || before == high)
            {
                return;
            }

            edge = high ? PinEventTypes.Rising : PinEventTypes.Falling;
            woken = state.TakeWaiters(edge);
            if (_eventThreadFault is null && !_disposed)
            {
                _pending.Enqueue(new PendingEdge(line, edge));
            }
        }

        var result = new WaitForEventResult { EventTypes = edge, TimedOut = false };
        foreach (var waiter in woken)
        {
            waiter.TrySetResult(result);
        }

        DrainEvents();
    }

    /// <summary>
    /// Changes the level the outside world applies with no event and no waiter woken: models an edge the
    /// kernel dropped (libgpiod v1's per-line event queue overflowing under chatter) or one that happened
    /// while the driver's event thread was stopped. Only a read of the line shows the new level.
    /// </summary>
    public void SetInputLevelSilently(int line, bool high)
    {
        lock (_gate)
        {
            LineAt(line).External = high;
        }
    }

    /// <summary>
    /// Holds event delivery: levels change at once, but their events wait, in order, until
    /// <see cref="ReleaseEvents"/>. Models an event thread that is late (a loaded machine), so a test can
    /// put a read of the line between a change and its event deterministically.
    /// </summary>
    public void HoldEvents()
    {
        lock (_gate)
        {
            _held = true;
        }
    }

    /// <summary>Ends <see cref="HoldEvents"/> and delivers the events held meanwhile, on the calling thread.</summary>
    public void ReleaseEvents()
    {
        lock (_gate)
        {
            _held = false;
        }

        DrainEvents();
    }

    /// <summary>
    /// Makes another process hold a line, as a leftover <c>gpiomon</c> or a device-tree overlay does: until
    /// <see cref="ReleaseElsewhere"/>, opening it fails with the <see cref="IOException"/> the kernel's EBUSY
    /// becomes. A line this driver has open already stays open.
    /// </summary>
    /// <param name="line">The line.</param>
    /// <param name="consumer">The holder's consumer name, as <c>gpioinfo</c> shows it.</param>
    /// <param name="refusedAtMode">
    /// Fail when the line's mode is set, not when it is opened, as System.Device.Gpio's libgpiod v1
    /// driver does (it requests the line from the kernel only then): <see cref="GpioController"/> has
    /// then counted the pin open, and only the caller closing it frees it.
    /// </param>
    public void HoldElsewhere(int line, string consumer, bool refusedAtMode = false)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        lock (_gate)
        {
            var state = LineAt(line);
            (state.HeldElsewhere, state.HeldRefusedAtMode) = (consumer, refusedAtMode);
        }
    }

    /// <summary>Ends <see cref="HoldElsewhere"/>: the line can be opened again.</summary>
    public void ReleaseElsewhere(int line)
    {
        lock (_gate)
        {
            LineAt(line).HeldElsewhere = null;
        }
    }

    /// <summary>
    /// Makes registering an edge callback on a line fail (or succeed again) with the <see cref="IOException"/>
    /// an EIO becomes: a chip line with no interrupt, or one taken by another process while the line was
    /// requested again for its events.
    /// </summary>
    public void RefuseEdgeEvents(int line, bool refuse = true)
    {
        lock (_gate)
        {
            LineAt(line).RefusesEdgeEvents = refuse;
        }
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> reads of a line fail with the <see cref="IOException"/> an EIO from
    /// the GPIO character device becomes.
    /// </summary>
    public void FailReads(int line, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            LineAt(line).FailingReads = count;
        }
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> writes to a line fail with the <see cref="IOException"/> an
    /// EIO from the GPIO character device becomes (a glitch on the relay board's supply, a flaky
    /// header): the line keeps its level, and a failed write is neither counted nor recorded.
    /// </summary>
    public void FailWrites(int line, int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate)
        {
            LineAt(line).FailingWrites = count;
        }
    }

    /// <summary>The level a line is driving (its last output level; kept after the line is closed).</summary>
    public bool GetOutputLevel(int line)
    {
        lock (_gate)
        {
            return LineAt(line).OutputLevel;
        }
    }

    /// <summary>
    /// What a line reads as an input: the level the outside world applies, else its pull (a floating line
    /// reads low). The simulator reads a door's contact here, to move the door's lock monitor with it.
    /// </summary>
    public bool GetInputLevel(int line)
    {
        lock (_gate)
        {
            return LineAt(line).InputLevel;
        }
    }

    /// <summary>
    /// Every level a line has driven as an output, in order, starting with the level it took when it
    /// became an output. A glitch at boot shows up as an extra entry.
    /// </summary>
    public IReadOnlyList<bool> DrivenLevels(int line)
    {
        lock (_gate)
        {
            return [.. LineAt(line).DrivenLevels];
        }
    }

    /// <summary>How many <c>Write</c> calls reached the driver for a line.</summary>
    public int WriteCount(int line)
    {
        lock (_gate)
        {
            return LineAt(line).WriteCount;
        }
    }

    /// <summary>The mode of an open line, or null when the line is not open.</summary>
    public PinMode? ModeOf(int line)
    {
        lock (_gate)
        {
            var state = LineAt(line);
            return state.Open ? state.Mode : null;
        }
    }

    /// <summary>Whether a line is currently open.</summary>
    public bool IsOpen(int line)
    {
        lock (_gate)
        {
            return LineAt(line).Open;
        }
    }

    /// <summary>How many value-changed callbacks are registered on a line.</summary>
    public int CallbackCount(int line)
    {
        lock (_gate)
        {
            return LineAt(line).Callbacks.Count;
        }
    }

    /// <summary>
    /// Delivers queued edges in order. Whoever finds nobody draining becomes the drainer, so callbacks
    /// run one at a time like on a driver's event thread, yet never under <see cref="_gate"/>.
    /// </summary>
    private void DrainEvents()
    {
        while (true)
        {
            PendingEdge edge;
            PinChangeEventHandler[] handlers;
            lock (_gate)
            {
                if (_draining || _held || _pending.Count == 0)
                {
                    return;
                }

                _draining = true;
                edge = _pending.Dequeue();
                handlers = _lines[edge.Line].HandlersFor(edge.Type);
            }

            try
            {
                var args = new PinValueChangedEventArgs(edge.Type, edge.Line);
                foreach (var handler in handlers)
                {
                    handler(this, args);
                }
            }
#pragma warning disable CA1031 // A callback's exception is recorded, exactly like the event thread it stands for dies with it.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                lock (_gate)
                {
                    _eventThreadFault ??= ex;
                    _pending.Clear();
                }
            }
            finally
            {
                lock (_gate)
                {
                    _draining = false;
                }
            }
        }
    }

    private SimulatedLine LineAt(int line)
    {
        if ((uint)line >= (uint)_lines.Length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(line), line, $"Line {line} does not exist on the simulated chip (lines 0..{_lines.Length - 1}).");
        }

        return _lines[line];
    }

    private SimulatedLine UsableLine(int line)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return LineAt(line);
    }

    private SimulatedLine OpenLine(int line)
    {
        var state = UsableLine(line);
        return state.Open ? state : throw new InvalidOperationException($"Line {line} is not open.");
    }

    private readonly record struct PendingEdge(int Line, PinEventTypes Type);
}
