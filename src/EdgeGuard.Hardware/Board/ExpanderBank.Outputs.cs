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
    /// <exception cref="ArgumentException">An output has no initial level.</exception>
    public IQueuedOutputLines OpenOutputWriters(IReadOnlyDictionary<string, bool> initialHigh) => Open(initialHigh, writers: true);

    private BankOutputs Open(IReadOnlyDictionary<string, bool> initialHigh, bool writers)
    {
        ArgumentNullException.ThrowIfNull(initialHigh);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var events = new List<DomainEvent>();
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
                    chip.Faulted = true;
                    events.Add(new HardwareFault(_time.GetUtcNow(), chip.Options.Id,
                        $"did not answer at start-up; its outputs are not driven and its points read fail-safe until it answers, retried every {SupervisionInterval.TotalSeconds:0} s: {failure}"));
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
        // behind another chip's write. A hung bus holds every chip on it either way (docs/architecture.md).
        return new BankOutputs(this, new RoutedOutputLines(_chips.Select(c =>
        {
            IOutputLines lines = new ChipOutputs(c);
            return (writers ? new QueuedOutputLines(c.Options.Id, lines, c.OutputDefinitions) : lines, c.Outputs.Select(o => o.Id));
        })));
    }

    /// <summary>
    /// The bank's outputs. Disposing them disposes the bank: the chips' lines are shared with its inputs, and
    /// supervision (which also runs for a bank that only has outputs) must stop with them.
    /// </summary>
    private sealed class BankOutputs(ExpanderBank bank, RoutedOutputLines routed) : IQueuedOutputLines
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
        public void Dispose()
        {
            // The writers first: they finish the writes already asked for (QueuedOutputLines.DrainTimeout)
            // while the chips' lines are still open.
            routed.Dispose();
            bank.Dispose();
        }
    }

    /// <summary>
    /// One chip's outputs. Writes go to the chip once it is configured; until then they throw, so the controller
    /// reports the output and drives it again, and the level asked for is what the chip is configured with.
    /// </summary>
    private sealed class ChipOutputs(Chip chip) : IOutputLines
    {
        /// <inheritdoc/>
        public void Write(string outputId, bool high)
        {
            chip.Requested[IndexOf(outputId)] = high;
            (chip.Lines ?? throw new HardwareException($"{chip.Options.Id} has not answered since start-up: '{outputId}' is driven once it does."))
                .Write(outputId, high);
        }

        /// <inheritdoc/>
        /// <remarks>Before the chip is configured nothing was driven: the level the restored plan asked for at boot.</remarks>
        public bool ReadBack(string outputId) => chip.Lines is { } lines ? lines.ReadBack(outputId) : chip.Initial[IndexOf(outputId)];

        /// <inheritdoc/>
        public void Dispose() => chip.Lines?.Dispose();

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
