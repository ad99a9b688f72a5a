using System.Collections.Immutable;
using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.WalkTest;

/// <summary>
/// The levels the walk test holds its outputs at: the gateway's boot plan of the saved safety state, less
/// what the gateway would end by itself within seconds or minutes of its boot. The walk test reacts to
/// nothing but a fire (<see cref="WalkTestFireRelease"/>), so a timed output it opened would last the whole test.
/// </summary>
/// <remarks>
/// Dropped from the saved state:
/// <list type="bullet">
/// <item>an exit button's release (<see cref="DoorRelease.RequestToExit"/>): the gateway relocks after the
/// door's <c>releaseSeconds</c>; held, a normally locked door would stand unlocked for hours;</item>
/// <item>a delayed-egress countdown (<see cref="DoorRelease.DelayedEgressCounting"/>): its local sounder
/// would sound for the whole test, and the door it was counting towards opening stays locked;</item>
/// <item>the scenario's siren time (<see cref="SafetyState.SirenSounding"/>), lockdown or fire alike: the
/// gateway's <c>sirenSeconds</c> would have ended it, the walk test is a maintenance activity the
/// office was told of, and sounders for a fire are the fire panel's, never the gateway's
/// (<see cref="OutputPlan.For"/> sounds no siren for a fire).</item>
/// </list>
/// Kept, as the gateway would hold them until somebody ends them: a lockdown or other scenario (its locks,
/// strobes and lamps), a fire's release of the egress doors (a latched fire keeps every egress door
/// unlocked: the safe side for people leaving), and a latched delayed-egress release with its local
/// sounder (irreversible until relocked with the key).
/// </remarks>
internal static class WalkTestBootPlan
{
    /// <summary>The saved state without its timed releases and siren time.</summary>
    public static SafetyState Held(SafetyState saved)
    {
        ArgumentNullException.ThrowIfNull(saved);
        var latched = saved.ReleasedDoors.Where(d => d.Value == DoorRelease.DelayedEgressReleased).ToImmutableSortedDictionary(StringComparer.Ordinal);
        return saved with { SirenSounding = false, DoorReleases = latched.Count == 0 ? null : latched };
    }

    /// <summary>The plan the walk test opens its outputs at.</summary>
    public static OutputPlan For(SiteDefinition site, SafetyState saved, Moment now) => PlanOf(site, Held(saved), now);

    /// <summary>
    /// The outputs <paramref name="plan"/> holds away from their normal state (a site never in lockdown,
    /// nothing released), with the state held: the technician must know a door stands open or locked.
    /// </summary>
    public static IReadOnlyList<(OutputDefinition Output, bool Active)> NotAtNormal(SiteDefinition site, OutputPlan plan, Moment now)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(plan);
        var normal = PlanOf(site, SafetyState.Initial, now);
        return [.. site.Outputs.Where(o => plan.IsActive(o.Id) != normal.IsActive(o.Id)).Select(o => (o, plan.IsActive(o.Id)))];
    }

    /// <summary>The plan of <paramref name="safety"/> with every point at rest.</summary>
    public static OutputPlan PlanOf(SiteDefinition site, SafetyState safety, Moment now) =>
        OutputPlan.For(site, SiteState.Restore(site, safety, new Dictionary<string, bool>(), now));
}
