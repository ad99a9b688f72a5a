using System.Collections.Immutable;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// The part of the state that must survive power loss. It is written to disk before any output
/// acts on it, and restored before outputs are driven at boot.
/// </summary>
/// <param name="Mode">The mode.</param>
/// <param name="Lockdown">Details of the lockdown, if any.</param>
/// <param name="SirenSounding">Whether the siren was sounding.</param>
/// <param name="LifeSafety">Whether egress was released for a fire: a power cut must not re-lock it.</param>
/// <param name="DoorReleases">
/// Doors a request to exit or delayed egress holds released (or is about to). Delayed egress is
/// irreversible, so a power cut must neither cancel it nor relock the door.
/// </param>
/// <param name="ThreatLevel">The threat level; null when never changed (the configured initial level).</param>
/// <param name="DoorAlarms">Doors with a forced or held-open alarm active, so each is restored after a restart.</param>
/// <param name="Bypasses">Points bypassed by the office, each until its signed end: a restart neither forgets nor extends one.</param>
/// <param name="Suspensions">
/// Real scenarios the running one took over or kept under it, the one that runs again next last: a
/// power cut must neither unlock what they keep locked nor forget that they run again when the
/// running one ends.
/// </param>
/// <param name="Breaches">
/// Perimeter points whose breach was raised and which have not restored since: the boot judges an
/// armed perimeter point it finds active only when it is not here (one cut while the gateway was
/// off), so a fence the office already dealt with does not alarm again at every restart.
/// </param>
/// <param name="BreachesUnrecorded">
/// True for a row saved before the record existed (loaded only): which active points were dealt
/// with is not known, so the boot takes every active perimeter point as judged, as it used to.
/// </param>
/// <param name="HeldPanics">
/// Panic buttons (silent hold-ups too) whose press was decided and which have not restored since:
/// the boot decides a panic button it finds held only when it is not here (pressed while the
/// gateway was off, or released and pressed again), so a stuck or cut button does not retrigger
/// its lockdown, and sound the siren the office acknowledged, at every restart. A record the
/// config now contradicts is dropped at the restore (<see cref="SiteState.HeldPressFits"/>). Null when not
/// recorded: a row saved before the record existed, or a quiet state in normal mode, where an
/// empty record decides alike (<see cref="SiteState.Restore"/> says what the boot then assumes).
/// </param>
/// <param name="FireRaised">
/// The fire inputs that raised <c>fire.alarm</c> under the saved fire release
/// (<see cref="SiteState.FireRaised"/>): the settle at boot raises it for a fire input it finds
/// active only when it is not here (one that went active while the gateway was off, in another
/// zone), so an input that raised before the restart is not raised again at every reboot. Null
/// when none is recorded: no release, or a row saved before the record existed, where the boot
/// raises every active fire input once (an extra alarm once, never a silent zone).
/// </param>
public sealed record SafetyState(
    SiteMode Mode,
    LockdownInfo? Lockdown,
    bool SirenSounding,
    LifeSafety LifeSafety = LifeSafety.Normal,
    ImmutableSortedDictionary<string, DoorRelease>? DoorReleases = null,
    int? ThreatLevel = null,
    ImmutableSortedDictionary<string, DoorAlarm>? DoorAlarms = null,
    ImmutableSortedDictionary<string, PointBypass>? Bypasses = null,
    ImmutableList<SuspendedScenario>? Suspensions = null,
    ImmutableSortedSet<string>? Breaches = null,
    bool BreachesUnrecorded = false,
    ImmutableSortedSet<string>? HeldPanics = null,
    ImmutableSortedSet<string>? FireRaised = null)
{
    /// <summary>The fire inputs that raised under the saved release; empty when none is recorded.</summary>
    public ImmutableSortedSet<string> FireRaisedInputs => FireRaised ?? ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>
    /// The record of <see cref="FireRaised"/> as <paramref name="site"/> restores it: only under the
    /// release it belongs to (the reset clears it), and without an input that is no longer a fire
    /// input (named in <c>gateway.started</c>), so one configured again later raises once more.
    /// </summary>
    public ImmutableSortedSet<string> FireRaisedIn(SiteDefinition site)
    {
        ArgumentNullException.ThrowIfNull(site);
        return LifeSafety == LifeSafety.FireEgressReleased
            ? FireRaisedInputs.Where(id => site.FindPoint(id) is { Kind: PointKind.FireAlarm }).ToImmutableSortedSet(StringComparer.Ordinal)
            : ImmutableSortedSet.Create<string>(StringComparer.Ordinal);
    }

    /// <summary>The perimeter points whose breach was raised and which are still active; empty when none.</summary>
    public ImmutableSortedSet<string> BreachedPoints => Breaches ?? ImmutableSortedSet.Create<string>(StringComparer.Ordinal);

    /// <summary>The suspended scenarios, the next to run again last; empty when none.</summary>
    public ImmutableList<SuspendedScenario> SuspendedScenarios => Suspensions ?? [];

    /// <summary>Point id → its bypass; empty when none.</summary>
    public ImmutableSortedDictionary<string, PointBypass> BypassedPoints => Bypasses ?? ImmutableSortedDictionary.Create<string, PointBypass>(StringComparer.Ordinal);

    /// <summary>Door id → its active alarms; empty when none.</summary>
    public ImmutableSortedDictionary<string, DoorAlarm> ActiveDoorAlarms => DoorAlarms ?? ImmutableSortedDictionary.Create<string, DoorAlarm>(StringComparer.Ordinal);

    /// <summary>The state of a gateway that has never been in lockdown.</summary>
    public static SafetyState Initial { get; } = new(SiteMode.Normal, null, false);

    /// <summary>Door id → how it is released; empty when none.</summary>
    public ImmutableSortedDictionary<string, DoorRelease> ReleasedDoors => DoorReleases ?? ImmutableSortedDictionary.Create<string, DoorRelease>(StringComparer.Ordinal);

    /// <summary>Value equality, the door map included: the controller saves only when this changes.</summary>
    public bool Equals(SafetyState? other) =>
        other is not null && Mode == other.Mode && Equals(Lockdown, other.Lockdown) && SirenSounding == other.SirenSounding
        && LifeSafety == other.LifeSafety && ReleasedDoors.SequenceEqual(other.ReleasedDoors) && ThreatLevel == other.ThreatLevel
        && ActiveDoorAlarms.SequenceEqual(other.ActiveDoorAlarms) && BypassedPoints.SequenceEqual(other.BypassedPoints)
        && SuspendedScenarios.SequenceEqual(other.SuspendedScenarios) && BreachedPoints.SetEquals(other.BreachedPoints)
        && BreachesUnrecorded == other.BreachesUnrecorded
        && (HeldPanics is null ? other.HeldPanics is null : other.HeldPanics is not null && HeldPanics.SetEquals(other.HeldPanics))
        && FireRaisedInputs.SetEquals(other.FireRaisedInputs);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Mode, Lockdown, SirenSounding, LifeSafety, ReleasedDoors.Count);
}
