using EdgeGuard.Core.Ports;

namespace EdgeGuard.Hardware.Board;

/// <summary>
/// Several sets of input lines (native GPIO, expanders, supervised loops) behind the one
/// <see cref="IInputLines"/> the controller knows, routing each call by point id.
/// </summary>
/// <remarks>Owns the parts: disposing this disposes each of them once.</remarks>
public sealed class RoutedInputLines : IInputLines
{
    private readonly IInputLines[] _parts;
    private readonly Dictionary<string, IInputLines> _byPoint = new(StringComparer.Ordinal);

    /// <summary>Routes each point id to the part that holds it.</summary>
    /// <exception cref="ArgumentException">A point id is claimed by two parts.</exception>
    public RoutedInputLines(IEnumerable<(IInputLines Lines, IEnumerable<string> PointIds)> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = new List<IInputLines>();
        foreach (var (lines, pointIds) in parts)
        {
            list.Add(lines);
            foreach (var id in pointIds)
            {
                if (!_byPoint.TryAdd(id, lines))
                {
                    throw new ArgumentException($"Point '{id}' is wired to two sets of lines.", nameof(parts));
                }
            }
        }

        _parts = [.. list];
    }

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">No part holds the point.</exception>
    public bool Read(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        return _byPoint.TryGetValue(pointId, out var lines)
            ? lines.Read(pointId)
            : throw new KeyNotFoundException($"Point '{pointId}' has no input line.");
    }

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">No part holds the point.</exception>
    public bool? ReadBeforeOutputs(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        return _byPoint.TryGetValue(pointId, out var lines)
            ? lines.ReadBeforeOutputs(pointId)
            : throw new KeyNotFoundException($"Point '{pointId}' has no input line.");
    }

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">No part holds the point.</exception>
    public TimeSpan MaxDeliveryDelay(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        return _byPoint.TryGetValue(pointId, out var lines)
            ? lines.MaxDeliveryDelay(pointId)
            : throw new KeyNotFoundException($"Point '{pointId}' has no input line.");
    }

    /// <inheritdoc/>
    public void Start(Action<RawEdge> onEdge)
    {
        ArgumentNullException.ThrowIfNull(onEdge);
        foreach (var part in _parts)
        {
            part.Start(onEdge);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => LineSet.DisposeAll(_parts);
}

/// <summary>Several sets of output lines behind one <see cref="IOutputLines"/>, routing each call by output id.</summary>
/// <remarks>
/// Owns the parts: disposing this disposes each of them once. Queued parts (<see cref="IQueuedOutputLines"/>,
/// an expander's writer) stay so behind it: <see cref="StateOf"/> asks them, and is the default state (applied,
/// no failure) for a part whose writes are made in <see cref="Write"/> itself.
/// </remarks>
public sealed class RoutedOutputLines : IQueuedOutputLines
{
    private readonly IOutputLines[] _parts;
    private readonly Dictionary<string, IOutputLines> _byOutput = new(StringComparer.Ordinal);

    /// <summary>Routes each output id to the part that drives it.</summary>
    /// <exception cref="ArgumentException">An output id is claimed by two parts.</exception>
    public RoutedOutputLines(IEnumerable<(IOutputLines Lines, IEnumerable<string> OutputIds)> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = new List<IOutputLines>();
        foreach (var (lines, outputIds) in parts)
        {
            list.Add(lines);
            foreach (var id in outputIds)
            {
                if (!_byOutput.TryAdd(id, lines))
                {
                    throw new ArgumentException($"Output '{id}' is wired to two sets of lines.", nameof(parts));
                }
            }
        }

        _parts = [.. list];
    }

    /// <inheritdoc/>
    public void Write(string outputId, bool high) => PartOf(outputId).Write(outputId, high);

    /// <inheritdoc/>
    public bool ReadBack(string outputId) => PartOf(outputId).ReadBack(outputId);

    /// <inheritdoc/>
    public OutputWriteState StateOf(string outputId) =>
        PartOf(outputId) is IQueuedOutputLines queued ? queued.StateOf(outputId) : default;

    /// <inheritdoc/>
    public void OnApplied(Action applied)
    {
        ArgumentNullException.ThrowIfNull(applied);
        foreach (var part in _parts.OfType<IQueuedOutputLines>())
        {
            part.OnApplied(applied);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => LineSet.DisposeAll(_parts);

    private IOutputLines PartOf(string outputId)
    {
        ArgumentNullException.ThrowIfNull(outputId);
        return _byOutput.TryGetValue(outputId, out var lines)
            ? lines
            : throw new KeyNotFoundException($"Output '{outputId}' has no output line.");
    }
}
