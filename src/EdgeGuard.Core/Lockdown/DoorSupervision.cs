using System.Collections.Immutable;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// Door supervision and egress, as professional access-control panels do it: a locked door that
/// opens without a request to exit is forced; an open door past its time is held open; a request
/// to exit releases the lock (or starts delayed egress). Part of <see cref="SiteDecider"/>: pure.
/// </summary>
internal static class DoorSupervision
{
    /// <summary>A door's tracked state (quiet when never touched).</summary>
    public static DoorState Of(SiteState state, string doorId) => state.Doors.GetValueOrDefault(doorId) ?? DoorState.Quiet;

    private static SiteState With(SiteState state, string doorId, DoorState door) =>
        state with { Doors = state.Doors.SetItem(doorId, door) };

    /// <summary>Applies a point change to every door it belongs to.</summary>
    public static SiteState OnPointChanged(SiteDefinition site, SiteState state, PointDefinition point, bool active, Moment now, List<DomainEvent> events)
    {
        foreach (var door in site.DoorList)
        {
            if (string.Equals(door.ContactPoint, point.Id, StringComparison.Ordinal))
            {
                state = OnContact(site, state, door, point, active, now, events);
            }
            else if (active && door.RequestToExit.Contains(point.Id, StringComparer.Ordinal))
            {
                state = OnRequestToExit(site, state, door, point, now, events);
            }
            else if (active && door.Relock.Contains(point.Id, StringComparer.Ordinal))
            {
                state = OnRelock(state, door, point, now, events);
            }
        }

        return state;
    }

    /// <summary>
    /// After boot: doors found open start their held-open time now and raise nothing new; an alarm
    /// restored from before the restart is restored now if its door is closed, or goes on if not.
    /// </summary>
    public static SiteState OnInputsSettled(SiteDefinition site, SiteState state, Moment now, List<DomainEvent> events)
    {
        foreach (var door in site.DoorList)
        {
            var current = Of(state, door.Id);
            if (door.ContactPoint is { } contact && state.IsActive(contact))
            {
                if (state.Bypasses.ContainsKey(contact))
                {
                    continue; // out of service: no held-open count until its bypass ends
                }

                state = With(state, door.Id, current with { OpenSince = now.Monotonic });
            }
            else if (door.ContactPoint is { } closed && (current.Forced || current.HeldOpen))
            {
                state = OnContact(site, state, door, site.Point(closed), open: false, now, events);
            }
        }

        return state;
    }

    private static SiteState OnContact(SiteDefinition site, SiteState state, DoorDefinition door, PointDefinition contact, bool open, Moment now, List<DomainEvent> events)
    {
        var current = Of(state, door.Id);
        if (!open)
        {
            if (current.Forced)
            {
                events.Add(new DoorForcedRestored(now.Utc, door.Id, contact.Id, contact.Zone));
            }

            if (current.HeldOpen)
            {
                events.Add(new DoorHeldOpenRestored(now.Utc, door.Id, contact.Id, contact.Zone));
            }

            current = OfficeDoorAccess.OnContact(door, current, open: false, now, events);
            return With(state, door.Id, current with { OpenSince = null, Forced = false, HeldOpen = false });
        }

        var lockOutput = site.Output(door.LockId);
        var forced = LockedByPolicy(site, state, door) && !ReleasesLock(site, state, lockOutput);
        if (forced)
        {
            events.Add(new DoorForced(now.Utc, door.Id, contact.Id, contact.Zone, state.Mode));
        }

        current = OfficeDoorAccess.OnContact(door, current, open: true, now, events);
        return With(state, door.Id, current with { OpenSince = now.Monotonic, Forced = forced });
    }

    private static SiteState OnRequestToExit(SiteDefinition site, SiteState state, DoorDefinition door, PointDefinition rex, Moment now, List<DomainEvent> events)
    {
        var current = Of(state, door.Id);
        // Already free (latched), or delayed egress counting or releasing: nothing to add. A press
        // during a plain release restarts it below, as access panels do: ignored, the lock closed
        // on someone who had let go and pressed again as it ran out, and their push was door.forced.
        if (!LockedByPolicy(site, state, door) || current.EgressLatched || current.DelayedEgressUntil is not null
            || (current.ReleasedUntil is not null && door.DelayedEgress is not null))
        {
            return state;
        }

        var lockOutput = site.Output(door.LockId);
        // In a lockdown or shelter only egress doors let people out: life safety. Other doors hold,
        // also one a suspended lockdown or shelter keeps locked under a running evacuation: an exit
        // sensor can be tripped from outside, and the evacuation opens the escape routes already.
        if (!lockOutput.Egress && KeptLocked(site, state, lockOutput))
        {
            return state;
        }

        if (door.DelayedEgress is { } delay)
        {
            events.Add(new DelayedEgressStarted(now.Utc, door.Id, rex.Id, delay));
            return With(state, door.Id, current with { DelayedEgressUntil = now.Monotonic + delay });
        }

        // Restarted without a word while the button chatters (supervision never holds an exit
        // button back): a door.released per flap would flood the office; the release still runs.
        if (current.ReleasedUntil is null || !state.ChatteringPoints.Contains(rex.Id))
        {
            events.Add(new DoorReleased(now.Utc, door.Id, rex.Id, door.Release));
        }

        return With(state, door.Id, current with { ReleasedUntil = now.Monotonic + door.Release });
    }

