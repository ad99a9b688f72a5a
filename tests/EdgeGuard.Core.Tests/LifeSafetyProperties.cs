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
    public void Every_fire_input_leading_edge_raises_a_fire_alarm_once_per_release()
    {
        // A second fire while the first release is latched is news for the office as the first
        // was; the same input again under that release (a chattering terminal) is not.
        var heldBack = 0;
        LockdownProperties.Scenario.Sample(steps =>
        {
            var raised = new HashSet<string>(StringComparer.Ordinal);
            LockdownProperties.Run(steps, (before, input, decision) =>
            {
                var edge = input is PointChanged { Active: true } change && Site.FindPoint(change.PointId) is { Kind: PointKind.FireAlarm }
                    && !before.IsActive(change.PointId);
                var id = (input as PointChanged)?.PointId;
                var news = edge && !(before.FireEgressReleased && raised.Contains(id!));
                Assert.Equal(news ? 1 : 0, decision.Events.Count(e => e is FireAlarmRaised));
                if (edge && !news)
                {
                    Interlocked.Increment(ref heldBack);
                }

                if (news)
                {
                    raised.Add(id!);
                }

                if (decision.Events.Any(e => e is FireReset))
                {
                    raised.Clear();
                }
            });
        }, iter: 400);

        Assert.True(heldBack > 0, "no walk had a fire input go active again under its own latched release");
    }

    [Fact]
    public void Every_fire_alarm_raised_is_reset_or_still_active_at_the_end()
    {
        LockdownProperties.Scenario.Sample(steps =>
        {
            var open = 0;
            SiteState? last = null;
            LockdownProperties.Run(steps, (before, _, decision) =>
            {
                // The alarms that released egress: one raised while it was latched already (a
                // second fire) has no reset of its own.
                var releasing = before.FireEgressReleased ? 0 : decision.Events.Count(e => e is FireAlarmRaised);
                open += releasing - decision.Events.Count(e => e is FireReset);
                Assert.InRange(open, 0, 1);
                last = decision.State;
            });

            Assert.Equal(last?.FireEgressReleased == true ? 1 : 0, open);
        }, iter: 400);
    }
}
