using System.Collections.Immutable;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>The site's operating mode.</summary>
public enum SiteMode
{
    /// <summary>Day-to-day operation: locks at their normal state, no sirens.</summary>
    Normal,
    /// <summary>Every lock in scope locked, siren for its configured time, lamps on.</summary>
    Lockdown,
    /// <summary>Get everybody out: every egress lock released, sirens and strobes in scope.</summary>
    Evacuation,
    /// <summary>Keep everybody in: locks in scope locked (egress still opens from inside), strobes and lamps, no siren.</summary>
    ShelterInPlace,
}

/// <summary>Who or what started the current scenario (lockdown, evacuation, shelter in place).</summary>
/// <param name="Cause">A short machine-readable cause, e.g. <c>panic-button</c>.</param>
/// <param name="Point">The point that started it, when a point did.</param>
/// <param name="Since">When it started (UTC, for reports).</param>
/// <param name="Scenario">The running scenario's id.</param>
/// <param name="Drill">Whether it is a drill: same logic, events flagged, muted outputs silent.</param>
public sealed record LockdownInfo(string Cause, string? Point, DateTimeOffset Since, string Scenario = ScenarioDefinition.LockdownId, bool Drill = false);

/// <summary>
/// A real scenario another one took over, or a real lockdown or shelter a trigger asked for while
/// a higher-ranked real one ran (<c>lockdown.start-refused</c> with <c>suspended</c>). It is
/// suspended, not ended: the locks it keeps locked stay locked
/// (<see cref="OutputPlan.LockedByPolicy"/>), and it runs again when the one over it is ended by
/// its releaser. Only the office's two-supervisor all-clear ends them all at once.
/// </summary>
/// <param name="Mode">The mode it put the site in.</param>
/// <param name="Info">Who or what started it, and when.</param>
public sealed record SuspendedScenario(SiteMode Mode, LockdownInfo Info);

