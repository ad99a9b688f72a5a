using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>How a lock disagrees with what it should do.</summary>
public enum LockCondition
{
    /// <summary>It should hold the door (closed, locked) but its monitor says it does not: a maglock not bonded, a strike's keeper not locked.</summary>
    NotEngaged,
    /// <summary>It should be released (a fire, an exit, the mode) but its monitor says it still holds the door.</summary>
    NotReleased,
}

/// <summary>
/// A door's lock status contact (<see cref="DoorDefinition.LockMonitor"/>) judged against what the lock
/// should do (REFERENCE: lock relays report their actual state where wired). The relay's own read-back
/// says only what the gateway drove; the monitor says what the door does: a maglock whose armature is
/// misaligned or a door left ajar against it holds nothing in a lockdown, and an egress lock stuck
/// engaged in a fire traps people. A disagreement that lasts <see cref="Grace"/> (a maglock bonds
/// within a second; a door swinging shut takes a moment) raises <c>door.lock-fault</c>, and its end
/// the restore. A door open is not expected to be engaged. A bypassed monitor is not judged. Part of
/// <see cref="SiteDecider"/>: pure, judged after every input.
/// </summary>
public static class LockMonitoring
{
    /// <summary>How long a lock may disagree with its plan before it is reported.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(3);

    /// <summary>
    /// How long a lock with a hardwired exit may hold nothing while the gateway wants it locked: its
    /// push-to-exit cuts the lock's power itself, for at least 30 s (NFPA 101), unseen by the gateway.
    /// </summary>
    public static readonly TimeSpan HardwiredExitGrace = TimeSpan.FromSeconds(35);

    /// <summary>Judges every monitored door; raises and restores <c>door.lock-fault</c> as their locks agree or not.</summary>
    public static SiteState Judge(SiteDefinition site, SiteState state, Moment now, List<DomainEvent> events)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(events);
        var doors = site.DoorList;
        for (var i = 0; i < doors.Count; i++)
        {
            if (doors[i] is not { LockMonitor: { } monitor } door)
            {
                continue; // most doors: nothing to judge, on the path of every decision
            }

            var current = DoorSupervision.Of(state, door.Id);
            var next = Judged(site, state, door, monitor, current, now, events);
            if (next != current)
            {
                state = state with { Doors = state.Doors.SetItem(door.Id, next) };
            }
        }

