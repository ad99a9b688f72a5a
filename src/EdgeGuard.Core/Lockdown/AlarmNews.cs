using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// The one rule for an alarm of the site raised while a scenario runs: it is news the supervisors
/// who approved the all-clear did not weigh, so the approvals collected so far count for nothing,
/// and neither does an all-clear signed before it and still on its way
/// (<see cref="SiteState.ApprovalsValidFrom"/>). Part of <see cref="SiteDecider"/>: pure.
/// </summary>
/// <remarks>
/// Judged on the decision's events, not in each place that raises one, so every path to an alarm
/// is covered: a contact or a fence at its edge, a bypass that ends on an active point, a zone
/// armed by a window, a key or the office. Left out, a door forced (or an armed fence cut at a
/// level that starts no lockdown) between two supervisors' all-clears let the second, signed
/// before the break-in, lift the lockdown. A panic press is a mode change and voids the approvals
/// there (<see cref="ModeChanges"/>): a retrigger, a takeover or a real trigger refused does, a
/// drill asked for over a real scenario does not, and a chattering button's further presses do
/// without an event of their own. Faults of the equipment (chatter, a stuck point, an output)
/// are not alarms of the site: a cut or bridged loop reads its point active, which is judged here.
/// </remarks>
internal static class AlarmNews
{
    /// <summary>
    /// Whether <paramref name="domainEvent"/> is an alarm of the site that voids the all-clear
    /// approvals given before it: a door forced, a perimeter breach (one that starts or retriggers
    /// the lockdown voids them there too), a tamper switch, a silent hold-up, a fire.
    /// </summary>
    public static bool VoidsApprovals(DomainEvent domainEvent) =>
        domainEvent is DoorForced or PerimeterBreach or SilentHoldUp or FireAlarmRaised
            or PointActivated { Kind: PointKind.Tamper, Bypassed: false };

    /// <summary>
    /// <paramref name="state"/> after the events from <paramref name="from"/> on were raised at
    /// <paramref name="now"/>: while a scenario runs, one that is an alarm drops the approvals and
    /// moves <see cref="SiteState.ApprovalsValidFrom"/> to now. In normal mode there is nothing to
    /// approve, and a start sets both.
    /// </summary>
    public static SiteState Weigh(SiteDefinition site, SiteState state, List<DomainEvent> events, int from, Moment now)
    {
        for (var i = from; i < events.Count; i++)
        {
            if (VoidsApprovals(events[i]))
            {
                if (Transitions.Running(site, state) is null)
                {
                    return state;
                }

                var next = state with { AllClearApprovals = null, ApprovalsValidFrom = now };
                return EndsDoorGrants(events, from) ? next : OfficeDoorAccess.Carry(next, state.ApprovalsValidFrom, now);
            }
        }

        return state;
    }

    // Whether the alarms from `from` on end the office's open-door grants (OfficeDoorAccess). A silent
    // hold-up does not: a door locking then would show the attacker the duress was reported (it
    // changes no output). Nor does a fire: it opens the escape routes, and must not shut a door
    // the office opened for the responders, who may be the fire brigade.
    private static bool EndsDoorGrants(List<DomainEvent> events, int from)
    {
        for (var i = from; i < events.Count; i++)
        {
            if (VoidsApprovals(events[i]) && events[i] is not (SilentHoldUp or FireAlarmRaised))
            {
                return true;
            }
        }

        return false;
    }
}
