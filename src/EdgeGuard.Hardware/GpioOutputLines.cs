using System.Device.Gpio;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Hardware;

/// <summary>
/// The outputs of a site (locks, sirens, strobes, lamps) on GPIO lines, driven as a reconciler: a write
/// reaches the hardware only when the level differs from the one last driven.
/// </summary>
/// <remarks>
/// Every line starts at the level the caller computed from the restored safety plan, set in the same
/// request that makes it an output, so a lock never drops and a siren never chirps at boot. Does not own
/// the <see cref="GpioController"/>.
/// </remarks>
public sealed class GpioOutputLines : IOutputLines
{
    private readonly GpioController _controller;
    private readonly Dictionary<string, OutputLine> _outputs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private bool _disposed;

    /// <summary>Opens every output's line as an output already at its initial level.</summary>
    /// <param name="controller">The controller the lines are on.</param>
    /// <param name="outputs">The outputs to drive.</param>
    /// <param name="initialHigh">Output id → electrical level from the first instant; required for every output.</param>
    /// <exception cref="ArgumentException">Ids or lines are duplicated, or an initial level is missing or unknown.</exception>
    /// <exception cref="HardwareException">A line cannot be opened; lines opened before it are closed again.</exception>
    public GpioOutputLines(GpioController controller, IEnumerable<OutputDefinition> outputs, IReadOnlyDictionary<string, bool> initialHigh)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(outputs);
        ArgumentNullException.ThrowIfNull(initialHigh);
        _controller = controller;

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

        LineSet.OpenAll(controller, _outputs.Select(o =>
            new LineRequest(o.Value.Line, o.Key, PinMode.Output, o.Value.High ? PinValue.High : PinValue.Low)));
    }

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">The output is not one of these lines.</exception>
    public void Write(string outputId, bool high)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var output = OutputOf(outputId);
            if (output.High == high)
            {
                return;
            }

            _controller.Write(output.Line, high ? PinValue.High : PinValue.Low);
            // Cached only after the write succeeded, so a failed write is retried by the next reconcile.
            output.High = high;
        }
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
            LineSet.CloseAll(_controller, _outputs.Values.Select(o => o.Line));
        }
    }

    private OutputLine OutputOf(string outputId)
    {
        ArgumentNullException.ThrowIfNull(outputId);
        return _outputs.TryGetValue(outputId, out var output)
            ? output
            : throw new KeyNotFoundException($"Output '{outputId}' has no output line.");
    }

    private sealed class OutputLine(int line, bool high)
    {
        public int Line { get; } = line;

        /// <summary>The level last driven on the line.</summary>
        public bool High { get; set; } = high;
    }
}
