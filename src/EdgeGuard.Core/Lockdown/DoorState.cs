namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// What the controller tracks per door. Times are monotonic deadlines, like the siren's.
/// </summary>
/// <param name="ReleasedUntil">A request to exit released the lock until then.</param>
/// <param name="DelayedEgressUntil">Delayed egress is counting down to this moment.</param>
/// <param name="EgressLatched">Delayed egress released the door; it stays released until relocked.</param>
/// <param name="OpenSince">When the contact last opened; null while closed.</param>
/// <param name="Forced">A forced-door alarm is active (until the door closes).</param>
/// <param name="HeldOpen">A held-open alarm is active (until the door closes).</param>
public sealed record DoorState(
    TimeSpan? ReleasedUntil = null,
    TimeSpan? DelayedEgressUntil = null,
    bool EgressLatched = false,
    TimeSpan? OpenSince = null,
    bool Forced = false,
    bool HeldOpen = false)
{
    /// <summary>A closed door with nothing pending.</summary>
    public static DoorState Quiet { get; } = new();

    /// <summary>Whether something holds the lock released right now.</summary>
    public bool Released => ReleasedUntil is not null || EgressLatched;

    /// <summary>How the lock monitor disagrees with what the lock should do now; null when it agrees.</summary>
    public LockCondition? LockMismatch { get; init; }

    /// <summary>When <see cref="LockMismatch"/>, lasting, is reported (monotonic): it began plus its grace.</summary>
    public TimeSpan? LockMismatchDue { get; init; }

    /// <summary>The <c>door.lock-fault</c> raised and not yet restored, if any. Not persisted: judged afresh after a restart.</summary>
    public LockCondition? LockFault { get; init; }

    /// <summary>Whether the raised <see cref="LockFault"/> was critical: one raised as an alarm is raised anew when it becomes critical.</summary>
    public bool LockFaultCritical { get; init; }

    /// <summary>The office's <c>open-door</c> in force on this door, if any (<see cref="OfficeDoorAccess"/>). Not persisted.</summary>
    public DoorAccess? Access { get; init; }
}

/// <summary>An office <c>open-door</c> holding a door's lock released.</summary>
/// <param name="Until">When it ends (monotonic).</param>
/// <param name="Under">
/// The latest alert when it was granted (<see cref="SiteState.ApprovalsValidFrom"/>), when a
/// lockdown or shelter kept the door locked; null when nothing did. A grant is honoured against a
/// lockdown or shelter only while no alert came since: a grant given before a panic press must not
/// hold a door open against it.
/// </param>
/// <param name="Opened">The door opened during the grant: when it closes again the lock locks at once.</param>
public sealed record DoorAccess(TimeSpan Until, Moment? Under, bool Opened = false);

/// <summary>How a door's lock is released by the door itself (persisted with the safety state).</summary>
public enum DoorRelease
{
    /// <summary>A request to exit released it for the door's release time.</summary>
    RequestToExit,
    /// <summary>Delayed egress is counting down with the local alarm sounding.</summary>
    DelayedEgressCounting,
    /// <summary>Delayed egress released it until a person relocks it.</summary>
    DelayedEgressReleased,
}

/// <summary>A door's active alarms, persisted so each is restored after a restart, never forgotten.</summary>
[Flags]
public enum DoorAlarm
{
    /// <summary>No alarm.</summary>
    None = 0,
    /// <summary><c>door.forced</c> is active.</summary>
    Forced = 1,
    /// <summary><c>door.held-open</c> is active.</summary>
    HeldOpen = 2,
}
