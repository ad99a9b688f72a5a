namespace EdgeGuard.Core.Lockdown;

/// <summary>
/// An office-signed bypass of one point: until <see cref="Until"/> the point's activations are
/// reported (flagged <c>bypassed</c>) but raise no alarm and start nothing. Persisted with the
/// safety state, so a restart neither forgets a bypass nor extends it.
/// </summary>
/// <param name="Until">When the bypass ends (UTC, as signed by the office).</param>
/// <param name="Operator">Who signed it.</param>
public sealed record PointBypass(DateTimeOffset Until, string Operator);

/// <summary>
/// A bypass in force: the signed grant and the monotonic moment it ends. The bypass ends at
/// whichever of the two comes first, so neither a wall clock set back nor a suspended monotonic
/// clock can make it last longer than the office signed for.
/// </summary>
/// <param name="Grant">What the office signed.</param>
/// <param name="Deadline">Monotonic end, computed when the bypass started (or at boot).</param>
public sealed record ActiveBypass(PointBypass Grant, TimeSpan Deadline)
{
    /// <summary>Whether the bypass has run out at <paramref name="now"/>.</summary>
    public bool EndedAt(Moment now) => now.Monotonic >= Deadline || now.Utc >= Grant.Until;

    /// <summary>
    /// A bypass in force from <paramref name="now"/> until the grant's end. The time left is capped
    /// at <paramref name="longest"/>: a gateway booting with its clock set back must not turn a
    /// bypass of hours into one of days.
    /// </summary>
    public static ActiveBypass From(PointBypass grant, Moment now, TimeSpan longest)
    {
        ArgumentNullException.ThrowIfNull(grant);
        return new ActiveBypass(grant, now.Monotonic + Left(grant, now, longest));
    }

    /// <summary>
    /// The same bypass with its monotonic end pulled in when the wall clock says it ends sooner (a
    /// clock corrected forward by NTP); never pushed out.
    /// </summary>
    public ActiveBypass Tightened(Moment now, TimeSpan longest)
    {
        var byWallClock = now.Monotonic + Left(Grant, now, longest);
        return byWallClock < Deadline ? this with { Deadline = byWallClock } : this;
    }

    private static TimeSpan Left(PointBypass grant, Moment now, TimeSpan longest)
    {
        var left = grant.Until - now.Utc;
        return left <= TimeSpan.Zero ? TimeSpan.Zero : left > longest ? longest : left;
    }
}
