using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Hardware;

/// <summary>
/// The outputs of a site (locks, sirens, strobes, lamps) on GPIO lines, driven as a reconciler: a write
/// reaches the hardware only when the level differs from the one last driven.
/// </summary>
/// <remarks>
/// <para>Every line starts at the level the caller computed from the restored safety plan, set in the
/// same request that makes it an output, so a lock never drops and a siren never chirps at boot. Does
/// not own the <see cref="GpioController"/>.</para>
/// <para>Each line is opened on its own. One the kernel refuses (EBUSY: a leftover <c>gpioset</c>, an
/// overlay on the GPIO; EIO) is left unopened, and every <see cref="Write"/> to it tries to open it
/// again at the level written, throwing while it cannot be: the controller reports that as the
/// output's fault and drives it again at its retry's pace, as it does a relay on an expander that
/// does not answer. One busy lamp used to make the whole start fail (every lock, the fire and panic
/// inputs without their controller, systemd restarting into the same failure). Such a line is also
/// reported as a <see cref="HardwareFault"/> of its GPIO (<c>gpio12</c>), restored once a write opens
/// it, so a walk test shows it and fails, as it does an expander that did not answer at start-up. A
/// line this process already uses (an input's) is still refused before any line opens: that is a
/// configuration error, not the hardware's.</para>
/// </remarks>
public sealed class GpioOutputLines : IOutputLines
{
    private readonly GpioController _controller;
    private readonly Dictionary<string, OutputLine> _outputs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Action<IReadOnlyList<DomainEvent>>? _report;
    private bool _disposed;

    /// <summary>
    /// Opens every output's line as an output already at its initial level; a line the kernel refuses is
    /// left to be opened by its first write (see the remarks on the class).
    /// </summary>
    /// <param name="controller">The controller the lines are on.</param>
    /// <param name="outputs">The outputs to drive.</param>
    /// <param name="initialHigh">Output id → electrical level from the first instant; required for every output.</param>
    /// <param name="time">Stamps the faults reported; the system clock when null.</param>
    /// <param name="report">
    /// Receives a <see cref="HardwareFault"/> for each line the kernel refused here, and its
    /// <see cref="HardwareFaultRestored"/> once a write opens it; on the caller's thread, so it must not block.
    /// </param>
    /// <exception cref="ArgumentException">Ids or lines are duplicated, or an initial level is missing or unknown.</exception>
    /// <exception cref="HardwareException">A line is open in this process already (an input's); no line is opened.</exception>
    public GpioOutputLines(
        GpioController controller, IEnumerable<OutputDefinition> outputs, IReadOnlyDictionary<string, bool> initialHigh,
        TimeProvider? time = null, Action<IReadOnlyList<DomainEvent>>? report = null)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(initialHigh);
        _controller = controller;
        _time = time ?? TimeProvider.System;
        _report = report;

        var byLine = new Dictionary<int, string>();
        foreach (var output in outputs)
        {
            // No default level: guessing one for a lock at boot is exactly the glitch this class prevents.
            if (!initialHigh.TryGetValue(output.Id, out var high))
            {
                throw new ArgumentException($"Output '{output.Id}' has no initial level.", nameof(initialHigh));
            }

            if (!_outputs.TryAdd(output.Id, new OutputLine(output.Line, high)))
            {
                throw new ArgumentException($"Output '{output.Id}' is defined twice.", nameof(outputs));
            }

            if (!byLine.TryAdd(output.Line, output.Id))
            {
                throw new ArgumentException($"Outputs '{byLine[output.Line]}' and '{output.Id}' both use line {output.Line}.", nameof(outputs));
            }
        }

        var unknown = initialHigh.Keys.FirstOrDefault(id => !_outputs.ContainsKey(id));
        if (unknown is not null)
        {
            throw new ArgumentException($"An initial level is given for '{unknown}', which is not an output.", nameof(initialHigh));
        }

        LineSet.RefuseOpen(controller, _outputs.Select(o => new LineRequest(o.Value.Line, o.Key, PinMode.Output)));
        List<DomainEvent>? faults = null;
        foreach (var (id, output) in _outputs)
        {
            if ((output.OpenFailure = LineSet.TryOpen(controller, Request(id, output, output.High))) is { } failure)
            {
                (faults ??= []).Add(new HardwareFault(_time.GetUtcNow(), GpioInputLines.DeviceOf(output.Line),
                    $"{failure.TrimEnd('.')}; the output is not driven until its line can be opened, tried again at every write"));
            }
        }

        if (faults is not null)
        {
            _report?.Invoke(faults);
        }
    }

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">The output is not one of these lines.</exception>
    /// <exception cref="HardwareException">The line was refused at start and still cannot be opened, or the write failed.</exception>
    public void Write(string outputId, bool high)
    {
        int opened;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var output = OutputOf(outputId);
            if (output.OpenFailure is null)
            {
                WriteOpen(output, high);
                return;
            }

            // Opened at the level written, in the one request: nothing drove it before.
            output.OpenFailure = LineSet.TryOpen(_controller, Request(outputId, output, high));
            if (output.OpenFailure is { } failure)
            {
                throw new HardwareException(failure);
            }

            output.High = high;
            opened = output.Line;
        }

        // Outside the lock: the receiver hands it on, but need not know it is called under one.
        _report?.Invoke([new HardwareFaultRestored(_time.GetUtcNow(), GpioInputLines.DeviceOf(opened))]);
    }

    // An open line's write; the caller holds _gate.
    private void WriteOpen(OutputLine output, bool high)
    {
        if (output.High == high)
        {
            return;
        }

        _controller.Write(output.Line, high ? PinValue.High : PinValue.Low);
        // Cached only after the write succeeded, so a failed write is retried by the next reconcile.
        output.High = high;
    }

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">The output is not one of these lines.</exception>
    public bool ReadBack(string outputId)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return OutputOf(outputId).High;
        }
    }

    /// <summary>Closes the lines without changing their levels.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            // Not the lines never opened: a line another process holds must not be closed under it.
            LineSet.CloseAll(_controller, _outputs.Values.Where(o => o.OpenFailure is null).Select(o => o.Line));
        }
    }

    private OutputLine OutputOf(string outputId)
    {
        ArgumentNullException.ThrowIfNull(outputId);
        return _outputs.TryGetValue(outputId, out var output)
            ? output
            : throw new KeyNotFoundException($"Output '{outputId}' has no output line.");
    }

    private static LineRequest Request(string id, OutputLine output, bool high) =>
        new(output.Line, id, PinMode.Output, high ? PinValue.High : PinValue.Low);

    private sealed class OutputLine(int line, bool high)
    {
        public int Line { get; } = line;

        /// <summary>The level last driven on the line; while it is not open, the level it is to open at.</summary>
        public bool High { get; set; } = high;

        /// <summary>Why the line could not be opened the last time it was tried; null once it is open.</summary>
        public string? OpenFailure { get; set; }
    }
}
