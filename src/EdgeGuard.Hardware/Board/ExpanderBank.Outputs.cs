using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Hardware.Board;

// Opening the bank's outputs: the chips are configured there, outputs at the restored plan's levels, before
// any input is read; afterwards each chip's writes go through its writer (or, for tools and tests, on the
// caller's thread). Kept apart from supervision (ExpanderBank.cs) and unanswered chips (Unanswered.cs).
public sealed partial class ExpanderBank
{
    /// <summary>
    /// Configures every chip, its outputs already at <paramref name="initialHigh"/>, and returns the outputs
    /// behind one <see cref="IOutputLines"/> whose writes run on the caller's thread (and so may block on the
    /// bus). Call once, before the inputs are read. A chip that does not answer is reported and left to
    /// supervision (see the remarks on the class); its outputs refuse writes until then.
    /// </summary>
    /// <remarks>The gateway uses <see cref="OpenOutputWriters"/>; this serves tools and tests that write in step.</remarks>
    /// <exception cref="ArgumentException">An output has no initial level.</exception>
    public IOutputLines OpenOutputs(IReadOnlyDictionary<string, bool> initialHigh) => Open(initialHigh, writers: false);

    /// <summary>
    /// As <see cref="OpenOutputs"/>, configuring every chip with its outputs at <paramref name="initialHigh"/>
    /// before returning, but every later write is applied by a writer per chip
    /// (<see cref="QueuedOutputLines"/>): <see cref="IOutputLines.Write"/> never blocks on the bus, and a
    /// failure shows in <see cref="IQueuedOutputLines.StateOf"/>. What the gateway's controller uses.
    /// </summary>
    /// <param name="initialHigh">Every output's boot level, by id.</param>
    /// <param name="drainTimeout">
    /// How long disposing the outputs waits for the writes already asked for, all chips together;
    /// <see cref="QueuedOutputLines.DrainTimeout"/> when null.
    /// </param>
    /// <exception cref="ArgumentException">An output has no initial level.</exception>
    public IQueuedOutputLines OpenOutputWriters(IReadOnlyDictionary<string, bool> initialHigh, TimeSpan? drainTimeout = null) =>
        Open(initialHigh, writers: true, drainTimeout ?? QueuedOutputLines.DrainTimeout);

    private BankOutputs Open(IReadOnlyDictionary<string, bool> initialHigh, bool writers, TimeSpan drainTimeout = default)
    {
        ArgumentNullException.ThrowIfNull(initialHigh);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var events = new List<DomainEvent>();
        // Held to the report, as a pass holds it: a pass started before (Start came first) must not restore a
        // fault raised here before it is reported.
        using var order = _supervising.EnterScope();
        lock (_gate)
        {
            foreach (var chip in _chips)
            {
                for (var i = 0; i < chip.Outputs.Count; i++)
                {
                    chip.Initial[i] = chip.Requested[i] = initialHigh.TryGetValue(chip.Outputs[i].Id, out var high) ? high
                        : throw new ArgumentException($"Output '{chip.Outputs[i].Id}' has no initial level.", nameof(initialHigh));
                }
            }

            foreach (var chip in _chips.Where(c => c.Lines is null))
            {
                if (Configure(chip) is { } failure)
                {
                    (chip.Faulted, chip.BlindReported) = (true, chip.Inputs.Count > 0);
                    events.Add(new HardwareFault(_time.GetUtcNow(), chip.Options.Id,
                        $"did not answer at start-up; its outputs are not driven and its points read fail-safe until it answers, retried every {SupervisionInterval.TotalSeconds:0} s: {failure}")
                    {
                        Points = InputPoints(chip),
                    });
                }
                else if (chip.Lines!.InterruptLineFault is { } line)
                {
                    // It answered and is configured; only the host's line was refused (another process holds
                    // it): reported now, so a walk test lists it with the boot faults, and restored by the
                    // supervision pass that gets the line.
                    RaiseLineFault(chip, line, events);
                }
            }

            _opened = true;
        }

        if (events.Count > 0)
        {
            _report(events);
        }

        // Here, not only in Start: a bank with outputs only (relays for locks) is never given edges to deliver,
        // and a chip of it that did not answer at boot must still be configured once it does.
        StartSupervision();
        // A writer per chip, not per bus: a chip's lock (held by its supervision sweep, interrupt service or
        // re-configure) then holds only that chip's writes, and an egress release on one chip never waits
        // behind another chip's write, nor its supervision (ChipOutputs never takes the bank's lock). A hung
        // bus holds every chip on it either way (docs/architecture.md).
        // A chip with inputs only gets none: it would be a thread with nothing to write.
        var parts = new List<(IOutputLines, IEnumerable<string>)>();
        foreach (var chip in _chips.Where(c => c.Outputs.Count > 0))
        {
            IOutputLines lines = new ChipOutputs(chip);
            if (writers)
            {
                var writer = new QueuedOutputLines(chip.Options.Id, lines, chip.OutputDefinitions, drainTimeout);
                lock (_gate)
                {
                    chip.Writer = writer;
                }

                lines = writer;
            }

            parts.Add((lines, chip.Outputs.Select(o => o.Id)));
        }

        return new BankOutputs(this, new RoutedOutputLines(parts), drainTimeout);
    }

