namespace EdgeGuard.Core.Ports;

using EdgeGuard.Core.Lockdown;

/// <summary>Durable storage of the safety state. Save returns only once the state is on disk.</summary>
public interface ISafetyStateStore
{
    /// <summary>The last saved state, or <see cref="SafetyState.Initial"/> on first boot.</summary>
    SafetyState Load();

    /// <summary>Saves durably (fsync) before returning.</summary>
    void Save(SafetyState state);
}

/// <summary>A raw level change seen on an input line, timestamped in the callback.</summary>
/// <param name="PointId">The point wired to the line.</param>
/// <param name="High">Electrical level after the edge.</param>
/// <param name="Timestamp">Raw <see cref="TimeProvider.GetTimestamp"/> value taken in the callback.</param>
public readonly record struct RawEdge(string PointId, bool High, long Timestamp);

/// <summary>The input side of the hardware: configured lines of every point.</summary>
public interface IInputLines : IDisposable
{
    /// <summary>
    /// Reads the current electrical level of a point's line: the controller's settled boot read. A
    /// read that may be a glitch is retried by the implementation; one that throws is taken by the
    /// controller as the point's fail-safe level (<c>TamperedLoop.LevelOf</c>) with a
    /// <c>fault.hardware</c>, and the lines deliver the real level once they read it again.
    /// </summary>
    bool Read(string pointId);

    /// <summary>
    /// Reads a point's electrical level before the outputs are opened and before <see cref="Start"/>,
    /// once: the boot's early look at the fire inputs, so an egress lock is never opened locked
    /// during a fire. Leaves no trace: nothing is recorded as delivered or accepted, no fault is
    /// raised, so the settled read after it (<see cref="Read"/>) is the boot read as before.
    /// </summary>
    /// <returns>
    /// The level, or null when the line cannot be read yet or not reliably (an expander pin whose
    /// chip does not hold the gateway's configuration, as after a power-on: it is configured with
    /// its outputs; a loop whose samples do not agree). The caller decides the
    /// safe side for null. Null by default: an implementation that cannot vouch for an early read
    /// says so, and the controller then takes a fire input as active (egress released briefly).
    /// </returns>
    bool? ReadBeforeOutputs(string pointId) => null;

    /// <summary>
    /// The longest an edge of the point may reach the callback after the moment it is stamped with. An
    /// edge stamped before it is known which line changed (an I²C expander stamps when the host sees its
    /// interrupt line fall, then reads the chip over the bus) arrives that much after its stamp; the
    /// controller judges the point's debounce no later than this behind its timer, so such an edge, stamped
    /// before a deadline and still on its way when the deadline passes, is judged as the bounce it is.
    /// </summary>
    /// <returns>Zero by default: the edge is stamped in the callback that delivers it.</returns>
    TimeSpan MaxDeliveryDelay(string pointId) => TimeSpan.Zero;

    /// <summary>
    /// Starts edge delivery. The callback runs on the driver's event thread (or on the timer of a
    /// supervision pass that re-reads the lines and delivers a level whose edge was lost): it must never block
    /// on a disk or a busy lock, and never throw (a throwing callback stops the driver's event
    /// delivery). The controller's callback decides on the edge right there when it is idle.
    /// </summary>
    void Start(Action<RawEdge> onEdge);
}

/// <summary>The output side of the hardware: lock relays, sirens, strobes, lamps.</summary>
public interface IOutputLines : IDisposable
{
    /// <summary>
    /// Drives an output's line to an electrical level. A write of the level last driven may be
    /// skipped; a write that fails must leave the level last driven as it was (so it reads back
    /// unchanged and the controller drives it again). The controller relies on both: it skips the
    /// lines while the plan is unchanged and every line read back the plan.
    /// </summary>
    void Write(string outputId, bool high);

    /// <summary>Reads back the level last driven on an output's line (kept in memory, not read from the pin).</summary>
    bool ReadBack(string outputId);
}

/// <summary>
/// Where the level last asked of an output stands, with lines that apply some writes off the caller's
/// thread (<see cref="IQueuedOutputLines"/>).
/// </summary>
/// <param name="Pending">A write of that level is queued or under way: the line may not show it yet.</param>
/// <param name="Failure">
/// Why the last attempt at that level failed; kept while it is tried again, so a line that keeps failing
/// stays failed. Null when no attempt at it failed, or one succeeded since.
/// </param>
public readonly record struct OutputWriteState(bool Pending, string? Failure);

/// <summary>
/// Output lines some of whose writes are applied by a writer of their own (an I²C expander: a write on a
/// hung bus blocks for the adapter's timeout), so that <see cref="IOutputLines.Write"/> never blocks on them.
/// </summary>
/// <remarks>
/// For such a line <see cref="IOutputLines.Write"/> records the level wanted and returns; the writer
/// applies the latest level wanted (one asked for and replaced before the writer got to it is skipped),
/// and never throws a bus failure to the caller: it shows in <see cref="StateOf"/>.
/// <see cref="IOutputLines.ReadBack"/> is the level the writer achieved, read without waiting for it. A
/// write the lines skip (the level wanted is applied and did not fail) stays skipped: it is asked again
/// after a failure, which is how the caller retries. An attempt that reads back another level than the
/// one written is a failure too, so it is never skipped as applied.
/// </remarks>
public interface IQueuedOutputLines : IOutputLines
{
    /// <summary>Where the level last asked of <paramref name="outputId"/> stands; never blocks.</summary>
    OutputWriteState StateOf(string outputId);

    /// <summary>
    /// Sets what is called, on a writer's thread, after each attempt at a write (whatever its outcome):
    /// it must be quick and never throw. Set it before the first write.
    /// </summary>
    void OnApplied(Action applied);
}

/// <summary>Receives every domain event after the controller has applied it (log, journal, MQTT).</summary>
public interface IEventSink
{
    /// <summary>Called on the controller loop: must be quick and must not throw.</summary>
    void Publish(IReadOnlyList<DomainEvent> events);
}

/// <summary>Where the current site state can be read from another thread (retained MQTT state, status).</summary>
public interface ISiteStateSource
{
    /// <summary>The state after the controller's last decision; null until boot completes.</summary>
    SiteState? Current { get; }
}
