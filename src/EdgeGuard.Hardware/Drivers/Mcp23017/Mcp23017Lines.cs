using System.Device.Gpio;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Hardware.Drivers.Mcp23017;

/// <summary>An input point on an expander pin.</summary>
/// <param name="PointId">The point wired to the pin.</param>
/// <param name="Pin">0..15 (A0..A7, B0..B7).</param>
/// <param name="Pull"><see cref="LinePull.Up"/> enables the chip's 100 kΩ pull-up; the chip has no pull-down.</param>
public sealed record ExpanderInput(string PointId, int Pin, LinePull Pull);

/// <summary>An output on an expander pin.</summary>
/// <param name="OutputId">The output driven by the pin.</param>
/// <param name="Pin">0..15 (A0..A7, B0..B7).</param>
/// <param name="InitialHigh">The level from the first instant (from the restored safety plan).</param>
public sealed record ExpanderOutput(string OutputId, int Pin, bool InitialHigh);

/// <summary>
/// The points and outputs on one MCP23017, behind the same ports as native GPIO lines. Inputs interrupt on
/// change; the chip's INTA (mirrored, open-drain, active-low) goes to one host GPIO line whose falling edge
/// makes this class read INTF, INTCAP and GPIO and deliver one <see cref="RawEdge"/> per changed pin.
/// </summary>
/// <remarks>
/// <para>Edges are reported relative to the levels last reported: the level captured at the interrupt first,
/// then the level now if the pin changed again before the read, so a short press is never lost (both edges
/// carry the callback's timestamp). <see cref="Read"/> does not change what was reported.</para>
/// <para>While INT stays asserted no new falling edge comes (a failed read, a pin that keeps changing): the
/// callback re-reads while the host line is low, up to four passes, then once more after
/// <see cref="ReserviceDelay"/> if the chip still had something to report. The host line itself is not trusted
/// blindly: <see cref="Sweep"/> (supervision, every second) reads the chip whatever the line says, delivers what
/// it finds and judges the line (<see cref="InterruptLineFault"/>); while the line is judged faulty the chip is
/// read every <see cref="FastPollInterval"/>. See Mcp23017Lines.Interrupts.cs.</para>
/// <para>Does not own the <see cref="GpioController"/> or the chip; disposing leaves the outputs at their levels.</para>
/// </remarks>
public sealed partial class Mcp23017Lines : IInputLines, IOutputLines
{
    private readonly GpioController _controller;
    private readonly int _interruptLine;
    private readonly Mcp23017 _chip;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, int> _inputPins = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _outputPins = new(StringComparer.Ordinal);
    private readonly string?[] _pointAtPin = new string?[Mcp23017.PinCount];
    private readonly ushort _inputMask;
    private readonly ushort _outputMask;
    private readonly Mcp23017Configuration _configuration;
    private readonly Lock _gate = new();
    private ushort _reported;
    private long _readsRecorded;
    // Pins whose next real level is recorded without an edge (AssumeReported with quiet): a fail-safe
    // inactive keyswitch must not become a turn just because the chip answers again while it is held.
    private ushort _quiet;
    // Pins whose _reported is a level assumed (AssumeReported), not read: a difference there says nothing
    // about the interrupt line. Cleared, like _quiet, when every input is read.
    private ushort _assumed;
    // Read() cleared a pending interrupt without delivering it: a level found changed afterwards with no
    // interrupt flagged is explained by that, not by a deaf line. Cleared when every input is read and compared.
    private bool _readUnreported;
    private Action<RawEdge>? _onEdge;
    private PinChangeEventHandler? _handler;
    private long _callbackFailures;
    private Exception? _lastCallbackFailure;
    private bool _disposed;