        return state;
    }

    /// <summary>When a disagreement not yet reported is due to be, or null.</summary>
    public static TimeSpan? Deadline(DoorState door)
    {
        ArgumentNullException.ThrowIfNull(door);
        return door is { LockMismatch: not null, LockFault: null } ? door.LockMismatchDue : null;
    }

    private static DoorState Judged(SiteDefinition site, SiteState state, DoorDefinition door, string monitor, DoorState current, Moment now, List<DomainEvent> events)
    {
        if (state.SuppressedPoints.Contains(monitor) || (door.ContactPoint is { } contact && state.SuppressedPoints.Contains(contact)))
        {
            // A chattering monitor or contact is frozen at its last change, not known: nothing is
            // raised or restored on it, and a disagreement counts afresh once it settles.
            return current with { LockMismatch = null, LockMismatchDue = null };
        }

        var lockOutput = site.Output(door.LockId);
        var mismatch = Mismatch(site, state, door, monitor, lockOutput);
        var next = current.LockMismatch == mismatch
            ? current
            : current with { LockMismatch = mismatch, LockMismatchDue = mismatch is { } m ? now.Monotonic + GraceOf(m, lockOutput) : null };
        var critical = mismatch is { } c && Critical(c, lockOutput, DoorSupervision.KeptLocked(site, state, lockOutput));
        // Restored when it ends, and raised anew when it becomes critical (an alarm raised overnight
        // for a lock not holding, then a lockdown): the office must hear the new weight.
        if (next.LockFault is { } raised && (raised != mismatch || (critical && !next.LockFaultCritical)))
        {
            events.Add(new DoorLockFaultRestored(now.Utc, door.Id, door.LockId, monitor, raised));
            next = next with { LockFault = null, LockFaultCritical = false };
        }

        if (mismatch is { } condition && next.LockFault is null && now.Monotonic >= next.LockMismatchDue)
        {
            events.Add(new DoorLockFault(now.Utc, door.Id, door.LockId, monitor, condition, state.Mode, lockOutput.Egress) { Critical = critical });
            next = next with { LockFault = condition, LockFaultCritical = critical };
        }

        return next;
    }

    private static TimeSpan GraceOf(LockCondition condition, OutputDefinition lockOutput) =>
        condition == LockCondition.NotEngaged && lockOutput.HardwiredExit ? HardwiredExitGrace : Grace;

    // People may be trapped behind an egress lock that will not let go; a lock a lockdown or shelter
    // (running or suspended) keeps locked that does not hold leaves the door open to the threat.
    private static bool Critical(LockCondition condition, OutputDefinition lockOutput, bool keptLocked) =>
        condition == LockCondition.NotReleased ? lockOutput.Egress : keptLocked;

    private static LockCondition? Mismatch(SiteDefinition site, SiteState state, DoorDefinition door, string monitor, OutputDefinition lockOutput)
    {
        if (state.Bypasses.ContainsKey(monitor))
        {
            return null; // out of service: a broken monitor must not alarm for ever
        }

        var locked = OutputPlan.LockedByPolicy(site, state, lockOutput) && !DoorSupervision.ReleasesLock(site, state, lockOutput);
        var engaged = state.IsActive(monitor);
        if (!locked)
        {
            return engaged ? LockCondition.NotReleased : null;
        }

        var closed = door.ContactPoint is not { } contact || !state.IsActive(contact);
        return closed && !engaged ? LockCondition.NotEngaged : null;
    }
}

/// <summary>
/// A door's lock disagrees with what it should do, for <see cref="LockMonitoring.Grace"/>: not holding
/// the closed door it should hold, or holding a door it should release. Restored when it agrees again.
/// </summary>
/// <param name="At">When the grace ran out.</param>
/// <param name="DoorId">The door.</param>
/// <param name="LockId">Its lock output.</param>
/// <param name="MonitorPoint">The lock's status contact.</param>
/// <param name="Condition">How it disagrees.</param>
/// <param name="Mode">The site's mode then.</param>
/// <param name="Egress">Whether the lock is on an escape route.</param>
public sealed record DoorLockFault(
    DateTimeOffset At, string DoorId, string LockId, string MonitorPoint, LockCondition Condition, SiteMode Mode, bool Egress) : DomainEvent(At)
{
    public override string Type => "door.lock-fault";
    public override Severity Severity => Critical ? Severity.Critical : Severity.Alarm;
    public override string? Point => MonitorPoint;

    /// <summary>
    /// Critical: an egress lock that will not let go (people may be trapped), or a lock a lockdown or
    /// shelter, running or suspended, keeps locked that does not hold; an alarm otherwise.
    /// </summary>
    public bool Critical { get; init; }
}

/// <summary>The lock agrees with what it should do again (or its monitor was bypassed): the <see cref="DoorLockFault"/> of <see cref="Condition"/> is over.</summary>
/// <param name="At">When it agreed again.</param>
/// <param name="DoorId">The door.</param>
/// <param name="LockId">Its lock output.</param>
/// <param name="MonitorPoint">The lock's status contact.</param>
/// <param name="Condition">The condition that ended.</param>
public sealed record DoorLockFaultRestored(
    DateTimeOffset At, string DoorId, string LockId, string MonitorPoint, LockCondition Condition) : DomainEvent(At)
{
    public override string Type => "door.lock-fault-restored";
    public override Severity Severity => Severity.Info;
    public override string? Point => MonitorPoint;
}
