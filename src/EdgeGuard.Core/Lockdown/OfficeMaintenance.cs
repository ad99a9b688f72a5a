using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// The office commands that keep the site running rather than change its mode: bypass and unbypass
/// a point, acknowledge an alarm, republish state. Part of <see cref="SiteDecider"/>: pure. Each
/// returns the new state, the refusal (null when done) and a detail for the office.
/// </summary>
internal static class OfficeMaintenance
{
    /// <summary>
    /// Longest bypass one signed command may grant. A point out of service for longer is a
    /// maintenance decision the office re-signs each day, so no bypass outlives a shift change unseen.
    /// </summary>
    public static readonly TimeSpan MaxBypass = TimeSpan.FromHours(24);

    public static (SiteState, string?, string) Bypass(SiteDefinition site, SiteState state, CommandEnvelope command, Moment now, List<DomainEvent> events)
    {
        var pointId = command.StringArgument("point");
        var until = CommandTypes.TryParseTimestamp(command.StringArgument("until") ?? "");
        if (site.FindPoint(pointId ?? "") is not { } point)
        {
            return (state, $"no point '{pointId}' is configured on this gateway", "");
        }

        if (!point.CanBeBypassed)
        {
            return (state, $"point '{point.Id}' is a {point.Kind} input: panic, fire, request-to-exit and keyswitch inputs are never bypassed", "");
        }

        if (until is not { } end || end <= now.Utc)
        {
            return (state, $"'until' ({command.StringArgument("until")}) has already passed", "");
        }

        if (end - now.Utc > MaxBypass)
        {
            return (state, $"'until' is more than {MaxBypass.TotalHours:0} h ahead; a longer bypass is signed again each day", "");
        }

        var grant = new PointBypass(end, command.Operator);
        events.Add(new PointBypassed(now.Utc, point.Id, point.Kind, point.Zone, end, command.Operator));
        state = state with { Bypasses = state.Bypasses.SetItem(point.Id, ActiveBypass.From(grant, now, MaxBypass)) };
        // A held-open count already running on a door whose contact is now bypassed would raise the
        // very alarm the office just bypassed; alarms already raised stay until the door closes.
        state = DoorSupervision.OnContactBypassed(site, state, point);
        return (state, null, $"{point.Id} bypassed until {WireTime.Format(end)}");
    }

    public static (SiteState, string?, string) Unbypass(SiteDefinition site, SiteState state, CommandEnvelope command, Moment now, List<DomainEvent> events)
    {
        var pointId = command.StringArgument("point") ?? "";
        if (site.FindPoint(pointId) is not { } point || !state.Bypasses.ContainsKey(point.Id))
        {
            return (state, $"point '{pointId}' is not bypassed", "");
        }

        state = End(site, state, point, command.Operator, now, events);
        return (state, null, state.IsActive(point.Id) ? $"{point.Id} back in service (active: judged now)" : $"{point.Id} back in service");
    }

    /// <summary>
    /// How often the wall clock is compared with the bypasses' signed ends while any is in force, so
    /// a clock corrected forward ends a bypass on time even when no input arrives.
    /// </summary>
    public static readonly TimeSpan WallClockRecheck = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Runs before every decision while a bypass is in force: pulls each monotonic end in to the
    /// wall clock's, then ends every bypass whose time ran out; a point active then is judged at once.
    /// </summary>
    public static SiteState EndExpired(SiteDefinition site, SiteState state, Moment now, List<DomainEvent> events)
    {
        foreach (var (pointId, bypass) in state.Bypasses)
        {
            var current = bypass.Tightened(now, MaxBypass);
            if (current.EndedAt(now))
            {
                state = End(site, state, site.Point(pointId), null, now, events);
            }
            else if (!ReferenceEquals(current, bypass))
            {
                state = state with { Bypasses = state.Bypasses.SetItem(pointId, current) };
            }
        }

        return state;
    }

    /// <summary>When the earliest bypass ends (monotonic), or null.</summary>
    public static TimeSpan? NextDeadline(SiteState state)
    {
        // Asked on every decision, on the edge's path to the office; with no bypass in force (the
        // usual case) this returns before the map's Values allocate an enumerator.
        if (state.Bypasses.Count == 0)
        {
            return null;
        }

        TimeSpan? next = null;
        foreach (var bypass in state.Bypasses.Values)
        {
            next = next is { } n && n <= bypass.Deadline ? n : bypass.Deadline;
        }

        return next;
    }