    /// <summary>
    /// Configures the chip for these pins, then requests the host interrupt line as an input with pull-up. A line
    /// the kernel refuses (another process holds it) leaves a working chip read by polling instead: see
    /// <see cref="InterruptLineFault"/>.
    /// </summary>
    /// <exception cref="ArgumentException">An id or pin is duplicated, a pin is outside 0..15, or a pull-down is asked for.</exception>
    /// <exception cref="HardwareException">
    /// The chip does not answer, or the host line is already open in this process (a clash the configuration
    /// checks refuse).
    /// </exception>
    public Mcp23017Lines(
        GpioController controller, int interruptLine, Mcp23017 chip,
        IEnumerable<ExpanderInput> inputs, IEnumerable<ExpanderOutput> outputs, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(chip);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(time);
        (_controller, _interruptLine, _chip, _time) = (controller, interruptLine, chip, time);

        var owners = new string?[Mcp23017.PinCount];
        ushort pullUps = 0, initial = 0;
        foreach (var input in inputs)
        {
            Claim(owners, input.Pin, input.PointId);
            if (!_inputPins.TryAdd(input.PointId, input.Pin))
            {
                throw new ArgumentException($"{chip.Name}: point '{input.PointId}' is defined twice.", nameof(inputs));
            }

            pullUps |= input.Pull switch
            {
                LinePull.Up => (ushort)(1 << input.Pin),
                LinePull.None => 0,
                _ => throw new ArgumentException(
                    $"{chip.Name}: point '{input.PointId}' on {Mcp23017Configuration.PinName(input.Pin)} asks for a pull-down; the MCP23017 has only pull-ups (use 'up' or 'none' with an external resistor).", nameof(inputs)),
            };
            _inputMask |= (ushort)(1 << input.Pin);
            _pointAtPin[input.Pin] = input.PointId;
        }

        foreach (var output in outputs)
        {
            Claim(owners, output.Pin, output.OutputId);
            if (!_outputPins.TryAdd(output.OutputId, output.Pin))
            {
                throw new ArgumentException($"{chip.Name}: output '{output.OutputId}' is defined twice.", nameof(outputs));
            }

            _outputMask |= (ushort)(1 << output.Pin);
            initial |= output.InitialHigh ? (ushort)(1 << output.Pin) : (ushort)0;
        }

        // Kept so Reconfigure sends exactly what boot sent, only with the outputs' current levels.
        _configuration = Mcp23017Configuration.ForLines(_inputMask, pullUps, _outputMask, initial);
        _reported = chip.Initialize(_configuration);
        if (_inputMask == 0)
        {
            // Outputs only (lock relays): no pin interrupts (GPINTEN is 0), so INTA never asserts and the
            // host line would carry nothing. Not requested, so a line another process holds is no fault
            // (a standing false fault.hardware teaches staff to ignore the real ones) and nothing polls.
            return;
        }

        // A line this process already uses is a clash of the configuration (its checks refuse it): not for
        // polling to hide. One the kernel refuses (EBUSY: a leftover gpiomon, an overlay holding the GPIO)
        // says nothing about the chip, which has just answered its configuration: read it by polling.
        if (controller.IsPinOpen(interruptLine))
        {
            throw new HardwareException($"Line {interruptLine} for '{chip.Name} INT' is already in use by another input or output.");
        }

        if (TryRequestLine() is { } refused)
        {
            PollWithoutLine($"could not be requested as an input with pull-up: {refused}");
        }
    }

    /// <summary>
    /// Interrupt services that failed (the chip did not answer the read); a change is then left to the next read.
    /// Non-zero is a fault to report.
    /// </summary>
    public long CallbackFailures => Interlocked.Read(ref _callbackFailures);

    /// <summary>The most recent exception swallowed in the interrupt callback.</summary>
    public Exception? LastCallbackFailure => Volatile.Read(ref _lastCallbackFailure);

