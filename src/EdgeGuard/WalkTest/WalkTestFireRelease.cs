using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.WalkTest;

/// <summary>
/// The one rule of the gateway a walk test keeps: a fire input seen active releases the egress locks,
/// as the gateway's fire plan does (<see cref="LifeSafety.FireEgressReleased"/>), latched until the walk
/// test ends (the gateway's boot then decides again, reading the fire inputs first). Before, the walk test
/// reacted to nothing, so a fire during one (up to 4 h, 24 h with <c>--duration</c>) left every escape door
/// the gateway locks locked, with only a warning at the start to staff them. Nothing else is acted on:
/// the walk test is a maintenance activity, and a lockdown or exit button has people to answer it.
/// </summary>
/// <param name="site">The site walked.</param>
/// <param name="held">The safety state the outputs were opened at (<see cref="WalkTestBootPlan.Held"/>).</param>
/// <param name="outputs">The outputs, opened at the plan of <paramref name="held"/>.</param>
/// <param name="time">The walk test's clock.</param>
internal sealed class WalkTestFireRelease(SiteDefinition site, SafetyState held, IOutputLines outputs, TimeProvider time)
{
    // Already released when the gateway stopped under a latched fire: opened so.
    private bool _released = held.LifeSafety == LifeSafety.FireEgressReleased;

    /// <summary>
    /// A change the walk test saw. The first fire input seen active drives the fire plan and returns the
    /// outputs it moved, with why a write failed (null when it did not); null for anything else.
    /// </summary>
    public IReadOnlyList<(OutputDefinition Output, string? Failure)>? Seen(PointDefinition point, bool active)
    {
        ArgumentNullException.ThrowIfNull(point);
        if (_released || !active || point.Kind != PointKind.FireAlarm)
        {
            return null;
        }

        _released = true;
        var now = Moment.From(time);
        var before = WalkTestBootPlan.PlanOf(site, held, now);
        var fire = WalkTestBootPlan.PlanOf(site, held with { LifeSafety = LifeSafety.FireEgressReleased }, now);
        var moved = new List<(OutputDefinition, string?)>();
        foreach (var output in site.Outputs.Where(o => fire.IsActive(o.Id) != before.IsActive(o.Id)))
        {
            string? failure = null;
            try
            {
                outputs.Write(output.Id, output.LevelFor(fire.IsActive(output.Id)));
            }
#pragma warning disable CA1031 // Every lock is tried: one line that fails must not keep the others locked.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex.Message;
            }

            moved.Add((output, failure));
        }

        return moved;
    }
}
