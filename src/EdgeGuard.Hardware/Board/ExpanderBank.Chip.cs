using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hardware.Drivers.Mcp23017;

namespace EdgeGuard.Hardware.Board;

// What the bank knows about one expander: its configuration, its pins, and the state supervision keeps for it.
// Kept apart from the supervision itself in ExpanderBank.cs.
public sealed partial class ExpanderBank
{
    /// <summary>Restores a chip's standing fault, so a fault with a new reason can be raised. Under the lock.</summary>
    private void RestoreIfFaulted(Chip chip, List<DomainEvent> events)
    {
        if (chip.Faulted)
        {
            events.Add(new HardwareFaultRestored(_time.GetUtcNow(), chip.Options.Id));
            (chip.Faulted, chip.LineFaultReported, chip.SilenceReported, chip.BlindReported) = (false, null, false, false);
        }
    }

    /// <summary>
    /// Raises the fault of a chip that answers but whose host interrupt line is refused (its request, or its edge
    /// callback): polled meanwhile, restored by the supervision pass that gets the line. Under the lock.
    /// </summary>
    private void RaiseLineFault(Chip chip, string line, List<DomainEvent> events)
    {
        (chip.Faulted, chip.LineFaultReported) = (true, line);
        events.Add(new HardwareFault(_time.GetUtcNow(), chip.Options.Id, line));
    }

    // Every input point on the chip: what a fault of a chip that does not answer leaves unread (HardwareFault.Points).
    private static string[] InputPoints(Chip chip) => [.. chip.Inputs.Select(i => i.PointId).Order(StringComparer.Ordinal)];

    /// <inheritdoc/>
    /// <returns>
    /// <see cref="Mcp23017Lines.MaxEdgeDelivery"/>: a chip's edge is stamped when the host sees its interrupt
    /// line fall, before the bus read that finds the pin, whether or not the chip is open yet.
    /// </returns>
    /// <exception cref="KeyNotFoundException">The point is not on an expander.</exception>
    public TimeSpan MaxDeliveryDelay(string pointId)
    {
        ArgumentNullException.ThrowIfNull(pointId);
        return _chipOfPoint.ContainsKey(pointId) ? Mcp23017Lines.MaxEdgeDelivery : throw new KeyNotFoundException($"Point '{pointId}' is not on an expander.");
    }

    private sealed class Chip(ExpanderOptions options, IBusDevices buses)
    {
        public ExpanderOptions Options { get; } = options;

        public System.Device.I2c.I2cDevice Device { get; } = buses.OpenExpander(options);

        public Mcp23017 Driver => field ??= new Mcp23017(Device);

        public List<ExpanderInput> Inputs { get; } = [];

        public List<(string Id, int Pin)> Outputs { get; } = [];

        /// <summary>The outputs as configured, in the order of <see cref="Outputs"/> (their writer needs them).</summary>
        public List<Core.Site.OutputDefinition> OutputDefinitions { get; } = [];

        /// <summary>
        /// Per output (as <see cref="Outputs"/> orders them): the level last asked for, used when the chip is
        /// configured late. Under <see cref="RequestedGate"/>.
        /// </summary>
        public bool[] Requested => field ??= new bool[Outputs.Count];

        /// <summary>
        /// Guards <see cref="Requested"/> alone: its writer's thread sets it, supervision reads it to configure
        /// the chip late. Never held across I/O, so taking it never waits for a bus.
        /// </summary>
        public Lock RequestedGate { get; } = new();

        /// <summary>
        /// Supervision passes in a row that failed since the chip last answered a whole pass; its points go
        /// fail-safe at <see cref="FailedPassesBeforeFailSafe"/>.
        /// </summary>
        public int FailedPasses { get; set; }

        /// <summary>
        /// Reads in a row that failed at the boot read (<see cref="Read"/>); reset by one that succeeds. Only
        /// the controller's boot thread reads, one point after another, so no lock.
        /// </summary>
        public int FailedBootReads { get; set; }

        /// <summary>The chip's successful input reads when the last pass failed (<see cref="Mcp23017Lines.ReadsRecorded"/>).</summary>
        public long ReadsAtLastFailedPass { get; set; }

        /// <summary>The standing fault was raised for a pass the chip did not answer (not for its line or refused edges).</summary>
        public bool SilenceReported { get; set; }

        /// <summary>
        /// The standing fault names the chip's inputs unread (<c>HardwareFault.Points</c>): raised when they went
        /// fail-safe. Under the bank's gate.
        /// </summary>
        public bool BlindReported { get; set; }

        /// <summary>Per output: the level the restored plan asked for at start-up.</summary>
        public bool[] Initial => field ??= new bool[Outputs.Count];

        /// <summary>Null until the chip answered its configuration. Read without the bank's lock (output writes).</summary>
        public Mcp23017Lines? Lines
        {
            get => Volatile.Read(ref field);
            set => Volatile.Write(ref field, value);
        }

        /// <summary>
        /// The boot's look at the chip before the outputs opened, taken for its first fire input
        /// asked for and answering the others; null until then. Only the boot's thread, before
        /// <see cref="OpenOutputs"/>, sets and reads it (supervision has not started).
        /// </summary>
        public EarlyLook? EarlyLook { get; set; }

        public bool Faulted { get; set; }

        /// <summary>
        /// The <see cref="Mcp23017Lines.InterruptLineFault"/> the standing fault reported, or null: a different
        /// one is restored and raised anew. Under the lock.
        /// </summary>
        public string? LineFaultReported { get; set; }

        /// <summary>The writer of its outputs, when they are queued; its lines stay open while it writes. Under the lock.</summary>
        public QueuedOutputLines? Writer { get; set; }

        /// <summary>Its lines and device are closed. Under the lock.</summary>
        public bool Closed { get; set; }

        /// <summary>Fail-safe levels given for its points while it could not be configured, by point id.</summary>
        public Dictionary<string, bool> Assumed { get; } = new(StringComparer.Ordinal);

        /// <summary>Its points were given fail-safe levels: deliver the real ones once it answers.</summary>
        public bool Resync { get; set; }

        public long CallbackFailuresSeen { get; set; }

        /// <summary><see cref="Mcp23017Lines.DeliveryFailures"/> as the last pass saw it.</summary>
        public long DeliveryFailuresSeen { get; set; }

        /// <summary><see cref="Mcp23017Lines.LostDeliveries"/> as the last pass saw it.</summary>
        public long LostDeliveriesSeen { get; set; }

        /// <summary>
        /// Why the chip must be configured again (it was found reset); null once that succeeded. Read without
        /// the bank's lock (output writes and read-backs): its pins are inputs meanwhile, driving nothing.
        /// </summary>
        public string? ResetFound
        {
            get => Volatile.Read(ref field);
            set => Volatile.Write(ref field, value);
        }
    }
}