    /// <inheritdoc/>
    /// <remarks>Reads GPIO over I2C (which also clears a pending interrupt; its changes are still delivered).</remarks>
    /// <exception cref="KeyNotFoundException">The point is not on this expander.</exception>
    public bool Read(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var pin = _inputPins.TryGetValue(pointId, out var p) ? p : throw new KeyNotFoundException($"Point '{pointId}' is not on {_chip.Name}.");
        // Under the lock so it cannot clear an interrupt between the supervision sweep's INTF read and its
        // look at the host line (which would make a working line look deaf).
        lock (_gate)
        {
            var levels = _chip.ReadLevels();
            _readUnreported = true;
            return (levels & (1 << pin)) != 0;
        }
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

        lock (_gate)
        {
            // Under the lock: a sweep that requests a line refused so far listens to it too. A refused callback is a
            // refused line, polled (LineRequest.cs): a throw would stop the other chips, the EOL loops and the controller.
            if (LineOpen && TryListen() is { } refused)
            {
                PollWithoutLine(refused);
            }
        }

        // A change since initialisation holds INT low and will never make another falling edge; without the
        // line, read the chip now rather than at the first fast poll. A host line that cannot be read (EIO)
        // is no reason to stop the start: Poll reads the chip then, and the sweeps judge the line.
        if (LineOpen)
        {
            Poll();
        }
        else
        {
            Service(fromEdge: false);
        }
    }

