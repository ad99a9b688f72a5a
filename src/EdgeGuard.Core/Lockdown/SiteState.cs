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
}

/// <summary>Who or what started the current lockdown.</summary>
/// <param name="Cause">A short machine-readable cause, e.g. <c>panic-button</c>.</param>
/// <param name="Point">The point that started it, when a point did.</param>
/// <param name="Since">When it started (UTC, for reports).</param>
public sealed record LockdownInfo(string Cause, string? Point, DateTimeOffset Since);

/// <summary>
/// The part of the state that must survive power loss. It is written to disk before any output
/// acts on it, and restored before outputs are driven at boot.
/// </summary>
/// <param name="Mode">The mode.</param>
/// <param name="Lockdown">Details of the lockdown, if any.</param>
/// <param name="SirenSounding">Whether the siren was sounding.</param>
/// <param name="LifeSafety">Whether egress was released for a fire: a power cut must not re-lock it.</param>
public sealed record SafetyState(SiteMode Mode, LockdownInfo? Lockdown, bool SirenSounding, LifeSafety LifeSafety = LifeSafety.Normal)
{
    /// <summary>The state of a gateway that has never been in lockdown.</summary>
    public static SafetyState Initial { get; } = new(SiteMode.Normal, null, false);
}

/// <summary>
/// The controller's whole state; immutable, replaced only by <see cref="SiteDecider.Decide"/>.
/// </summary>
/// <param name="Mode">Current mode.</param>
/// <param name="Lockdown">Details of the current lockdown, if any.</param>
/// <param name="SirenUntil">Monotonic deadline of the siren; null when silent.</param>
/// <param name="Points">Filtered state of every point (true = active).</param>
public sealed record SiteState(
    SiteMode Mode,
    LockdownInfo? Lockdown,
    TimeSpan? SirenUntil,
    ImmutableSortedDictionary<string, bool> Points)
{
    /// <summary>The life-safety overlay: egress released for a fire, whatever <see cref="Mode"/> says.</summary>
    public LifeSafety LifeSafety { get; init; }

    /// <summary>Whether egress locks are released for a fire.</summary>
    public bool FireEgressReleased => LifeSafety == LifeSafety.FireEgressReleased;

    /// <summary>Whether the siren is meant to be sounding.</summary>
    public bool SirenSounding => SirenUntil is not null;

    /// <summary>What must be persisted of this state.</summary>
    public SafetyState Safety => new(Mode, Lockdown, SirenSounding, LifeSafety);

    /// <summary>Whether a point is currently (filtered) active.</summary>
    public bool IsActive(string pointId) => Points.GetValueOrDefault(pointId);

    /// <summary>
    /// Rebuilds the state at boot from what was persisted and the settled input levels. A siren
    /// that was sounding at power loss sounds again for its full time: the alert was not finished.
    /// </summary>
    public static SiteState Restore(SiteDefinition site, SafetyState safety, IReadOnlyDictionary<string, bool> settledPoints, Moment now)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(safety);
        ArgumentNullException.ThrowIfNull(settledPoints);
        var points = site.Points.ToImmutableSortedDictionary(
            p => p.Id, p => settledPoints.GetValueOrDefault(p.Id), StringComparer.Ordinal);
        TimeSpan? siren = safety.SirenSounding ? now.Monotonic + site.Lockdown.SirenDuration : null;
        return new SiteState(safety.Mode, safety.Lockdown, siren, points) { LifeSafety = safety.LifeSafety };
    }
}
