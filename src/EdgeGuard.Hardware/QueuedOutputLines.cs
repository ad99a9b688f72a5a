using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Hardware;

/// <summary>
/// Output lines whose writes a thread of their own applies, so whoever writes never waits for them: one
/// per MCP23017, whose writes on a hung I²C bus block for the kernel adapter's timeout (1 s per
/// transaction) and wait for the chip's lock behind supervision. <see cref="Write"/> records the level
/// wanted and returns; the writer applies the latest level wanted per output, egress releases first.
/// </summary>
/// <remarks>
/// <para>Last level wins: a level asked for and replaced before the writer got to it is never written.
/// A write under way when a new level is asked for finishes (nothing can interrupt an I²C transaction),
/// then the new level follows it.</para>
/// <para>What the writer achieved is what <see cref="ReadBack"/> and <see cref="StateOf"/> say, read
/// without waiting for the writer or the chip: the caller learns a failure from <see cref="StateOf"/>,
/// and when anything may have changed from the <see cref="OnApplied"/> callback. A failed attempt is not
/// repeated on its own (but once at a stop, see <see cref="Drain"/>); the caller asks again
/// (<see cref="Write"/> of the same level), which is how the controller's retry timer keeps its pace
/// (no busy loop against a chip that NACKs at once).</para>
/// <para>Does not own <c>inner</c>: disposing this lets the writer finish the writes already asked for,
/// and try once more each level whose last attempt failed, for at most the drain timeout, and leaves
/// <c>inner</c> open, because a writer still hung in a transaction past that timeout is still using it.
/// Whoever made <c>inner</c> disposes it once <see cref="IsWriting"/> is false (or leaves it to the
/// process's exit).</para>
/// </remarks>
public sealed class QueuedOutputLines : IQueuedOutputLines
{
    /// <summary>
    /// How long a stop waits for the writes already asked for, by default: for every writer of a bank
    /// together (<see cref="Drain"/>), not per writer. A stop right after a decision (a fire's release,
    /// then SIGTERM) must not leave its expander writes unmade until the next start, but a hung bus
    /// (1 s per transaction) must not hold the stop past systemd's patience (TimeoutStopSec=30s, the rest of the stop included) either.
    /// </summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    private readonly TimeSpan _drainTimeout;

    private readonly IOutputLines _inner;
    private readonly Output[] _outputs;
    private readonly Dictionary<string, Output> _byId = new(StringComparer.Ordinal);
    private readonly Thread _writer;

    // Monitor, not Lock: the writer waits on it for work. Held only to read or update the fields
    // below, never across a write to the inner lines.
    private readonly object _gate = new();
    private Action? _applied;
    private bool _disposed;

    /// <summary>Starts the writer for <paramref name="outputs"/>, all of which <paramref name="inner"/> drives.</summary>
    /// <param name="name">What the writer's thread is called (the chip, <c>mcp23017@0x20</c>).</param>
    /// <param name="inner">The lines the writer writes, already at their boot levels: nothing is written here.</param>
    /// <param name="outputs">The outputs, for their ids and which levels release an egress door.</param>
    /// <param name="drainTimeout">How long <see cref="Dispose"/> waits for the writer; <see cref="DrainTimeout"/> when null.</param>
    /// <exception cref="ArgumentException">An output id is duplicated.</exception>
    public QueuedOutputLines(string name, IOutputLines inner, IEnumerable<OutputDefinition> outputs, TimeSpan? drainTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(outputs);
        _inner = inner;
        _drainTimeout = drainTimeout ?? DrainTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThan(_drainTimeout, TimeSpan.Zero, nameof(drainTimeout));
        var ordered = new List<Output>();
        foreach (var output in outputs)
        {
            var line = new Output(output, inner.ReadBack(output.Id));
            if (!_byId.TryAdd(output.Id, line))
            {
                throw new ArgumentException($"Output '{output.Id}' is defined twice.", nameof(outputs));
            }

            ordered.Add(line);
        }

        // In the configuration's order: after egress releases, the writer takes pending outputs so.
        _outputs = [.. ordered];
        // Its own thread, not the thread pool: a write can block for seconds, and a pool thread held that
        // long starves everything else queued there on a two-core gateway.
        _writer = new Thread(Run) { IsBackground = true, Name = $"EdgeGuard {name} output writer" };
        _writer.Start();
    }

