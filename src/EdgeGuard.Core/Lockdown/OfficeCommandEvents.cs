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
