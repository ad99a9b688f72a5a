using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>Site states for the retained-state tests: a lockdown is panic-1's, since a fixed time.</summary>
internal static class SiteStates
{
    /// <summary>When every lockdown these states show started.</summary>
    public static readonly DateTimeOffset Since = new(2026, 11, 23, 18, 59, 58, 250, TimeSpan.Zero);

    /// <summary>The site in <paramref name="mode"/> with <paramref name="points"/>, siren sounding in a lockdown.</summary>
    public static SiteState Of(SiteMode mode, params (string Point, bool Active)[] points) => new(
        mode,
        mode == SiteMode.Lockdown ? new LockdownInfo("panic-button", "panic-1", Since) : null,
        mode == SiteMode.Lockdown ? TimeSpan.FromMinutes(3) : null,
        points.ToImmutableSortedDictionary(p => p.Point, p => p.Active, StringComparer.Ordinal));
}
