using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

// Input supervision faults come in raised/restored pairs, so the office (and a property test) can
// check that every fault raised is either restored or still open.

/// <summary>
/// A point changed too often within the chatter window (a fence sensor in wind, a loose terminal).
/// It is a fault of the input, not an alarm of the building: from now on its changes are withheld
/// from the state machine until it settles, unless it is a panic or fire input (<see cref="Suppressed"/> false).
/// </summary>
/// <param name="At">When the chatter was detected.</param>
/// <param name="PointId">The chattering point.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Zone">Its zone.</param>
/// <param name="Transitions">Filtered transitions counted within <paramref name="Window"/>.</param>
/// <param name="Window">The window they were counted in.</param>
/// <param name="Suppressed">True when the point's changes are withheld until it settles (a level that holds for <see cref="SupervisionPolicy.HoldTime"/> still goes on).</param>
public sealed record ChatterDetected(
    DateTimeOffset At, string PointId, PointKind Kind, string Zone, int Transitions, TimeSpan Window, bool Suppressed) : DomainEvent(At)
{
    public override string Type => "fault.chatter";
    public override Severity Severity => Severity.Alarm;
    public override string? Point => PointId;
}

/// <summary>
/// A chattering point stayed without a transition for the settle time. A suppressed point is
/// followed again from here on, and its settled state is applied at once.
/// </summary>
/// <param name="At">When the point counted as settled.</param>
/// <param name="PointId">The point.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Zone">Its zone.</param>
/// <param name="Active">Its settled state, now applied.</param>
/// <param name="Transitions">Filtered transitions from the start of the chatter to its end, withheld ones included.</param>
/// <param name="SettleTime">How long it was quiet.</param>
/// <param name="WasSuppressed">True when its changes had been withheld.</param>
public sealed record ChatterRestored(
    DateTimeOffset At, string PointId, PointKind Kind, string Zone, bool Active, int Transitions, TimeSpan SettleTime, bool WasSuppressed) : DomainEvent(At)
{
    public override string Type => "fault.chatter-restored";
    public override Severity Severity => Severity.Info;
    public override string? Point => PointId;
}

/// <summary>
/// A point stayed in one state longer than its configured stuck time: a contact that never opens
/// may be a failed sensor, or a magnet taped over it. Reported once until the point changes.
/// </summary>
/// <param name="At">When the stuck time ran out.</param>
/// <param name="PointId">The point.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Zone">Its zone.</param>
/// <param name="Active">The state it is stuck in.</param>
/// <param name="StuckAfter">The configured stuck time.</param>
public sealed record PointStuck(
    DateTimeOffset At, string PointId, PointKind Kind, string Zone, bool Active, TimeSpan StuckAfter) : DomainEvent(At)
{
    public override string Type => "fault.point-stuck";
    public override Severity Severity => Severity.Warning;
    public override string? Point => PointId;
}

/// <summary>A point reported stuck changed state again.</summary>
/// <param name="At">When it changed.</param>
/// <param name="PointId">The point.</param>
/// <param name="Kind">Its kind.</param>
/// <param name="Zone">Its zone.</param>
/// <param name="Active">Its new state.</param>
/// <param name="StuckFor">How long it had stayed in the old state.</param>
public sealed record PointStuckRestored(
    DateTimeOffset At, string PointId, PointKind Kind, string Zone, bool Active, TimeSpan StuckFor) : DomainEvent(At)
{
    public override string Type => "fault.point-stuck-restored";
    public override Severity Severity => Severity.Info;
    public override string? Point => PointId;
}