/// <summary>
/// The controller's whole state; immutable, replaced only by <see cref="SiteDecider.Decide"/>.
/// </summary>
/// <param name="Mode">Current mode.</param>
/// <param name="Lockdown">Details of the current lockdown, if any.</param>
/// <param name="SirenUntil">Monotonic deadline of the siren; null when silent.</param>
/// <param name="Points">Filtered state of every point (true = active).</param>
public sealed partial record SiteState(
    SiteMode Mode,
    LockdownInfo? Lockdown,
    TimeSpan? SirenUntil,
    ImmutableSortedDictionary<string, bool> Points)
{
    /// <summary>The life-safety overlay: egress released for a fire, whatever <see cref="Mode"/> says.</summary>
    public LifeSafety LifeSafety { get; init; }

    /// <summary>Door id → supervision and egress state; doors never touched are absent (quiet).</summary>
    public ImmutableSortedDictionary<string, DoorState> Doors { get; init; } = ImmutableSortedDictionary.Create<string, DoorState>(StringComparer.Ordinal);

    /// <summary>Point id → the office's bypass of it; points never bypassed are absent.</summary>
    public ImmutableSortedDictionary<string, ActiveBypass> Bypasses { get; init; } = ImmutableSortedDictionary.Create<string, ActiveBypass>(StringComparer.Ordinal);

    /// <summary>
    /// Real scenarios the running one took over, oldest first, and those it outranked kept in rank
    /// order among them (see <see cref="SuspendedScenario"/>); the last runs again first. Empty in
    /// normal mode and whenever nothing was taken over or kept.
    /// </summary>
    public ImmutableList<SuspendedScenario> Suspended { get; init; } = [];

    /// <summary>
    /// A supervisor's <c>technician-access</c> in force, with the same two-clock end as a bypass
    /// (<see cref="TechnicianAccess"/>); null when none is. Not persisted: a restart ends it.
    /// </summary>
    public TechnicianVisit? TechnicianAccess { get; init; }

    /// <summary>Signed all-clear approvals collected for the running scenario (two-person rule); not persisted.</summary>
    public Commands.TwoPersonApproval? AllClearApprovals { get; init; }

    /// <summary>
    /// The latest alert the supervisors must have seen, on both clocks: the start, takeover, resume
    /// or retrigger of the running scenario, a trigger refused under it, an alarm of the site while
    /// it runs (<see cref="AlarmNews"/>: a door forced, a breach, a tamper, a silent hold-up, a
    /// fire), an all-clear refused for a held panic or hold-up button, or the restart. An all-clear signed before it (its <c>issued_at</c>,
    /// against <see cref="ApprovalsValidAt"/>) counts for nothing, however late it arrives:
    /// dropping <see cref="AllClearApprovals"/> when the alert is handled does not stop a command
    /// signed before it and queued at the broker. Not persisted: a restart drops the pending
    /// approvals and <see cref="Restore"/> sets this to the restart, so an all-clear signed before
    /// it is refused too (approve again).
    /// </summary>
    public Moment? ApprovalsValidFrom { get; init; }

    /// <summary>
    /// When <see cref="ApprovalsValidFrom"/>'s alert happened, judged at <paramref name="now"/>:
    /// the later of its wall-clock stamp and its time by the clock now (<paramref name="now"/>'s
    /// wall time less the monotonic time since). Null when there was none.
    /// </summary>
    /// <remarks>
    /// The stamp alone is not to be trusted: a gateway without an RTC boots with the clock last
    /// saved, behind by the outage, and an alert before NTP steps it is stamped minutes early, so
    /// all-clears signed before it but after its stamp lifted the lockdown. The monotonic clock
    /// does not step, and an all-clear reaches the decider only once the verifier found its
    /// <c>issued_at</c> within the skew of the clock now: by that clock, the one the office's
    /// is compared with, the alert happened exactly the monotonic time ago. The stamp is kept when
    /// later (a clock running fast at the alert and stepped back since): refusing an approval
    /// given in that gap is the safe side, and the gap is at most how fast the clock ran.
    /// </remarks>
    public DateTimeOffset? ApprovalsValidAt(Moment now) => JudgedAt(ApprovalsValidFrom, now);

    /// <summary>
    /// When <paramref name="then"/> happened by the clock <paramref name="now"/> reads: the later
    /// of its stamp and now's wall time less the monotonic time since (see
    /// <see cref="ApprovalsValidAt"/>'s remarks); null when <paramref name="then"/> is.
    /// </summary>
    private static DateTimeOffset? JudgedAt(Moment? then, Moment now)
    {
        if (then is not { } moment)
        {
            return null;
        }

        var byMonotonic = now.Utc - (now.Monotonic - moment.Monotonic);
        return moment.Utc >= byMonotonic ? moment.Utc : byMonotonic;
    }

    /// <summary>
    /// Points whose changes supervision withholds for chatter (<see cref="PointsSuppressed"/>):
    /// their state in <see cref="Points"/> is frozen, so a door held open is not judged on it. Not
    /// persisted: supervision starts afresh at a restart.
    /// </summary>
    public ImmutableSortedSet<string> SuppressedPoints { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>
    /// Points the gateway cannot read now (<see cref="PointsUnreadable"/>). Not persisted: the I/O
    /// board and the lines report what they still cannot read at every start.
    /// </summary>
    public ImmutableSortedSet<string> UnreadablePoints { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>
    /// The zones holding a perimeter point that were armed at the last decision that looked
    /// (<see cref="PerimeterArming"/>), so a zone that becomes armed has its active points judged
    /// once. Null when unknown (a state <see cref="Restore"/> did not make). Not persisted: the
    /// settled inputs at boot are judged against every armed zone.
    /// </summary>
    public ImmutableSortedSet<string>? ArmedZones { get; init; }

    /// <summary>
    /// Per zone an arming window armed, when the occurrence that armed it last opened (the latest
    /// opening of those open over it then; <see cref="PerimeterArming.Occurrence"/>). The zone
    /// armed again by an occurrence that opened no later is the same one coming round again (a
    /// clock running fast, stepped back out of it), and judges only the points no raised breach
    /// covers. Not persisted, as <see cref="ArmedZones"/>: <see cref="Restore"/> records the boot's.
    /// </summary>
    public ImmutableSortedDictionary<string, DateTimeOffset> ArmingOccurrences { get; init; } =
        ImmutableSortedDictionary.Create<string, DateTimeOffset>(StringComparer.Ordinal);

    /// <summary>
    /// The wall-clock time at monotonic zero as of the last decision that moved it
    /// (<see cref="Moment.Utc"/> less <see cref="Moment.Monotonic"/>): when a decision's differs
    /// by more than <see cref="PerimeterArming.WallClockStep"/>, the clock was stepped, and the
    /// arming windows it moved are re-baselined rather than judged as opening. Null when unknown
    /// (the next decision records it); not persisted (<see cref="Restore"/> records the boot's).
    /// </summary>
    public DateTimeOffset? WallClockOrigin { get; init; }

    /// <summary>
    /// Perimeter points whose breach was raised (<see cref="ThreatChanges"/>) and which have not
    /// restored since; persisted (<see cref="SafetyState.Breaches"/>), so the settle at boot tells
    /// a point cut while the gateway was off from one the office already dealt with.
    /// </summary>
    public ImmutableSortedSet<string> Breached { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>
    /// Restored from a row saved before <see cref="Breached"/> was; the settle then takes every
    /// active perimeter point as judged and records it (<see cref="SafetyState.BreachesUnrecorded"/>).
    /// </summary>
    public bool BreachesUnrecorded { get; init; }

    /// <summary>
    /// Panic buttons (silent hold-ups too) whose press was decided and which have not restored
    /// since; persisted (<see cref="SafetyState.HeldPanics"/>), so the settle at boot tells a
    /// button held through the restart (stuck, or its loop cut) from one pressed while the gateway
    /// was off, and does not retrigger the lockdown for the first.
    /// </summary>
    public ImmutableSortedSet<string> HeldPanics { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>
    /// Restored from a state without <see cref="SafetyState.HeldPanics"/> (a row saved before the
    /// record existed); the settle then takes a held panic button as decided only when it started
    /// the restored scenario or a suspended one (<see cref="SiteDecider"/>). Cleared once a press
    /// is recorded.
    /// </summary>
    public bool HeldPanicsUnrecorded { get; init; }

    /// <summary>
    /// The fire inputs that raised <c>fire.alarm</c> under the current release
    /// (<see cref="LifeSafetyTransitions"/>): a leading edge of one of them raises nothing more until a
    /// reset, so a chattering input (fire inputs are never held back for chatter) is one alarm,
    /// while another zone's input still raises its own. Cleared by the reset. Persisted with the
    /// release (<see cref="SafetyState.FireRaised"/>): the settle at boot raises an active fire
    /// input not in it once (it went active while the gateway was off), and not one that raised
    /// before the restart (<see cref="SiteDecider"/>).
    /// </summary>
    public ImmutableSortedSet<string> FireRaised { get; init; } = ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>Whether egress locks are released for a fire.</summary>
    public bool FireEgressReleased => LifeSafety == LifeSafety.FireEgressReleased;

    /// <summary>
    /// When the siren last (re)started: the time of the start, retrigger or resume that sounded it
    /// (UTC). An office acknowledgement silences it only for the latest alert by the journal's
    /// order (<see cref="JournaledAlarm.LatestStartOrRetrigger"/>) stamped at or after this: a
    /// press decided after the acknowledgement was looked up is newer than the journal knew.
    /// Acknowledging an earlier alarm must not silence a siren a newer panic press restarted. Not
    /// persisted: null after a restart until the next start or retrigger, while the siren sounds
    /// again for the alert before the restart; the journal then tells which alert that was
    /// (<see cref="JournaledAlarm.LatestStartOrRetrigger"/>), so no schema change is needed.
    /// </summary>
    public DateTimeOffset? SirenSince { get; init; }

    /// <summary>
    /// Whether the scenario's siren time is running (<c>sirenSounding</c> on
    /// <c>state/lockdown</c>). Which sirens that sounds is the output plan's: a drill's muted
    /// sirens and a scenario whose zones hold none stay silent while this is true
    /// (<see cref="OutputPlan.For"/>).
    /// </summary>
    public bool SirenSounding => SirenUntil is not null;

    /// <summary>What must be persisted of this state.</summary>
    /// <remarks>A field added here must be compared in <see cref="SameSafetyFieldsAs"/> too, or its changes are never saved.</remarks>
    public SafetyState Safety => new(Mode, Lockdown, SirenSounding, LifeSafety, DoorReleases(), ThreatLevelChosen ? ThreatLevel : null, DoorAlarms(),
        Bypasses.Count == 0 ? null : Bypasses.ToImmutableSortedDictionary(b => b.Key, b => b.Value.Grant, StringComparer.Ordinal),
        Suspended.Count == 0 ? null : Suspended, Breached.Count == 0 ? null : Breached, BreachesUnrecorded, HeldPanicsRecord(),
        FireRaised.Count == 0 ? null : FireRaised);

    /// <summary>
    /// When the next periodic test is due (monotonic; <see cref="PeriodicTest"/>); null while none
    /// is scheduled (before the inputs settle, or a site that sends none). Not persisted.
    /// </summary>
    public TimeSpan? PeriodicTestDue { get; init; }

    /// <summary>The current threat level (see <see cref="SiteDefinition.ThreatLevels"/>).</summary>
    public int ThreatLevel { get; init; } = 1;

    /// <summary>
    /// Whether somebody set the level (persisted then); otherwise it follows the config's initial
    /// level, so a changed <c>threatLevels.initial</c> applies after the next restart.
    /// </summary>
    public bool ThreatLevelChosen { get; init; }

    /// <summary>Whether a point is currently (filtered) active.</summary>
    public bool IsActive(string pointId) => Points.GetValueOrDefault(pointId);
}
