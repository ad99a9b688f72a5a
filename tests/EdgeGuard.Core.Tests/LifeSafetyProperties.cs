using CsCheck;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>The life-safety rules over long random sequences of inputs and time (see <see cref="LockdownProperties"/>).</summary>
public sealed class LifeSafetyProperties
{
    private static readonly SiteDefinition Site = LockdownProperties.Site;

    [Fact]
    public void While_a_fire_input_is_active_every_egress_lock_is_released_in_every_mode()
    {
        LockdownProperties.Scenario.Sample(steps => LockdownProperties.Run(steps, (_, _, decision) =>
        {
            var fire = Site.Points.Any(p => p.Kind == PointKind.FireAlarm && decision.State.IsActive(p.Id));
            if (!fire)
            {
                return;
            }

            Assert.True(decision.State.FireEgressReleased, $"fire active but egress not released in {decision.State.Mode}");
            var plan = OutputPlan.For(Site, decision.State);
            Assert.All(Site.Outputs.Where(o => o.Kind == OutputKind.Lock && o.Egress), o => Assert.False(plan.IsActive(o.Id), $"{o.Id} locked during a fire"));
        }), iter: 400);
    }

    [Fact]
    public void The_fire_release_ends_only_by_an_authorised_reset_with_no_fire_input_active()
    {
        LockdownProperties.Scenario.Sample(steps => LockdownProperties.Run(steps, (before, input, decision) =>
        {
            if (!before.FireEgressReleased || decision.State.FireEgressReleased)
            {
                return;
            }

            var change = Assert.IsType<PointChanged>(input);
            Assert.True(change.Active);
            Assert.Contains(change.PointId, Site.FireReset.FireResetKeyswitches);
            Assert.DoesNotContain(Site.Points, p => p.Kind == PointKind.FireAlarm && before.IsActive(p.Id));
            Assert.Contains(decision.Events, e => e is FireReset);
        }), iter: 400);
    }

    [Fact]
    public void Every_fire_alarm_raised_is_reset_or_still_active_at_the_end()
    {
        LockdownProperties.Scenario.Sample(steps =>
        {
            var open = 0;
            SiteState? last = null;
            LockdownProperties.Run(steps, (_, _, decision) =>
            {
                open += decision.Events.Count(e => e is FireAlarmRaised) - decision.Events.Count(e => e is FireReset);
                Assert.InRange(open, 0, 1);
                last = decision.State;
            });

            Assert.Equal(last?.FireEgressReleased == true ? 1 : 0, open);
        }, iter: 400);
    }
}
