namespace EdgeGuard.Core.Lockdown;

/// <summary>A locked door opened without a request to exit: somebody forced it.</summary>
public sealed record DoorForced(DateTimeOffset At, string DoorId, string ContactPoint, string Zone, SiteMode Mode) : DomainEvent(At)
{
    public override string Type => "door.forced";
    public override Severity Severity => Mode == SiteMode.Lockdown ? Severity.Critical : Severity.Alarm;
    public override string? Point => ContactPoint;
}

/// <summary>A forced door closed again.</summary>
public sealed record DoorForcedRestored(DateTimeOffset At, string DoorId, string ContactPoint, string Zone) : DomainEvent(At)
{
    public override string Type => "door.forced-restored";
    public override Severity Severity => Severity.Info;
    public override string? Point => ContactPoint;
}

/// <summary>A door stayed open longer than its held-open time.</summary>
public sealed record DoorHeldOpen(DateTimeOffset At, string DoorId, string ContactPoint, string Zone, TimeSpan Allowed) : DomainEvent(At)
{
    public override string Type => "door.held-open";
    public override Severity Severity => Severity.Warning;
    public override string? Point => ContactPoint;
}

/// <summary>A door that was held open closed.</summary>
public sealed record DoorHeldOpenRestored(DateTimeOffset At, string DoorId, string ContactPoint, string Zone) : DomainEvent(At)
{
    public override string Type => "door.held-open-restored";
    public override Severity Severity => Severity.Info;
    public override string? Point => ContactPoint;
}

/// <summary>A request to exit released a locked door for its release time.</summary>
public sealed record DoorReleased(DateTimeOffset At, string DoorId, string RequestedBy, TimeSpan For) : DomainEvent(At)
{
    public override string Type => "door.released";
    public override Severity Severity => Severity.Info;
    public override string? Point => RequestedBy;
}

/// <summary>Delayed egress started: the local alarm sounds, the door opens when the delay ends.</summary>
public sealed record DelayedEgressStarted(DateTimeOffset At, string DoorId, string RequestedBy, TimeSpan Delay) : DomainEvent(At)
{
    public override string Type => "door.delayed-egress-started";
    public override Severity Severity => Severity.Alarm;
    public override string? Point => RequestedBy;
}

/// <summary>The delay ended: the door is released until a person relocks it.</summary>
public sealed record DelayedEgressReleased(DateTimeOffset At, string DoorId) : DomainEvent(At)
{
    public override string Type => "door.delayed-egress-released";
    public override Severity Severity => Severity.Alarm;
}

/// <summary>A door released by delayed egress was relocked by an authorised keyswitch.</summary>
public sealed record DoorRelocked(DateTimeOffset At, string DoorId, string RelockedBy) : DomainEvent(At)
{
    public override string Type => "door.relocked";
    public override Severity Severity => Severity.Info;
    public override string? Point => RelockedBy;
}

/// <summary>
/// The gateway cannot read any exit button of an egress door (its loop cut or bridged, its chip not
/// answering), and the door has no way out that bypasses the gateway: its lock is released, in a
/// lockdown too, until a button reads again. A person inside must be able to leave (NFPA 101
/// 7.2.1.6.2: losing the exit sensor unlocks the door); the door is not secure meanwhile, so a guard
/// must go to it.
/// </summary>
/// <param name="At">When the last readable exit button was lost.</param>
/// <param name="DoorId">The door.</param>
/// <param name="LockId">Its lock, released.</param>
/// <param name="Exits">Its exit buttons, none of which can be read.</param>
public sealed record DoorExitUnreadable(DateTimeOffset At, string DoorId, string LockId, IReadOnlyList<string> Exits) : DomainEvent(At)
{
    public override string Type => "door.exit-unreadable";
    public override Severity Severity => Severity.Alarm;
}

/// <summary>An exit button of a door released by <see cref="DoorExitUnreadable"/> reads again: its lock follows the mode again.</summary>
/// <param name="At">When a button read again.</param>
/// <param name="DoorId">The door.</param>
/// <param name="LockId">Its lock.</param>
public sealed record DoorExitUnreadableRestored(DateTimeOffset At, string DoorId, string LockId) : DomainEvent(At)
{
    public override string Type => "door.exit-unreadable-restored";
    public override Severity Severity => Severity.Info;
}