    private static SiteState OnRelock(SiteState state, DoorDefinition door, PointDefinition key, Moment now, List<DomainEvent> events)
    {
        var current = Of(state, door.Id);
        // Only a release that happened is relocked. Delayed egress, once a push started it, releases
        // irreversibly (NFPA 101: relock by manual means, after the release): a key turned during the
        // count used to cancel it, and the person pushing the bar stayed locked in until they pushed
        // again and waited the whole delay once more.
        if (!current.EgressLatched)
        {
            return state;
        }

        events.Add(new DoorRelocked(now.Utc, door.Id, key.Id));
        return With(state, door.Id, current with { EgressLatched = false, DelayedEgressUntil = null });
    }

    /// <summary>
    /// The contact of a door was bypassed: a held-open count running on it stops. Alarms already
    /// raised stay active until the door closes (a bypass does not erase what happened).
    /// </summary>
    public static SiteState OnContactBypassed(SiteDefinition site, SiteState state, PointDefinition point)
    {
        foreach (var door in site.DoorList)
        {
            if (string.Equals(door.ContactPoint, point.Id, StringComparison.Ordinal) && Of(state, door.Id) is { OpenSince: not null } current)
            {
                state = With(state, door.Id, current with { OpenSince = null });
            }
        }

        return state;
    }

    /// <summary>Whether a door whose contact is <paramref name="point"/> has a forced or held-open alarm active.</summary>
    public static bool HasActiveAlarm(SiteDefinition site, SiteState state, PointDefinition point) =>
        site.DoorList.Any(d => string.Equals(d.ContactPoint, point.Id, StringComparison.Ordinal) && Of(state, d.Id) is { Forced: true } or { HeldOpen: true });

    /// <summary>
    /// Supervision now withholds the changes of <paramref name="suppressed"/>. A door whose contact
    /// is among them is not held open: its "open" is only the last change let through before the
    /// chatter, and the door may have been shut all along (with the default times the held-open
    /// alarm came before the contact could settle). Once its contact is trusted again and still
    /// open, the held-open time counts afresh from now; a contact that settled closed is applied
    /// right after this and ends the opening.
    /// </summary>
    public static SiteState OnSuppressed(SiteDefinition site, SiteState state, ImmutableSortedSet<string> suppressed, Moment now)
    {
        ArgumentNullException.ThrowIfNull(suppressed);
        var next = state with { SuppressedPoints = suppressed.WithComparer(StringComparer.Ordinal) };
        foreach (var door in site.DoorList)
        {
            if (door.ContactPoint is { } contact && state.SuppressedPoints.Contains(contact) && !suppressed.Contains(contact)
                && Of(next, door.Id) is { OpenSince: not null } open)
            {
                next = With(next, door.Id, open with { OpenSince = now.Monotonic });
            }
        }

        return next;
    }

    /// <summary>Runs every door deadline that has passed.</summary>
    public static SiteState OnTick(SiteDefinition site, SiteState state, Moment now, List<DomainEvent> events)
    {
        foreach (var door in site.DoorList)
        {
            var current = Of(state, door.Id);
            var next = current;
            if (next.ReleasedUntil is { } releasedUntil && now.Monotonic >= releasedUntil)
            {
                next = next with { ReleasedUntil = null };
            }

            next = OfficeDoorAccess.OnTick(door, next, now, events);

            if (next.DelayedEgressUntil is { } egressAt && now.Monotonic >= egressAt)
            {
                events.Add(new DelayedEgressReleased(now.Utc, door.Id));
                next = next with { DelayedEgressUntil = null, EgressLatched = true };
            }

            if (HeldOpenDeadline(site, state, door, next) is { } heldAt && now.Monotonic >= heldAt)
            {
                var contact = site.Point(door.ContactPoint!);
                events.Add(new DoorHeldOpen(now.Utc, door.Id, contact.Id, contact.Zone, HeldOpenTime(site, state, door)));
                next = next with { HeldOpen = true };
            }

            if (next != current)
            {
                state = With(state, door.Id, next);
            }
        }

        return state;
    }

