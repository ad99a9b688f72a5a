namespace EdgeGuard.Core.Lockdown;

// What the controller says about the saved safety state: a save that failed (and its recovery),
// and a saved state the boot could not read in time or at all, including what a late read held.

/// <summary>
/// The safety state could not be written to disk (its save failed, or still ran past the controller's
/// bound for a late save, 2 s); outputs were still driven (safety first). Raised once per state that
/// could not be saved; the controller keeps saving it until <see cref="SafetyStateNotPersistedRestored"/>.
/// </summary>
public sealed record SafetyStateNotPersisted(DateTimeOffset At, string Reason) : DomainEvent(At)
{
    public override string Type => "fault.safety-state-not-persisted";
    public override Severity Severity => Severity.Critical;
}

/// <summary>
/// The safety state is on disk again after <see cref="SafetyStateNotPersisted"/>: a retried save took, so a
/// power cut from now on restores the state the gateway acts on. Raised once when a run of failed saves ends.
/// </summary>
/// <param name="At">When the save took.</param>
/// <param name="Mode">The mode saved, so the office sees which state a power cut now restores.</param>
public sealed record SafetyStateNotPersistedRestored(DateTimeOffset At, SiteMode Mode) : DomainEvent(At)
{
    public override string Type => "fault.safety-state-not-persisted-restored";
    public override Severity Severity => Severity.Info;
}

/// <summary>
/// The saved safety state could not be read at boot: its row is damaged (a field no release
/// writes), or it was not read within the controller's boot bound (the disk did not answer, or a
/// failure that may pass, such as the database busy, did not pass in time). The gateway booted in
/// the initial state (Normal: no lockdown, nothing released, bypassed or suspended), drove its
/// outputs to that plan and decides its inputs as usual; a lockdown or other scenario in force
/// before the restart may have been lost, so the office re-issues it if one was. One per boot; the
/// next save overwrites the row, so this event keeps what could be said about it. A load that
/// ends after the bound with a state other than the initial one raises a second one
/// (<see cref="ReadLate"/>) that says what the state held: re-applied (<see cref="Reapplied"/>)
/// when it held a scenario no scenario decided since the boot stood over, else not, so the office
/// re-issues it.
/// </summary>
/// <param name="At">When the boot gave up on the saved state, or when its late read ended.</param>
/// <param name="Problem">What was wrong: the store's reason, that it was not read in time, or
/// (<see cref="ReadLate"/>) what the late read held.</param>
public sealed record SafetyStateUnreadable(DateTimeOffset At, string Problem) : DomainEvent(At)
{
    public override string Type => "fault.safety-state-unreadable";
    public override Severity Severity => Severity.Critical;

    /// <summary>
    /// The saved state was read after the boot gave up on it, and held more than the initial
    /// state: the gateway runs without what it held, but what <see cref="Reapplied"/> and
    /// <see cref="FireReleaseReapplied"/> put back.
    /// </summary>
    public bool ReadLate { get; init; }

    /// <summary>
    /// With <see cref="ReadLate"/>: the scenario it held was put back in force, as a boot restores
    /// it (no scenario decided since the boot stood over it), and announced by a second
    /// <c>gateway.started</c> just before this event.
    /// </summary>
    public bool Reapplied { get; init; }

    /// <summary>
    /// With <see cref="ReadLate"/>: it held a scenario (a mode other than normal). Only then does
    /// the reason speak of re-issuing one.
    /// </summary>
    public bool HeldScenario { get; init; }

    /// <summary>
    /// With <see cref="ReadLate"/>: its fire release was put back in force (egress released, as a
    /// boot restores it), the site having neither released egress nor had a fire reset since.
    /// </summary>
    public bool FireReleaseReapplied { get; init; }

    /// <summary>
    /// With <see cref="ReadLate"/>: what it held that is not in force now (a threat level, point
    /// bypasses, door alarms or releases, a fire release reset since), for the reason.
    /// </summary>
    public IReadOnlyList<string> NotRestored { get; init; } = [];

    /// <summary>
    /// What it cost, then the problem: what the office reads in <c>data.reason</c>. The cost first,
    /// so that a long problem cut to the schema's length never cuts it off.
    /// </summary>
    public string Reason => ReadLate
        ? LateCost() + " " + Problem
        : "booted in normal mode, outputs at that plan: a lockdown or other scenario in force "
            + "before the restart may have been lost; re-issue it if one was. " + Problem;

    // Worded by what differs: a lockdown is spoken of only when a scenario was held, and what else
    // is lost (a threat level: perimeter breaches no longer start a lockdown) is named.
    private string LateCost()
    {
        var cost = new List<string>();
        if (Reapplied)
        {
            cost.Add("its scenario is in force again since then");
        }
        else if (HeldScenario)
        {
            cost.Add("re-issue the lockdown or other scenario it held");
        }

        if (FireReleaseReapplied)
        {
            cost.Add("its fire release is in force again (egress released until a fire reset)");
        }

        if (NotRestored.Count > 0)
        {
            cost.Add("not in force: " + string.Join(", ", NotRestored) + "; re-issue what is still wanted");
        }

        return "booted in normal mode without the saved state, which the disk handed over only later (below): "
            + (cost.Count > 0 ? string.Join("; ", cost) : "nothing it held is lost") + ".";
    }
}
