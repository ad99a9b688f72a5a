using System.Collections.Immutable;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// Egress when the gateway cannot read a door's exit buttons. An exit button it cannot read (a loop
/// cut or bridged, a chip not answering) reads "not pressed" (<see cref="TamperedLoop"/>), so a
/// person pressing it would never be let out: the lock of an egress door none of whose exit buttons
/// can be read is released, lockdown or not, until one reads again, as NFPA 101 7.2.1.6.2 asks of a
/// door released by an exit sensor (losing the sensor unlocks the door). Not for a lock with a
/// hardwired exit (people leave without the gateway) nor a door that is no escape route. Part of
/// <see cref="SiteDecider"/>: pure.
/// </summary>
/// <remarks>
/// A cut cable thus unlocks an egress door, also in a lockdown: the trade the code makes for the
/// people inside. The door raises <see cref="DoorExitUnreadable"/> (alarm), besides the loop's
/// tamper or the chip's fault, so a guard goes to it; a site that wants the door held must give it a
/// push-to-exit that cuts the lock's power and declare it (<c>hardwiredExit</c>).
/// </remarks>
public static class UnreadableExits
{
    /// <summary>Whether <paramref name="door"/>'s lock is released because none of its exit buttons can be read.</summary>
    public static bool Releases(SiteDefinition site, SiteState state, DoorDefinition door)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(door);
        if (state.UnreadablePoints.Count == 0 || door.RequestToExit.Count == 0)
        {
            return false; // the common case, on the path of every output plan: no set to search
        }

        var lockOutput = site.Output(door.LockId);
        if (!lockOutput.Egress || lockOutput.HardwiredExit)
        {
            return false;
        }

        foreach (var exit in door.RequestToExit)
        {
            if (!state.UnreadablePoints.Contains(exit))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Takes the points that cannot be read now; a door whose exit buttons all became unreadable, or
    /// one of which reads again, is reported.
    /// </summary>
    public static SiteState OnUnreadable(SiteDefinition site, SiteState state, ImmutableSortedSet<string> points, Moment now, List<DomainEvent> events)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(points);
        ArgumentNullException.ThrowIfNull(events);
        var next = state with { UnreadablePoints = points.WithComparer(StringComparer.Ordinal) };
        foreach (var door in site.DoorList)
        {
            var before = Releases(site, state, door);
            var after = Releases(site, next, door);
            if (after && !before)
            {
                events.Add(new DoorExitUnreadable(now.Utc, door.Id, door.LockId, door.RequestToExit));
            }
            else if (before && !after)
            {
                events.Add(new DoorExitUnreadableRestored(now.Utc, door.Id, door.LockId));
            }
        }

        return next;
    }
}