    private static SiteState End(SiteDefinition site, SiteState state, PointDefinition point, string? by, Moment now, List<DomainEvent> events)
    {
        events.Add(new PointUnbypassed(now.Utc, point.Id, point.Kind, point.Zone, by));
        state = state with { Bypasses = state.Bypasses.Remove(point.Id) };
        // A point that is active when it comes back into service is an alarm now, as on any panel:
        // a door left open under a bypass must not stay open unnoticed after it. A door whose alarm
        // is still active from before the bypass is not raised twice.
        if (!state.IsActive(point.Id) || DoorSupervision.HasActiveAlarm(site, state, point))
        {
            return state;
        }

        if (point.Kind == PointKind.Tamper)
        {
            // A tamper switch's alarm is its activation, reported unbypassed now: nothing in OnActive
            // raises one, so an enclosure still open went unreported, and the all-clear approvals
            // given meanwhile stood (AlarmNews).
            events.Add(new PointActivated(now.Utc, point.Id, point.Kind, point.Zone));
        }

        return SiteDecider.OnActive(site, state, point, now, events);
    }

    public static (SiteState, string?, string) Acknowledge(SiteState state, OfficeCommandInput input, Moment now, List<DomainEvent> events)
    {
        var command = input.Command.Command;
        if (input.Acknowledged is not { } alarm)
        {
            return (state, $"no event {command.StringArgument("event_id")} in this gateway's journal", "");
        }

        if (alarm.Severity < Severity.Alarm)
        {
            return (state, $"event {alarm.Id} is a {alarm.Type} ({alarm.Severity}), not an alarm", "");
        }

        // Only the alert that (re)started the sounding siren is silenced: an old lockdown's start, an
        // earlier press before a newer retrigger, a door alarm or a fire never silences it. Nor is an
        // evacuation's: there the siren is the instruction to leave, not an alert to acknowledge.
        // A real trigger refused under the running scenario restarts its siren too (ModeChanges),
        // unless a shelter in place ran or was asked for: the refusal's event says which, so a
        // refused shelter that left the siren alone cannot silence the siren a panic sounded.
        var prefix = ModeTypes.Prefix(state.Mode) + ".";
        var restarts = alarm.Type == prefix + "started" || alarm.Type == prefix + "retriggered"
            || (alarm.Type == "lockdown.start-refused" && !alarm.Drill && alarm.SirenRestarted);
        var silence = state.SirenSounding && state.Mode is SiteMode.Lockdown or SiteMode.ShelterInPlace
            && restarts && SoundsFor(state, alarm);
        events.Add(new AlarmAcknowledged(now.Utc, alarm.Id, alarm.Type, alarm.Point, command.Operator, silence) { Drill = alarm.Drill });
        return silence
            ? (state with { SirenUntil = null }, null, $"{alarm.Type} acknowledged; siren silenced, the {state.Mode} goes on")
            : (state, null, $"{alarm.Type} acknowledged");
    }

    // Whether the siren sounds for this start, retrigger or refusal that sounded it. By the
    // journal's order first: the host looked it up as the latest such alert, none journaled after
    // it. Not by wall time: after a clock step back (or a press on a boot clock behind by the
    // outage) a newer press is stamped before an older one, and acknowledging the older one
    // silenced the siren the newer one restarted. SirenSince then only closes the window the
    // lookup leaves, a press decided after the command was looked up, which the journal could not
    // know of: an alert stamped before it is older, unless the clock stepped back in that window
    // too. After a restart, until the next alert, the siren sounds for the latest alert before
    // it, by the journal's order alone: a press on a boot clock behind is stamped before the
    // start of the lockdown it retriggered, and comparing stamps there left a siren nothing could
    // silence. The order rules out an older episode's alerts: the running scenario's start, a
    // takeover's and a resume's included, is a lockdown start journaled after them. A shelter
    // never sounds the siren, so an alert of a lockdown it took over silences nothing.
    // A drill's alert never silences a real siren, nor a real alert a drill's: a drill never
    // masks a real scenario. Only a real scenario read late and put back over a drill started
    // since the boot (SiteController.Reapply) runs after a later alert of the other kind.
    private static bool SoundsFor(SiteState state, JournaledAlarm alarm) =>
        alarm.LatestStartOrRetrigger && alarm.Drill == state.Lockdown?.Drill
        && (state.SirenSince is { } sounding ? alarm.At >= sounding : state.Lockdown is not null);

    public static (SiteState, string?, string) Rebirth(SiteState state, CommandEnvelope command, Moment now, List<DomainEvent> events)
    {
        events.Add(new StateRepublishRequested(now.Utc, command.Operator));
        return (state, null, "every retained state topic is republished after this command's event");
    }
}
