using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// Which fire inputs raised <c>fire.alarm</c> under a latched release is saved with it
/// (<see cref="SafetyState.FireRaised"/>): a power cut neither raises an input again at every boot
/// nor leaves a second zone's fire, gone active while the gateway was off, without its alarm.
/// </summary>
public sealed class FireRaisedRestartTests
{
    // A second zone's fire input, beside the panel's.
    private static readonly SiteDefinition Site = TestSite.Create() is var site
        ? site with { Points = [.. site.Points, new("fire-2", PointKind.FireAlarm, 24, ActiveHigh: true, LinePull.Down, TestSite.FireLockout, "a")] }
        : throw new InvalidOperationException();

    private static Decision Step(SiteDefinition site, SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(site, state, new PointChanged(point, active), TestSite.At(at));

    private static SiteState Quiet() =>
        SiteDecider.Decide(Site, SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0)), InputsSettled.Instance, TestSite.At(0.1)).State;

    // A power cut: the saved state restored with the levels read at boot, then the settle.
    private static Decision Reboot(SiteDefinition site, SafetyState saved, double at, params string[] active) =>
        SiteDecider.Decide(site, SiteState.Restore(site, saved, active.ToDictionary(p => p, _ => true), TestSite.At(at)), InputsSettled.Instance, TestSite.At(at + 0.1));

    [Fact]
    public void The_inputs_that_raised_are_saved_with_the_release_and_cleared_by_its_reset()
    {
        var first = Step(Site, Quiet(), "fire-panel", true, 1).State;
        var second = Step(Site, Step(Site, first, "fire-panel", false, 2).State, "fire-2", true, 3).State;

        Assert.Equal(["fire-panel"], first.Safety.FireRaised!);
        Assert.Equal(["fire-2", "fire-panel"], second.Safety.FireRaised!);

        var reset = Step(Site, Step(Site, second, "fire-2", false, 4).State, "key-fire", true, 5).State;

        Assert.Equal(LifeSafety.Normal, reset.LifeSafety);
        Assert.Null(reset.Safety.FireRaised);
        Assert.Equal(SafetyState.Initial, Step(Site, reset, "key-fire", false, 6).State.Safety);
    }

    [Fact]
    public void An_input_that_raised_before_the_restart_raises_nothing_at_boot_nor_at_its_next_edge()
    {
        var burning = Step(Site, Quiet(), "fire-panel", true, 1).State;

        var boot = Reboot(Site, burning.Safety, 500, "fire-panel");
        var edge = Step(Site, Step(Site, boot.State, "fire-panel", false, 501).State, "fire-panel", true, 502);

        Assert.DoesNotContain(boot.Events, e => e is FireAlarmRaised);
        Assert.DoesNotContain(edge.Events, e => e is FireAlarmRaised);
        Assert.Equal(burning.Safety, boot.State.Safety);
    }

    [Fact]
    public void A_second_fire_input_gone_active_while_the_gateway_was_off_raises_fire_alarm_once_at_boot()
    {
        // The panel raised and released egress; power was cut; the second zone's detector went off
        // in the dark. The office must hear of that fire, not only of a point active at boot.
        var burning = Step(Site, Quiet(), "fire-panel", true, 1).State;

        var boot = Reboot(Site, burning.Safety, 500, "fire-panel", "fire-2");

        var raised = Assert.IsType<FireAlarmRaised>(Assert.Single(boot.Events, e => e is FireAlarmRaised));
        Assert.Equal(("fire-2", "a"), (raised.PointId, raised.Zone));
        Assert.Equal(["fire-2", "fire-panel"], boot.State.Safety.FireRaised!);
        Assert.False(OutputPlan.For(Site, boot.State).IsActive("lock-egress"));

        // Saved so: the next boot, both still active, raises neither again.
        var again = Reboot(Site, boot.State.Safety, 900, "fire-panel", "fire-2");
        Assert.DoesNotContain(again.Events, e => e is FireAlarmRaised);
        var edge = Step(Site, Step(Site, again.State, "fire-2", false, 901).State, "fire-2", true, 902);
        Assert.DoesNotContain(edge.Events, e => e is FireAlarmRaised);
    }

    [Fact]
    public void A_row_saved_before_the_record_raises_each_active_fire_input_once_at_the_first_boot()
    {
        // Upgraded from schema 19: the release is saved, which inputs raised under it is not.
        // Safety first: one extra fire.alarm for the panel that raised before the upgrade, never a
        // missed one for the zone that went active while the gateway was off.
        var saved = Step(Site, Quiet(), "fire-panel", true, 1).State.Safety with { FireRaised = null };

        var boot = Reboot(Site, saved, 500, "fire-panel", "fire-2");

        Assert.Equal(["fire-2", "fire-panel"], boot.Events.OfType<FireAlarmRaised>().Select(e => e.PointId).Order(StringComparer.Ordinal));
        Assert.Equal(["fire-2", "fire-panel"], boot.State.Safety.FireRaised!);
        Assert.DoesNotContain(Reboot(Site, boot.State.Safety, 900, "fire-panel", "fire-2").Events, e => e is FireAlarmRaised);
    }

    [Fact]
    public void Without_a_saved_release_every_fire_input_active_at_boot_raises_its_own_alarm()
    {
        // As at runtime, where each zone's leading edge raises: the first releases egress, the
        // second is a second fire.
        var boot = Reboot(Site, SafetyState.Initial, 0, "fire-panel", "fire-2");

        Assert.Equal(["fire-2", "fire-panel"], boot.Events.OfType<FireAlarmRaised>().Select(e => e.PointId).Order(StringComparer.Ordinal));
        Assert.Equal(LifeSafety.FireEgressReleased, boot.State.LifeSafety);
        Assert.Equal(["fire-2", "fire-panel"], boot.State.Safety.FireRaised!);
    }

    [Fact]
    public void A_fire_input_removed_from_the_config_leaves_the_record_and_raises_again_once_configured_again()
    {
        var bothRaised = Step(Site, Step(Site, Quiet(), "fire-panel", true, 1).State, "fire-2", true, 2).State;
        var withoutSecond = Site with { Points = [.. Site.Points.Where(p => p.Id != "fire-2")] };

        var restored = SiteState.Restore(withoutSecond, bothRaised.Safety, ImmutableDictionary<string, bool>.Empty, TestSite.At(500));
        Assert.Equal(["fire-panel"], restored.FireRaised);

        var boot = Reboot(withoutSecond, bothRaised.Safety, 500, "fire-panel");
        var back = Reboot(Site, boot.State.Safety, 900, "fire-panel", "fire-2");

        Assert.DoesNotContain(boot.Events, e => e is FireAlarmRaised);
        Assert.Equal("fire-2", Assert.IsType<FireAlarmRaised>(Assert.Single(back.Events, e => e is FireAlarmRaised)).PointId);
    }

    [Fact]
    public void A_record_saved_without_a_release_is_not_restored()
    {
        // The reset clears the record with the release; a row holding one without it is not taken
        // as inputs that raised (a release started at boot is a new fire).
        var saved = SafetyState.Initial with { FireRaised = ImmutableSortedSet.Create(StringComparer.Ordinal, "fire-panel") };

        var boot = Reboot(Site, saved, 500, "fire-panel");

        Assert.Equal("fire-panel", Assert.IsType<FireAlarmRaised>(Assert.Single(boot.Events, e => e is FireAlarmRaised)).PointId);
    }
}
