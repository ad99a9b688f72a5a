using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// The office's <c>open-door</c>: a door's lock released for a few seconds, as an access panel's
/// remote unlock. In a lockdown or shelter it is the first-responder override of commercial
/// lockdown systems, and takes a supervisor or a responder: a guard's key may buzz a visitor in,
/// never open a door the lockdown keeps locked. The grant ends at its time, when the door has
/// opened and closed again (whoever it was for has passed, and the lock holds again at once), or
/// at the next alert while a lockdown or shelter keeps the door locked: a start, a takeover, a
/// retrigger, a press kept suspended, an alarm of the site (<see cref="SiteState.ApprovalsValidFrom"/>,
/// the same alerts that void the all-clear's approvals), except a silent hold-up (the door must
/// not show the duress) and a fire (it may be the fire brigade at the door: <see cref="Carry"/>). A door opened before a panic press must
/// lock with it; whoever granted it did not weigh the press. Part of <see cref="SiteDecider"/>: pure.
/// </summary>
public static class OfficeDoorAccess
{
    /// <summary>Grants the command's door its release, or says why not.</summary>
    internal static (SiteState, string?, string) Open(SiteDefinition site, SiteState state, VerifiedCommand verified, Moment now, List<DomainEvent> events)
    {
        var command = verified.Command;
        var doorId = command.StringArgument("door") ?? "";
        var door = site.DoorList.FirstOrDefault(d => string.Equals(d.Id, doorId, StringComparison.Ordinal));
        if (door is null)
        {
            var known = site.DoorList.Count == 0 ? "none" : string.Join(", ", site.DoorList.Select(d => d.Id));
            return (state, $"no door '{doorId}' is configured (doors: {known})", "");
        }

        var lockOutput = site.Output(door.LockId);
        var kept = DoorSupervision.KeptLocked(site, state, lockOutput);
        var scenario = state.Lockdown;
        if (kept && verified.Role is not (OperatorRole.Supervisor or OperatorRole.Responder))
        {
            return (state, $"a {OperatorRoles.Wire(verified.Role)} may not open door '{door.Id}' while the '{scenario?.Scenario}' {ScenarioWire.Mode(state.Mode)} "
                + "keeps it locked: a supervisor or responder must send it", "");
        }

        // Signed before the latest alert of the scenario that now keeps the door locked (its start,
        // a retrigger, a door forced, ...): whoever signed it did not weigh that, and someone on
        // the broker may have held it back until now. Judged as the all-clear is, on the alert's
        // time by the clock now (SiteState.ApprovalsValidAt): a boot clock behind by the outage
        // stamped a press minutes early.
        if (kept && state.ApprovalsValidAt(now) is { } alert && command.IssuedAt < alert)
        {
            return (state, $"signed at {WireTime.Format(command.IssuedAt)}, before the latest alert at {WireTime.Format(alert)} of the '{scenario?.Scenario}' "
                + $"{ScenarioWire.Mode(state.Mode)} that keeps door '{door.Id}' locked; sign it again if it is still wanted", "");
        }

        if (!OutputPlan.LockedByPolicy(site, state, lockOutput))
        {
            return (state, null, $"door '{door.Id}' is not locked now ({LockedWhy(state, lockOutput)}): nothing to open");
        }

        var seconds = (int)(command.IntegerArgument("seconds") ?? (long)door.Release.TotalSeconds);
        var span = TimeSpan.FromSeconds(seconds);
        var access = new DoorAccess(now.Monotonic + span, kept ? state.ApprovalsValidFrom : null);
        events.Add(new DoorAccessGranted(now.Utc, door.Id, door.LockId, command.Operator, verified.Role, span, state.Mode, kept));
        var current = DoorSupervision.Of(state, door.Id);
        var next = state with { Doors = state.Doors.SetItem(door.Id, current with { Access = access }) };
        return (next, null, $"door '{door.Id}' open for {seconds} s, or until it opens and closes again");
    }

    private static string LockedWhy(SiteState state, OutputDefinition lockOutput) =>
        state.FireEgressReleased && lockOutput.Egress ? "a fire releases it"
        : state.Mode == SiteMode.Evacuation && lockOutput.Egress ? "the evacuation releases it"
        : "it is unlocked in this mode";

    /// <summary>
    /// Whether <paramref name="door"/>'s grant holds its lock released now: always, unless a
    /// lockdown or shelter keeps the lock locked and there was an alert since the grant (or the
    /// grant came before the scenario).
    /// </summary>
    public static bool Holds(SiteDefinition site, SiteState state, OutputDefinition lockOutput, DoorState door)
    {
        ArgumentNullException.ThrowIfNull(door);
        return door.Access is { } access
            && (!DoorSupervision.KeptLocked(site, state, lockOutput) || (access.Under is { } under && under == state.ApprovalsValidFrom));
    }

    /// <summary>Ends every grant the state no longer honours (<see cref="DoorAccessEnd.Alert"/>): after every decision, and when a late-read state is put back.</summary>
    public static SiteState Follow(SiteDefinition site, SiteState state, Moment now, List<DomainEvent> events)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(events);
        if (state.Doors.Count == 0)
        {
            return state;
        }

        foreach (var door in site.DoorList)
        {
            if (state.Doors.TryGetValue(door.Id, out var current) && current.Access is not null
                && !Holds(site, state, site.Output(door.LockId), current))
            {
                events.Add(new DoorAccessEnded(now.Utc, door.Id, door.LockId, DoorAccessEnd.Alert));
                state = state with { Doors = state.Doors.SetItem(door.Id, current with { Access = null }) };
            }
        }

        return state;
    }

    /// <summary>
    /// <paramref name="state"/> with the grants given at the alert <paramref name="from"/> carried
    /// to the alert <paramref name="to"/>: an alarm that must not end them (a silent hold-up, a fire:
    /// <see cref="AlarmNews"/>) still moves the all-clear's alert time.
    /// </summary>
    internal static SiteState Carry(SiteState state, Moment? from, Moment to)
    {
        if (state.Doors.Count == 0 || from is null)
        {
            return state;
        }

        var doors = state.Doors;
        foreach (var (id, door) in state.Doors)
        {
            if (door.Access is { Under: { } under } access && under == from)
            {
                doors = doors.SetItem(id, door with { Access = access with { Under = to } });
            }
        }

        return ReferenceEquals(doors, state.Doors) ? state : state with { Doors = doors };
    }

    /// <summary>The door's grant after its contact moved: marked opened, or ended when it closes after opening.</summary>
    internal static DoorState OnContact(DoorDefinition door, DoorState current, bool open, Moment now, List<DomainEvent> events)
    {
        if (current.Access is not { } access)
        {
            return current;
        }

        if (open)
        {
            return access.Opened ? current : current with { Access = access with { Opened = true } };
        }

        if (!access.Opened)
        {
            return current;
        }

        events.Add(new DoorAccessEnded(now.Utc, door.Id, door.LockId, DoorAccessEnd.Closed));
        return current with { Access = null };
    }

    /// <summary>The door's grant at a tick: ended once its time is up.</summary>
    internal static DoorState OnTick(DoorDefinition door, DoorState current, Moment now, List<DomainEvent> events)
    {
        if (current.Access is not { } access || now.Monotonic < access.Until)
        {
            return current;
        }

        events.Add(new DoorAccessEnded(now.Utc, door.Id, door.LockId, DoorAccessEnd.Expired));
        return current with { Access = null };
    }
}
