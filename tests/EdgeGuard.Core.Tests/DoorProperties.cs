using CsCheck;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>Door rules over long random sequences of inputs and time (see <see cref="LockdownProperties"/>).</summary>
public sealed class DoorProperties
{
    private static readonly SiteDefinition Site = LockdownProperties.Site;

    [Fact]
    public void In_a_lockdown_no_request_to_exit_or_delayed_egress_opens_a_non_egress_lock_in_scope()
    {
        LockdownProperties.Scenario.Sample(steps => LockdownProperties.Run(steps, (_, _, decision) =>
        {
            if (decision.State.Mode != SiteMode.Lockdown)
            {
                return;
            }

            var plan = OutputPlan.For(Site, decision.State);
            Assert.All(
                Site.Outputs.Where(o => o.Kind == OutputKind.Lock && !o.Egress && Site.Lockdown.Covers(o.Zone)),
                o => Assert.True(plan.IsActive(o.Id), $"{o.Id} open during a lockdown"));
        }), iter: 400);
    }

    [Fact]
    public void Every_door_alarm_raised_is_restored_or_still_active_at_the_end()
    {
        LockdownProperties.Scenario.Sample(steps =>
        {
            var raised = new Dictionary<string, int>();
            SiteState? last = null;
            LockdownProperties.Run(steps, (_, _, decision) =>
            {
                foreach (var e in decision.Events)
                {
                    var (key, delta) = e switch
                    {
                        DoorForced f => ($"forced:{f.DoorId}", 1),
                        DoorForcedRestored f => ($"forced:{f.DoorId}", -1),
                        DoorHeldOpen h => ($"held:{h.DoorId}", 1),
                        DoorHeldOpenRestored h => ($"held:{h.DoorId}", -1),
                        _ => ("", 0),
                    };
                    if (delta != 0)
                    {
                        raised[key] = raised.GetValueOrDefault(key) + delta;
                        Assert.InRange(raised[key], 0, 1); // never raised twice, never restored unraised
                    }
                }

                last = decision.State;
            });

            foreach (var door in Site.DoorList)
            {
                var state = last is null ? DoorState.Quiet : DoorSupervision.Of(last, door.Id);
                Assert.Equal(state.Forced ? 1 : 0, raised.GetValueOrDefault($"forced:{door.Id}"));
                Assert.Equal(state.HeldOpen ? 1 : 0, raised.GetValueOrDefault($"held:{door.Id}"));
            }
        }, iter: 400);
    }
}