    /// <summary>The earliest door deadline, or null. Only deadlines <see cref="OnTick"/> will consume.</summary>
    public static TimeSpan? NextDeadline(SiteDefinition site, SiteState state)
    {
        TimeSpan? next = null;
        foreach (var door in site.DoorList)
        {
            var current = Of(state, door.Id);
            if (current == DoorState.Quiet)
            {
                continue; // nothing pending on a door never touched (most doors, most of the time)
            }

            foreach (var due in (ReadOnlySpan<TimeSpan?>)[current.ReleasedUntil, current.DelayedEgressUntil, HeldOpenDeadline(site, state, door, current), LockMonitoring.Deadline(current), current.Access?.Until])
            {
                if (due is { } d && (next is null || d < next))
                {
                    next = d;
                }
            }
        }

        return next;
    }

    // Held open only matters where the door is meant to be secure: a lobby door unlocked for the
    // day may stand open, and nobody is told off for a door a fire released. Nor is a door whose
    // contact chatters (OnSuppressed): its state is frozen, not known.
    private static TimeSpan? HeldOpenDeadline(SiteDefinition site, SiteState state, DoorDefinition door, DoorState current) =>
        current is { OpenSince: { } since, HeldOpen: false } && !state.SuppressedPoints.Contains(door.ContactPoint!)
        && LockedByPolicy(site, state, door) ? since + HeldOpenTime(site, state, door) : null;

    // A higher threat level may shorten every door's held-open time, never lengthen it.
    private static TimeSpan HeldOpenTime(SiteDefinition site, SiteState state, DoorDefinition door) =>
        site.ThreatLevel(state.ThreatLevel).HeldOpen is { } levelTime && levelTime < door.HeldOpen ? levelTime : door.HeldOpen;

    // A lockdown or shelter, running or suspended under another scenario, holds a secure door. A
    // running one holds every secure door on the site, also outside its zones, on purpose: the
    // threat it answers can move, and an exit sensor can be tripped from outside (architecture.md).
    internal static bool KeptLocked(SiteDefinition site, SiteState state, OutputDefinition lockOutput) =>
        state.Mode is SiteMode.Lockdown or SiteMode.ShelterInPlace
        || (state.Suspended.Count > 0 && OutputPlan.LockedBySuspended(site, state, lockOutput));

    private static bool LockedByPolicy(SiteDefinition site, SiteState state, DoorDefinition door) =>
        OutputPlan.LockedByPolicy(site, state, site.Output(door.LockId));

    /// <summary>
    /// Whether a door's own release (request to exit, delayed egress, exit buttons it cannot read:
    /// <see cref="UnreadableExits"/>) or the office's <c>open-door</c> (<see cref="OfficeDoorAccess"/>)
    /// holds its lock open. In a lockdown or shelter, running or suspended, only egress doors stay
    /// released by the door's own release: one granted before it does not hold a secure door open
    /// against it. The office's grant given under that very scenario does: it is the override.
    /// </summary>
    public static bool ReleasesLock(SiteDefinition site, SiteState state, OutputDefinition lockOutput)
    {
        var kept = !lockOutput.Egress && KeptLocked(site, state, lockOutput);
        // Indexed loops, here and below, not LINQ: every output plan asks for every output, on the
        // path an edge takes to the office, and a lambda over the doors allocated each time.
        var doors = site.DoorList;
        for (var i = 0; i < doors.Count; i++)
        {
            if (!string.Equals(doors[i].LockId, lockOutput.Id, StringComparison.Ordinal))
            {
                continue;
            }

            var door = Of(state, doors[i].Id);
            if ((!kept && (door.Released || UnreadableExits.Releases(site, state, doors[i])))
                || (door.Access is not null && OfficeDoorAccess.Holds(site, state, lockOutput, door)))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a door's delayed egress needs <paramref name="outputId"/> (its local alarm) sounding.</summary>
    public static bool SoundsLocalAlarm(SiteDefinition site, SiteState state, string outputId)
    {
        var doors = site.DoorList;
        for (var i = 0; i < doors.Count; i++)
        {
            if (string.Equals(doors[i].LocalAlarm, outputId, StringComparison.Ordinal)
                && Of(state, doors[i].Id) is { DelayedEgressUntil: not null } or { EgressLatched: true })
            {
                return true;
            }
        }

        return false;
    }
}
