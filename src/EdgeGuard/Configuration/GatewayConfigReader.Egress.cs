using EdgeGuard.Core.Site;

namespace EdgeGuard.Configuration;

// Free egress (NFPA 101): an egress lock must leave people inside a way out that a lockdown cannot
// lock. The controller releases an egress door in any mode only through its door's exit button
// (DoorSupervision.OnRequestToExit, which also starts delayed egress), so an egress lock needs a door
// with one, or an exit wired past the gateway (hardwiredExit). Checked once the doors are read.
public static partial class GatewayConfigReader
{
    /// <summary>
    /// A door item as far as it was read: the lock it names (null when that reference failed or was
    /// never read, after its error), its id, whether it has an exit button (or a reported error in
    /// its list) and whether it sets <c>delayedEgressSeconds</c>.
    /// </summary>
    private readonly record struct DoorExit(string? LockId, string? DoorId, bool ExitButton, bool DelayedEgress)
    {
        /// <summary>A door item that failed before its lock was read: it might have named any lock.</summary>
        public static DoorExit Unread => new(null, null, ExitButton: false, DelayedEgress: false);
    }

    private sealed partial class Run
    {
        /// <summary>
        /// Reports, at its <c>egress</c> key, every egress lock that is neither the lock of a door with
        /// an exit button nor declared <c>hardwiredExit</c>: in a lockdown the people behind it are
        /// trapped. Reported after the doors (they name the locks), so these errors follow the doors'.
        /// </summary>
        private void EgressExits(IReadOnlyList<DoorDefinition>? doors)
        {
            if (doors is null)
            {
                return; // the doors are not a list: that is reported, and no lock can be judged by them
            }

            // A door whose lock reference failed may have meant any lock; its own error comes first.
            var someDoorUnread = _doorExits.Any(d => d.LockId is null);
            foreach (var (id, egressNode, subject) in _egressLocksWithoutHardwiredExit)
            {
                var itsDoors = _doorExits.Where(d => d.LockId == id).ToList();
                var withExit = itsDoors.FirstOrDefault(d => d.ExitButton);
                if (withExit.ExitButton)
                {
                    // Accepted, and said at every validate and start: the only way out is the
                    // gateway, hardware/WIRING.md's second layer, with its first missing. A delayed-
                    // egress door's hardware exit is a lock that runs its own delay: a push-to-exit
                    // cutting the power would open it at once, with no delay and no local alarm.
                    var remedy = withExit.DelayedEgress
                        ? $"fit a delayed-egress lock that runs the delay itself and releases without the gateway (door '{withExit.DoorId}' "
                            + "has delayedEgressSeconds), test it on site, and set hardwiredExit to true"
                        : "wire a push-to-exit that cuts the lock's power itself (NFPA 101), test it on site, and set hardwiredExit to true";
                    _w.Warning(egressNode,
                        $"egress lock '{id}' opens from inside during a lockdown only through the gateway (its door's exit button): "
                        + "if the gateway stops, the people inside are trapped; if it cannot read that button (a chip that does "
                        + $"not answer, a cut loop), it unlocks the door, lockdown or not, so a cut cable opens it; {remedy}");
                    continue;
                }

                if (itsDoors.FirstOrDefault() is { DoorId: { } doorId } door)
                {
                    var delayed = door.DelayedEgress
                        ? " (delayedEgressSeconds is set, but only its exit button starts the delay)"
                        : "";
                    _w.Error(egressNode, subject,
                        $"{Trapped} its door '{doorId}' has no requestToExit point{delayed}, so people inside would be trapped "
                        + $"during a lockdown; add the door's exit button to its requestToExit, {OrHardwired}");
                }
                else if (!someDoorUnread)
                {
                    _w.Error(egressNode, subject,
                        $"{Trapped} no door has '{id}' as its lock, so nothing the gateway reads can release it from inside "
                        + "and people would be trapped during a lockdown; add a door with this lock and its exit button "
                        + $"(doors[].lock, doors[].requestToExit), {OrHardwired}");
                }
            }
        }

        private const string Trapped = "an egress lock must let people out while a lockdown keeps it locked, but";

        private const string OrHardwired =
            "or, if a push-to-exit button or lever opens this door without the gateway (it cuts the lock's power "
            + "or opens the door mechanically), set hardwiredExit to true";
    }
}
