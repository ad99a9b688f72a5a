using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

// End-of-line loop and I/O-board faults come in raised/restored pairs like the other supervision
// faults, so the office can check that every fault raised is either restored or still open.

/// <summary>What is wrong with an end-of-line supervised loop's wiring.</summary>
public enum LoopTamper
{
    /// <summary>The loop resistance is far above any legal value: a cut cable or a removed resistor.</summary>
    Open,
    /// <summary>The loop resistance is far below any legal value: the pair has been bridged.</summary>
    Short,
}

/// <summary>
/// What a point reads as while its loop is tampered. A cut or bridged cable means the sensor can no
/// longer be trusted, so the point takes the state that keeps the building safe: a door, fence, panic
/// or tamper point reads <b>active</b> (a cut perimeter loop is a breach; a shorted one may hide one),
/// and so does a fire input (life safety first, as with the normally-closed native fire wiring), while a
/// keyswitch or request-to-exit reads <b>inactive</b>: cutting or bridging a cable must never clear a
/// lockdown, reset a fire release or invent an exit press; so does a lock monitor (not engaged): a cut
/// must never make a lock that does not hold look held. An egress door whose every exit button
/// cannot be read is released all the same, by <see cref="UnreadableExits"/>: a person inside must
/// still get out (NFPA 101 7.2.1.6.2: losing the exit sensor unlocks the door).
/// </summary>
public static class TamperedLoop
{
    /// <summary>The logical state a point of <paramref name="kind"/> takes while its loop is tampered.</summary>
    public static bool ReadsActive(PointKind kind) => kind is not (PointKind.Keyswitch or PointKind.RequestToExit or PointKind.LockMonitor);

    /// <summary>
    /// The electrical level <paramref name="point"/> reads at while it cannot be trusted: its loop
    /// tampered, or its chip (expander, ADC) not answering.
    /// </summary>
    public static bool LevelOf(PointDefinition point) => point.LevelFor(ReadsActive(point.Kind));

    /// <summary>
    /// Whether the first real reading of a point of <paramref name="kind"/> after it read its
    /// untrusted level is recorded without an edge. True for the kinds that read inactive meanwhile (a
    /// keyswitch, a request-to-exit): held throughout, delivered as an edge it would be a fresh turn
    /// (clearing a lockdown) or an exit press (unlocking a door); only its release and a new turn count.
    /// Not a lock monitor, which reads inactive too: it operates nothing, and its real level held back
    /// would leave a lock that holds reported as not engaged.
    /// </summary>
    public static bool QuietWhenTrustedAgain(PointKind kind) => kind is PointKind.Keyswitch or PointKind.RequestToExit;
}

/// <summary>
/// An end-of-line supervised loop reads open or short: its wiring was cut or bridged. Raised once per
/// condition; the point itself reads as <see cref="TamperedLoop.ReadsActive"/> says meanwhile.
/// </summary>
/// <param name="At">When the reading was classified.</param>
/// <param name="PointId">The supervised point.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Zone">Its zone.</param>
/// <param name="Condition">Cut (open) or bridged (short).</param>
/// <param name="Reading">The ADC reading (0..1023) that was classified.</param>
public sealed record EolTamperDetected(
    DateTimeOffset At, string PointId, PointKind Kind, string Zone, LoopTamper Condition, int Reading) : DomainEvent(At)
{
    public override string Type => "fault.eol-tamper";
    public override Severity Severity => Severity.Alarm;
    public override string? Point => PointId;
}

/// <summary>The loop reads a legal value again (normal or alarm): the tamper raised for <see cref="Condition"/> is over.</summary>
/// <param name="At">When the legal reading was classified.</param>
/// <param name="PointId">The supervised point.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Zone">Its zone.</param>
/// <param name="Condition">The condition that ended.</param>
/// <param name="Reading">The legal reading.</param>
public sealed record EolTamperRestored(
    DateTimeOffset At, string PointId, PointKind Kind, string Zone, LoopTamper Condition, int Reading) : DomainEvent(At)
{
    public override string Type => "fault.eol-tamper-restored";
    public override Severity Severity => Severity.Info;
    public override string? Point => PointId;
}

/// <summary>
/// An I/O board chip (an MCP23017 expander or an MCP3008 ADC) failed to answer: the points on it may
/// not be seen until it recovers. Also a native GPIO input line that lost edges (or could not be read):
/// its level was re-read and delivered, but the gateway held a wrong level meanwhile. Critical because
/// the gateway is, or was, partly blind.
/// </summary>
/// <param name="At">When the failure was noticed.</param>
/// <param name="Device">The chip as configuration names it, e.g. <c>mcp23017@0x20</c>; <c>gpio17</c> for native line 17.</param>
/// <param name="Reason">What failed (for a native line: the point, and what was put right).</param>
public sealed record HardwareFault(DateTimeOffset At, string Device, string Reason) : DomainEvent(At)
{
    public override string Type => "fault.hardware";
    public override Severity Severity => Severity.Critical;

    /// <summary>
    /// The input points the fault leaves unread until <see cref="HardwareFaultRestored"/>: every input
    /// of a chip that does not answer (they read fail-safe meanwhile, <see cref="TamperedLoop"/>), a
    /// native line whose boot read failed. Empty when every input is still read (an output refused, an
    /// edge lost and put right). An egress door none of whose exit buttons can be read is released
    /// (<see cref="UnreadableExits"/>).
    /// </summary>
    public IReadOnlyList<string> Points { get; init; } = [];
}

/// <summary>The chip answers again (a native line: a re-read found it clean); its points are followed as before.</summary>
/// <param name="At">When the chip answered again.</param>
/// <param name="Device">The chip as configuration names it.</param>
public sealed record HardwareFaultRestored(DateTimeOffset At, string Device) : DomainEvent(At)
{
    public override string Type => "fault.hardware-restored";
    public override Severity Severity => Severity.Info;
}
