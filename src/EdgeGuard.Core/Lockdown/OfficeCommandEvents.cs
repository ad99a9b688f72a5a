using EdgeGuard.Core.Commands;

namespace EdgeGuard.Core.Lockdown;

/// <summary>A verified office command was carried out (or counted, for the first all-clear approval).</summary>
public sealed record CommandDone(DateTimeOffset At, string CommandId, CommandType CommandType, string Operator, string Detail) : DomainEvent(At)
{
    public override string Type => "command.done";
    public override Severity Severity => Severity.Warning;
}

/// <summary>A verified office command that the site's state refused (no such scenario, a panic button held, …).</summary>
public sealed record CommandRefused(DateTimeOffset At, string CommandId, CommandType CommandType, string Operator, string Reason) : DomainEvent(At)
{
    public override string Type => "command.refused";
    public override Severity Severity => Severity.Alarm;
}

/// <summary>
/// A point was bypassed by a signed office command: until <paramref name="Until"/> its activations
/// are reported but raise no alarm and start nothing.
/// </summary>
public sealed record PointBypassed(DateTimeOffset At, string PointId, Site.PointKind Kind, string Zone, DateTimeOffset Until, string Operator) : DomainEvent(At)
{
    public override string Type => "point.bypassed";
    public override Severity Severity => Severity.Warning;
    public override string? Point => PointId;
}

/// <summary>
/// A point's bypass ended: by an office command (<paramref name="Operator"/> set) or because its
/// time ran out (<paramref name="Operator"/> null). A point active at that moment is judged at once.
/// </summary>
public sealed record PointUnbypassed(DateTimeOffset At, string PointId, Site.PointKind Kind, string Zone, string? Operator) : DomainEvent(At)
{
    public override string Type => "point.unbypassed";
    public override Severity Severity => Severity.Warning;
    public override string? Point => PointId;

    /// <summary>Why it ended: <c>expired</c> or <c>operator</c>.</summary>
    public string Reason => Operator is null ? "expired" : "operator";
}

/// <summary>
/// The office acknowledged an alarm event. Acknowledging the start (or retrigger) of the running
/// scenario silences its siren; the scenario, its locks and any fire release stay as they are.
/// </summary>
public sealed record AlarmAcknowledged(DateTimeOffset At, Guid EventId, string EventType, string? EventPoint, string Operator, bool SirenSilenced) : DomainEvent(At)
{
    public override string Type => "alarm.acknowledged";
    public override Severity Severity => Severity.Warning;
    public override string? Point => EventPoint;
}

/// <summary>
/// The office asked for every retained state topic again ("rebirth"). The publisher republishes
/// them right after this event is acknowledged, so the office sees them in order after it.
/// </summary>
public sealed record StateRepublishRequested(DateTimeOffset At, string Operator) : DomainEvent(At)
{
    public override string Type => "gateway.rebirth";
    public override Severity Severity => Severity.Info;
}