    /// <summary>
    /// The outputs' stop: supervision first (it sweeps the chips' lines, which are about to close), then
    /// every writer drained against one deadline, then the bank disposed, which closes each chip whose
    /// writer ended. A chip whose writer still hangs on the bus is left open to the process's exit.
    /// </summary>
    private void CloseOutputs(TimeSpan drainTimeout)
    {
        StopSupervision();
        List<QueuedOutputLines> writers;
        lock (_gate)
        {
            writers = [.. _chips.Select(c => c.Writer).OfType<QueuedOutputLines>()];
        }

        QueuedOutputLines.Drain(writers, drainTimeout);
        Dispose();
    }

    /// <summary>
    /// The bank's outputs. Disposing them disposes the bank: the chips' lines are shared with its inputs, and
    /// supervision (which also runs for a bank that only has outputs) must stop with them.
    /// </summary>
    private sealed class BankOutputs(ExpanderBank bank, RoutedOutputLines routed, TimeSpan drainTimeout) : IQueuedOutputLines
    {
        /// <inheritdoc/>
        public void Write(string outputId, bool high) => routed.Write(outputId, high);

        /// <inheritdoc/>
        public bool ReadBack(string outputId) => routed.ReadBack(outputId);

        /// <inheritdoc/>
        public OutputWriteState StateOf(string outputId) => routed.StateOf(outputId);

        /// <inheritdoc/>
        public void OnApplied(Action applied) => routed.OnApplied(applied);

        /// <inheritdoc/>
        /// <remarks>
        /// The writers finish the writes already asked for while the chips' lines are still open. The
        /// routed parts are not disposed one by one: they own nothing (<see cref="ChipOutputs.Dispose"/>),
        /// and each writer's own dispose would wait for a hung one again, past the shared deadline.
        /// </remarks>
        public void Dispose() => bank.CloseOutputs(drainTimeout);
    }

    /// <summary>
    /// One chip's outputs. Writes go to the chip once it is configured; until then, and while a chip found reset
    /// is not configured again, they throw, so the controller reports the output and drives it again, and the
    /// level asked for is what the chip is configured with.
    /// </summary>
    private sealed class ChipOutputs(Chip chip) : IOutputLines
    {
        /// <inheritdoc/>
        public void Write(string outputId, bool high)
        {
            var index = IndexOf(outputId);
            // Under the chip's own lock, not the bank's: a late configuration (supervision's thread) reads it
            // there, and the bank's lock is held across supervision's I/O on every chip, so a write that took
            // it would wait for a hung chip it has nothing to do with (an egress release behind a dead one).
            lock (chip.RequestedGate)
            {
                chip.Requested[index] = high;
            }

            var lines = chip.Lines ?? throw new HardwareException($"{chip.Options.Id} has not answered since start-up: '{outputId}' is driven once it does.");
            // A reset chip's pins are inputs until it is configured again: a write then set only the latch, and
            // read back as done (a fire's egress release shown released, the strike unpowered).
            if (chip.ResetFound is { } reset)
            {
                throw new HardwareException($"{chip.Options.Id} is not configured again yet after a reset ({reset}): '{outputId}' is driven once it is.");
            }

            lines.Write(outputId, high);
        }

        /// <inheritdoc/>
        /// <remarks>
        /// Before the chip is configured nothing was driven: the level the restored plan asked for at boot. A chip
        /// found reset and not configured again drives nothing: its pins are inputs, the relay de-energised (the
        /// level that does not energise it), whatever its latch says.
        /// </remarks>
        public bool ReadBack(string outputId)
        {
            var index = IndexOf(outputId);
            return chip.Lines is not { } lines ? chip.Initial[index]
                : chip.ResetFound is not null ? !chip.OutputDefinitions[index].ActiveHigh
                : lines.ReadBack(outputId);
        }

        /// <inheritdoc/>
        /// <remarks>
        /// Nothing: the chip's lines are shared with the bank's inputs and supervision, and the bank closes
        /// them (<see cref="CloseOutputs"/>, <see cref="ExpanderBank.Dispose"/>) once no writer uses them.
        /// </remarks>
        public void Dispose()
        {
        }

        private int IndexOf(string outputId)
        {
            ArgumentNullException.ThrowIfNull(outputId);
            for (var i = 0; i < chip.Outputs.Count; i++)
            {
                if (chip.Outputs[i].Id == outputId)
                {
                    return i;
                }
            }

            throw new KeyNotFoundException($"Output '{outputId}' is not on {chip.Options.Id}.");
        }
    }
}
