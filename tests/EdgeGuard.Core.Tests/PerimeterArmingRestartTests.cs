using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A restart with a perimeter point still active in an armed zone whose breach was raised before
/// it: the boot does not judge it again (the saved record of breached points holds it), so a
/// known cut fence does not start a lockdown at every power cut, nor retrigger (and sound again)
/// the one it started. One cut while the gateway was off is: PerimeterArmingBootTests.
/// </summary>
public sealed class PerimeterArmingRestartTests
{
    private static readonly SiteDefinition Site = PerimeterArmingTests.Site; // fence-a in zone a

    private static Decision Step(SiteState state, SiteInput input, double at) => SiteDecider.Decide(Site, state, input, TestSite.At(at));

    private static SiteState AtFive()
    {
        var quiet = PerimeterArmingTests.Quiet(Site);
        var five = Step(quiet, new PointChanged("key-threat5", true), 1).State;
        five = Step(five, new PointChanged("key-threat5", false), 2).State;
        Assert.Equal(5, five.ThreatLevel);
        return five;
    }

    // A guard cleared the breach lockdown: level 5, normal mode, fence still cut.
    [Fact]
    public void A_restart_with_a_known_cut_fence_starts_no_new_lockdown()
    {
        var cut = Step(AtFive(), new PointChanged("fence-a", true), 3);
        Assert.Contains(cut.Events, e => e is LockdownStarted);
        var key = Step(cut.State, new PointChanged("key-a", true), 4).State;
        var saved = Step(key, new PointChanged("key-a", false), 5).State.Safety;
        Assert.Equal(SiteMode.Normal, saved.Mode);

        var restored = SiteState.Restore(Site, saved, new Dictionary<string, bool> { ["fence-a"] = true }, TestSite.At(100));
        var settled = Step(restored, InputsSettled.Instance, 100.1);

        Assert.DoesNotContain(settled.Events, e => e is LockdownStarted);
        Assert.Equal(SiteMode.Normal, settled.State.Mode);
    }

    // The breach lockdown runs; its siren ended before the power cut. A restart sounds it again.
    [Fact]
    public void A_restart_during_a_breach_lockdown_does_not_retrigger_it()
    {
        var cut = Step(AtFive(), new PointChanged("fence-a", true), 3);
        Assert.Contains(cut.Events, e => e is LockdownStarted);
        var quietSiren = Step(cut.State, TimerTick.Instance, 3 + 3600).State;
        Assert.Null(quietSiren.SirenUntil);

        var restored = SiteState.Restore(Site, quietSiren.Safety, new Dictionary<string, bool> { ["fence-a"] = true }, TestSite.At(4000));
        Assert.Null(restored.SirenUntil);
        var settled = Step(restored, InputsSettled.Instance, 4000.1);

        Assert.DoesNotContain(settled.Events, e => e is LockdownRetriggered);
        Assert.Null(settled.State.SirenUntil);
    }
}