    /// <summary>
    /// Configures a chip that was reset (a brown-out: pins back to inputs, interrupts off) again exactly as at
    /// start-up, through the same <see cref="Mcp23017.Initialize"/> sequence, but with every output at the level
    /// last asked for (<paramref name="wanted"/>, else the cached latch: a locked lock drives locked again; OLAT
    /// goes out before IODIR makes the pins outputs). Not the latch alone: it holds only writes the chip took,
    /// and an egress release asked for while the chip was without power would be driven locked again. Then delivers, stamped now, every input whose level differs from the one last
    /// reported: while the chip was reset its interrupts were off, so a door opened meanwhile made no edge.
    /// </summary>
    /// <remarks>
    /// Holds the same lock as <see cref="Write"/> and the interrupt callback, so no output write can land
    /// between the latch being sent and the direction, and an interrupt serviced afterwards compares with the
    /// levels read here (nothing is delivered twice).
    /// </remarks>
    /// <param name="wanted">The level last asked for of an output, by id; null where none was. Asked under this
    /// object's lock, so a write that lands meanwhile is either in it or driven after it.</param>
    /// <exception cref="HardwareException">The chip did not answer; call again to retry (the latch is unchanged).</exception>
    public void Reconfigure(Func<string, bool?> wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            var latch = _chip.OutputLatch;
            foreach (var (outputId, pin) in _outputPins)
            {
                if (wanted(outputId) is { } high)
                {
                    latch = (ushort)(high ? latch | (1 << pin) : latch & ~(1 << pin));
                }
            }

            var levels = _chip.Initialize(_configuration with { InitialOutputs = (ushort)(latch & _outputMask) });
            // The re-read levels are stamped now: when the change happened during the reset is unknown.
            var edges = new List<RawEdge>();
            AddEdges(edges, _reported, levels, _time.GetTimestamp());
            RecordRead(levels);
            Deliver(edges);
        }
    }

    /// <summary>
    /// Records that the edge receiver holds <paramref name="high"/> for a point although the chip was not read for
    /// it (the fail-safe level it was given while the chip did not answer), so <see cref="DeliverChanges"/> and the
    /// next interrupt compare with that and deliver the real level where it differs.
    /// </summary>
    /// <param name="pointId">The point.</param>
    /// <param name="high">The level the receiver holds.</param>
    /// <param name="quiet">
    /// The first real level read afterwards (by <see cref="DeliverChanges"/>, <see cref="Reconfigure"/> or an
    /// interrupt) is recorded as reported without an edge, so only a later change counts. For a point whose
    /// fail-safe level is inactive (a keyswitch, a request-to-exit): held through the blindness, it must not
    /// read as a fresh turn or press when the chip answers.
    /// </param>
    /// <exception cref="KeyNotFoundException">The point is not on this expander.</exception>
    public void AssumeReported(string pointId, bool high, bool quiet = false)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        var bit = 1 << (_inputPins.TryGetValue(pointId, out var pin) ? pin : throw new KeyNotFoundException($"Point '{pointId}' is not on {_chip.Name}."));
        lock (_gate)
        {
            _reported = (ushort)(high ? _reported | bit : _reported & ~bit);
            _quiet = (ushort)(quiet ? _quiet | bit : _quiet & ~bit);
            _assumed |= (ushort)bit;
        }
    }

    /// <summary>
    /// Reads every input now and delivers, stamped now, each whose level differs from the one last reported (or
    /// assumed, <see cref="AssumeReported"/>). Call after <see cref="Start"/>, or the edges have nowhere to go.
    /// </summary>
    /// <exception cref="HardwareException">The chip did not answer; nothing was delivered or changed.</exception>
    /// <remarks>An edge the action throws on is not thrown here: it is delivered again by the next read.</remarks>
    public void DeliverChanges()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            var levels = _chip.ReadLevels();
            var edges = new List<RawEdge>();
            AddEdges(edges, _reported, levels, _time.GetTimestamp());
            RecordRead(levels);
            Deliver(edges);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">The output is not on this expander.</exception>
    public void Write(string outputId, bool high)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var pin = OutputPin(outputId);
        lock (_gate)
        {
            if (((_chip.OutputLatch >> pin) & 1) != (high ? 1 : 0))
            {
                _chip.WritePin(pin, high);
            }
        }
    }

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">The output is not on this expander.</exception>
    public bool ReadBack(string outputId)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return ((_chip.OutputLatch >> OutputPin(outputId)) & 1) != 0;
    }

    /// <summary>Stops edge delivery and closes the host interrupt line; the chip keeps its outputs.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        bool lineOpen;
        lock (_gate)
        {
            // Under the lock: a timer is only created under it after checking _disposed (Interrupts.cs),
            // and a fast-poll tick already past its own check finds _disposed set in SweepOnce.
            _disposed = true;
            _reservice?.Dispose();
            _fastPoll?.Dispose();
            // Not held from here: LineAsserted (read without the lock) must not read a closed line.
            lineOpen = LineOpen;
            Volatile.Write(ref _lineOpen, false);
        }

        if (_handler is not null)
        {
            LineSet.BestEffort(() => _controller.UnregisterCallbackForPinValueChangedEvent(_interruptLine, _handler));
        }

        // Only a line it requested: one refused, or never requested (outputs only), is not this class's to close.
        if (lineOpen)
        {
            LineSet.CloseAll(_controller, [_interruptLine]);
        }
    }

    /// <summary>
    /// Reads of the chip's inputs that succeeded (interrupt service, sweep, poll): supervision tells a glitch
    /// that failed one pass from a chip that is gone by whether any read succeeded in between.
    /// </summary>
    public long ReadsRecorded => Interlocked.Read(ref _readsRecorded);

    /// <summary>Records every input's level as read (and so reported); nothing assumed or read unreported remains.</summary>
    private void RecordRead(ushort levels)
    {
        Interlocked.Increment(ref _readsRecorded);
        _reported = (ushort)((_reported & ~_inputMask) | (levels & _inputMask));
        _quiet = 0; // every quiet pin has now been read: its real level is recorded
        _assumed = 0;
        _undeliveredAtRead = _undelivered; // for Keep: a put-back pin's edge in this read was counted lost
        _undelivered = 0; // compared again in this read: what differed is among the edges being delivered
        _readUnreported = false;
    }

    private int OutputPin(string outputId)
    {
        ArgumentNullException.ThrowIfNull(outputId);
        return _outputPins.TryGetValue(outputId, out var pin) ? pin : throw new KeyNotFoundException($"Output '{outputId}' is not on {_chip.Name}.");
    }

    private void Claim(string?[] owners, int pin, string owner)
    {
        if ((uint)pin >= Mcp23017.PinCount)
        {
            throw new ArgumentException($"{_chip.Name}: '{owner}' uses pin {pin}; the MCP23017 has pins 0..15 (A0..A7, B0..B7).");
        }

        if (owners[pin] is { } other)
        {
            throw new ArgumentException($"{_chip.Name}: '{other}' and '{owner}' both use {Mcp23017Configuration.PinName(pin)}.");
        }

        owners[pin] = owner;
    }
}
