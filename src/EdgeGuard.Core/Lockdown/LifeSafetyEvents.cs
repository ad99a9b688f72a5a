using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// A fire input became active: every egress lock is released until a manual reset. Raised again,
/// once, for each other fire input that becomes active while the release is latched (a second
/// fire); not for one that raised under it already (<see cref="SiteState.FireRaised"/>, saved
/// with the release, so a reboot does not raise it again either). At boot, for each fire input
/// found active that did not raise under the saved release.
/// </summary>
public sealed record FireAlarmRaised(DateTimeOffset At, string PointId, string Zone, SiteMode Mode) : DomainEvent(At)
{
    public override string Type => "fire.alarm";
    public override Severity Severity => Severity.Critical;
    public override string? Point => PointId;
}

/// <summary>An authorised person reset the fire release; egress locks follow the mode again.</summary>
public sealed record FireReset(DateTimeOffset At, string ResetBy) : DomainEvent(At)
{
    public override string Type => "fire.reset";
    public override Severity Severity => Severity.Warning;
    public override string? Point => ResetBy;
}

/// <summary>A fire reset was refused (not authorised, or a fire input is still active).</summary>
public sealed record FireResetRefused(DateTimeOffset At, string AttemptedBy, string Reason) : DomainEvent(At)
{
    public override string Type => "fire.reset-refused";
    public override Severity Severity => Severity.Alarm;
    public override string? Point => AttemptedBy;
}
