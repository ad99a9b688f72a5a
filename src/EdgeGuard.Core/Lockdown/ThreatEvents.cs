namespace EdgeGuard.Core.Lockdown;

/// <summary>The site's threat level changed.</summary>
public sealed record ThreatLevelChanged(DateTimeOffset At, int From, int To, string ChangedBy) : DomainEvent(At)
{
    public override string Type => "threat.level-changed";
    public override Severity Severity => To > From ? Severity.Alarm : Severity.Warning;

    /// <summary>True when <see cref="ChangedBy"/> is an office operator, not a keyswitch point (the event then has no point).</summary>
    public bool ByOffice { get; init; }

    public override string? Point => ByOffice ? null : ChangedBy;
}

/// <summary>
/// A perimeter point went active in a zone armed at the current threat level, or was active when
/// its zone became armed.
/// </summary>
public sealed record PerimeterBreach(DateTimeOffset At, string PointId, string Zone, int ThreatLevel, bool StartsLockdown) : DomainEvent(At)
{
    /// <summary>
    /// True when the lockdown the breach asked for did not start (a higher-ranked real scenario
    /// runs) but is kept suspended under the running one: its locks lock now, and it runs when
    /// that one ends. Without it the breach read as one that locked nothing.
    /// </summary>
    public bool KeptSuspended { get; init; }

    public override string Type => "perimeter.breach";
    public override Severity Severity => StartsLockdown || KeptSuspended ? Severity.Critical : Severity.Alarm;
    public override string? Point => PointId;
}

/// <summary>
/// A silent hold-up (duress) button was pressed: reported to the office only. No siren, no lock,
/// no lamp: nothing the person holding the guard at gunpoint could notice.
/// </summary>
public sealed record SilentHoldUp(DateTimeOffset At, string PointId, string Zone) : DomainEvent(At)
{
    public override string Type => "holdup.silent";
    public override Severity Severity => Severity.Critical;
    public override string? Point => PointId;
}
