using CsCheck;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

public sealed partial class LockdownProperties
{
    [Fact]
    public void A_restart_with_every_input_as_it_was_presses_no_panic_button_again()
    {
        // Every active panic button was decided when it went active: a restart with the same
        // levels (a button stuck or cut through it) must not decide it again at the settle.
        var held = 0;
        Scenario.Sample(steps => Run(steps, (_, _, decision) =>
        {
            var state = decision.State;
            var restored = SiteState.Restore(Site, state.Safety, state.Points, TestSite.At(999_999));
            var settled = SiteDecider.Decide(Site, restored, InputsSettled.Instance, TestSite.At(999_999.1));

            Assert.DoesNotContain(settled.Events, e => e is LockdownRetriggered or LockdownStarted or LockdownStartRefused or SilentHoldUp
                && Site.FindPoint(e.Point ?? "") is { Kind: PointKind.PanicButton });
            Count(ref held, Site.Points.Any(p => p.Kind == PointKind.PanicButton && state.IsActive(p.Id)));
        }), iter: 400);

        Assert.True(held > MinReached, $"only {held} states with a panic button held");
    }

    [Fact]
    public void After_a_restart_with_the_same_inputs_a_held_panic_never_leaves_the_site_normal()
    {
        // A held panic button blocks every release, so a saved state in normal mode with one
        // held was decided under another config; with the config unchanged it never happens, and
        // a held record the config contradicts is dropped (SiteState.HeldPressFits).
        Scenario.Sample(steps => Run(steps, (_, _, decision) =>
        {
            var state = decision.State;
            var restored = SiteState.Restore(Site, state.Safety, state.Points, TestSite.At(999_999));
            var settled = SiteDecider.Decide(Site, restored, InputsSettled.Instance, TestSite.At(999_999.1)).State;
            var held = Site.Points.FirstOrDefault(p => p is { Kind: PointKind.PanicButton, Silent: false } && settled.IsActive(p.Id));
            Assert.False(held is not null && settled.Mode == SiteMode.Normal, $"panic {held?.Id} held after the restart, site normal (before: {state.Mode})");
        }), iter: 400);
    }

    [Fact]
    public void A_restart_with_every_input_as_it_was_raises_no_fire_alarm_again()
    {
        // Every active fire input raised fire.alarm when it went active, under the release it
        // latched or joined, and the saved record says so: a restart with the same levels (a
        // panel still in alarm through it) must not raise it again at the settle.
        var burning = 0;
        Scenario.Sample(steps => Run(steps, (_, _, decision) =>
        {
            var state = decision.State;
            var restored = SiteState.Restore(Site, state.Safety, state.Points, TestSite.At(999_999));
            var settled = SiteDecider.Decide(Site, restored, InputsSettled.Instance, TestSite.At(999_999.1));

            Assert.DoesNotContain(settled.Events, e => e is FireAlarmRaised);
            Assert.Equal(state.FireRaised, settled.State.FireRaised);
            Count(ref burning, Site.Points.Any(p => p.Kind == PointKind.FireAlarm && state.IsActive(p.Id)));
        }), iter: 400);

        Assert.True(burning > MinReached, $"only {burning} states with a fire input active");
    }
}
