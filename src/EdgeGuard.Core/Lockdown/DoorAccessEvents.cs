using EdgeGuard.Core.Commands;

namespace EdgeGuard.Core.Lockdown;

/// <summary>Why an office <c>open-door</c> ended (<see cref="DoorAccessEnded"/>).</summary>
public enum DoorAccessEnd
{
    /// <summary>Its time ran out.</summary>
    Expired,
    /// <summary>The door opened and closed again: whoever it was for has passed.</summary>
    Closed,
    /// <summary>
    /// A lockdown or shelter keeps the door locked and an alert came after the grant (or the grant
    /// came before the scenario): a start, takeover, retrigger, press kept suspended, alarm of the site.
    /// </summary>
    Alert,
}

/// <summary>
/// A signed office <c>open-door</c> released a door's lock for a while: a guard buzzing a visitor in,
/// or, in a lockdown or shelter, a supervisor or a responder letting first responders through.
/// </summary>
/// <param name="At">When it was granted.</param>
/// <param name="DoorId">The door.</param>
/// <param name="LockId">Its lock, released.</param>
/// <param name="Operator">Who signed the command.</param>
/// <param name="Role">The role it was accepted under.</param>
/// <param name="For">How long the lock stays released unless the door opens and closes first.</param>
/// <param name="Mode">The site's mode.</param>
/// <param name="Override">A lockdown or shelter keeps the door locked, and this opens it anyway.</param>
public sealed record DoorAccessGranted(DateTimeOffset At, string DoorId, string LockId, string Operator, OperatorRole Role, TimeSpan For,
    SiteMode Mode, bool Override) : DomainEvent(At)
{
    public override string Type => "door.access-granted";

    // A door opened in a lockdown is a hole in it, however authorised: the office must see it.
    public override Severity Severity => Override ? Severity.Alarm : Severity.Info;
}

/// <summary>An office <c>open-door</c> is over: the door's lock follows the mode again.</summary>
/// <param name="At">When it ended.</param>
/// <param name="DoorId">The door.</param>
/// <param name="LockId">Its lock.</param>
/// <param name="Reason">Why it ended.</param>
public sealed record DoorAccessEnded(DateTimeOffset At, string DoorId, string LockId, DoorAccessEnd Reason) : DomainEvent(At)
{
    public override string Type => "door.access-ended";
    public override Severity Severity => Severity.Info;
}