    /// <inheritdoc/>
    /// <remarks>Never blocks on the bus and never throws a bus failure (see <see cref="StateOf"/>).</remarks>
    /// <exception cref="KeyNotFoundException">The output is not one of these lines.</exception>
    public void Write(string outputId, bool high)
    {
        var output = OutputOf(outputId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (output.Wanted == high && (output.Pending || output.Failure is null))
            {
                return; // applied already, or on its way
            }

            if (output.Wanted != high)
            {
                output.Failure = null; // that failure was another level's
            }

            output.Wanted = high;
            output.Pending = true;
            Monitor.Pulse(_gate);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The level the writer last achieved (its read-back after each attempt); never waits for it.</remarks>
    /// <exception cref="KeyNotFoundException">The output is not one of these lines.</exception>
    public bool ReadBack(string outputId)
    {
        var output = OutputOf(outputId);
        lock (_gate)
        {
            return output.Achieved;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="KeyNotFoundException">The output is not one of these lines.</exception>
    public OutputWriteState StateOf(string outputId)
    {
        var output = OutputOf(outputId);
        lock (_gate)
        {
            return new OutputWriteState(output.Pending, output.Failure);
        }
    }

    /// <inheritdoc/>
    public void OnApplied(Action applied)
    {
        ArgumentNullException.ThrowIfNull(applied);
        Volatile.Write(ref _applied, applied);
    }

    /// <summary>
    /// The lines lost the levels the writer achieved (a reset chip not configured again): every output whose
    /// level was achieved is written again, so none reads back as achieved meanwhile (pending, then what the
    /// attempt finds) and its caller, told by <see cref="OnApplied"/>, learns the failure although it asked for
    /// nothing new. One pending or failed already is left to its caller's retry. Never waits for the writer.
    /// </summary>
    internal void RewriteAchieved()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return; // the stop's drain already tries once more every output that failed
            }

            foreach (var output in _outputs)
            {
                if (output.Wanted is not null && !output.Pending && output.Failure is null)
                {
                    output.Pending = true;
                }
            }

            Monitor.Pulse(_gate);
        }
    }

    /// <summary>
    /// True while the writer's thread runs: until it has made every write asked for before
    /// <see cref="Dispose"/> (or <see cref="Drain"/>), or for as long as one of them hangs on the bus.
    /// The inner lines must stay open until then.
    /// </summary>
    public bool IsWriting => _writer.IsAlive;

    /// <summary>
    /// Refuses further writes and lets the writer finish those already asked for (and try once more those
    /// whose last attempt failed), waiting for it at most the drain timeout given at construction. A write
    /// that hangs longer is left to end on its own; the inner lines are not disposed (see the remarks on
    /// the class).
    /// </summary>
    public void Dispose() => Drain([this], _drainTimeout);

    /// <summary>
    /// Stops several writers together: every one of them is told to refuse further writes and finish
    /// those asked for first (a failed one once more), then all are waited for against one deadline,
    /// <paramref name="timeout"/> from now. So a stop with four chips on a hung bus waits once, not four
    /// times one after another.
    /// </summary>
    /// <returns>True when every writer ended; false when one still hangs (see <see cref="IsWriting"/>).</returns>
    public static bool Drain(IReadOnlyCollection<QueuedOutputLines> writers, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(writers);
        foreach (var writer in writers)
        {
            writer.Stop();
        }

        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        var ended = true;
        foreach (var writer in writers)
        {
            if (Thread.CurrentThread == writer._writer)
            {
                ended = false; // an OnApplied callback that stops its own writer: it ends once this returns
                continue;
            }

            var left = Math.Max(0, deadline - Environment.TickCount64);
            ended &= writer._writer.Join(TimeSpan.FromMilliseconds(left));
        }

        return ended;
    }

    /// <summary>
    /// Refuses further writes and tells the writer to end once nothing is pending. A level whose last
    /// attempt failed is made pending again first, so the writer tries it once more (and so is one whose
    /// attempt is on the bus now and fails: see Run): its caller's retry
    /// (the controller's, 250 ms later) never comes after a stop, and a fire's release refused once by a
    /// glitch on the bus would otherwise stay unmade for as long as the gateway is down.
    /// </summary>
    private void Stop()
    {
        lock (_gate)
        {
            foreach (var output in _outputs)
            {
                if (output.Failure is not null && output.Wanted is not null)
                {
                    output.Pending = true;
                }
            }

            _disposed = true;
            Monitor.Pulse(_gate);
        }
    }

    private void Run()
    {
        while (Next() is { } next)
        {
            var (output, high, afterStop) = next;
            string? failure = null;
            try
            {
                _inner.Write(output.Definition.Id, high);
            }
#pragma warning disable CA1031 // The writer must outlive any failure of the chip it writes to.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex.Message;
            }

            bool? achieved = null;
            try
            {
                achieved = _inner.ReadBack(output.Definition.Id);
            }
#pragma warning disable CA1031 // As above: the level is then unknown, and kept as it was.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure ??= ex.Message;
            }

            // A write that "succeeded" but left another level (a latch that did not take it) is a
            // failure too: otherwise the same write is skipped as applied and never made again.
            if (achieved is { } level && level != high)
            {
                failure ??= $"read back {(level ? "high" : "low")} after writing {(high ? "high" : "low")}";
            }

            lock (_gate)
            {
                output.Achieved = achieved ?? output.Achieved;
                // A level asked for meanwhile stays pending: the writer takes it next (last level wins).
                if (output.Wanted == high)
                {
                    // An attempt under way when the stop came that then fails is tried once more,
                    // as Stop does for one that failed before it: no caller's retry comes after a
                    // stop, and the attempt on the bus may have been a fire's release.
                    output.Pending = failure is not null && _disposed && !afterStop;
                    output.Failure = failure;
                }
            }

            try
            {
                Volatile.Read(ref _applied)?.Invoke();
            }
#pragma warning disable CA1031 // A callback that throws must not stop the writer.
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    /// <summary>
    /// Waits for the next write to make: a pending egress release first (a door people must get out
    /// through), then the other pending outputs in order, and whether the stop came before it was
    /// taken. Null once disposed and nothing is pending.
    /// </summary>
    private (Output Output, bool High, bool AfterStop)? Next()
    {
        lock (_gate)
        {
            while (true)
            {
                Output? first = null;
                foreach (var output in _outputs)
                {
                    if (!output.Pending)
                    {
                        continue;
                    }

                    if (output.ReleasesEgress)
                    {
                        return (output, output.Wanted!.Value, _disposed);
                    }

                    first ??= output;
                }

                if (first is not null)
                {
                    return (first, first.Wanted!.Value, _disposed);
                }

                if (_disposed)
                {
                    return null;
                }

                Monitor.Wait(_gate);
            }
        }
    }

    private Output OutputOf(string outputId)
    {
        ArgumentNullException.ThrowIfNull(outputId);
        return _byId.TryGetValue(outputId, out var output)
            ? output
            : throw new KeyNotFoundException($"Output '{outputId}' has no output line.");
    }

    /// <summary>One output's levels; every field but the definition is guarded by the gate.</summary>
    private sealed class Output(OutputDefinition definition, bool achieved)
    {
        public OutputDefinition Definition { get; } = definition;

        /// <summary>The level last asked for; null until the first write (the boot level is the inner lines').</summary>
        public bool? Wanted { get; set; }

        /// <summary>A write of <see cref="Wanted"/> is queued or under way.</summary>
        public bool Pending { get; set; }

        /// <summary>Why the last attempt at <see cref="Wanted"/> failed; null when none did.</summary>
        public string? Failure { get; set; }

        /// <summary>The level the inner lines read back after the last attempt (at first, the boot level).</summary>
        public bool Achieved { get; set; } = achieved;

        /// <summary>Whether the level wanted unlocks an egress door.</summary>
        public bool ReleasesEgress => Wanted is { } high && Definition.ReleasesEgress(active: Definition.LevelFor(true) == high);
    }
}
