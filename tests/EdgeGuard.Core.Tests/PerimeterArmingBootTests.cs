using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// The settle at boot judges an armed perimeter point found active that the saved record of
/// breached points (<see cref="SafetyState.Breaches"/>) does not hold: a fence cut while the
/// gateway was off is a breach then, once; one whose breach was raised before the restart is not
/// raised again. The record is part of the saved safety state, so it reaches the disk with the
/// decision that raised the breach (and any lockdown it started).
/// </summary>
public sealed class PerimeterArmingBootTests
{
    private static readonly SiteDefinition Site = PerimeterArmingTests.Site; // fence-a in zone a, armed at level 5

    private static Decision Step(SiteState state, SiteInput input, double at) => SiteDecider.Decide(Site, state, input, TestSite.At(at));

    private static Decision Key(SiteState state, string key, double at)
    {
        var turned = Step(state, new PointChanged(key, true), at).State;
        return Step(turned, new PointChanged(key, false), at + 0.5);
    }

    // Level 5 set, nothing active: what the gateway saved before its power went off.
    private static SafetyState FiveSaved() => Key(PerimeterArmingTests.Quiet(Site), "key-threat5", 1).State.Safety;

    // The boot: the saved state restored with the levels read at the settle, then the settle.
    private static Decision Boot(SafetyState saved, bool fenceCut, double at, string fence = "fence-a")
    {
        var restored = SiteState.Restore(Site, saved, new Dictionary<string, bool> { [fence] = fenceCut }, TestSite.At(at));
        return Step(restored, InputsSettled.Instance, at + 0.1);
    }

    [Fact]
    public void A_fence_cut_while_the_gateway_was_off_is_a_breach_at_the_settle()
    {
        var settled = Boot(FiveSaved(), fenceCut: true, 100);

        var breach = Assert.Single(settled.Events.OfType<PerimeterBreach>());
        Assert.Equal(("fence-a", 5, true), (breach.PointId, breach.ThreatLevel, breach.StartsLockdown));
        var started = Assert.Single(settled.Events.OfType<LockdownStarted>());
        Assert.Equal(("perimeter-breach", "fence-a"), (started.Cause, started.PointId));
        // Saved with the lockdown it started: a restart now does not raise it again.
        Assert.Equal(["fence-a"], settled.State.Safety.Breaches!);
        Assert.Equal(SiteMode.Lockdown, settled.State.Safety.Mode);
    }

    [Fact]
    public void A_fence_cut_while_off_in_a_zone_armed_without_a_lockdown_is_a_breach_and_no_lockdown()
    {
        var quiet = PerimeterArmingTests.Quiet(Site).Safety; // level 1 arms zone c without a lockdown

        var settled = Boot(quiet, fenceCut: true, 100, "fence-c");

        var breach = Assert.Single(settled.Events.OfType<PerimeterBreach>());
        Assert.Equal(("fence-c", 1, false), (breach.PointId, breach.ThreatLevel, breach.StartsLockdown));
        Assert.Equal(SiteMode.Normal, settled.State.Mode);
        Assert.Equal(["fence-c"], settled.State.Safety.Breaches!);
    }

    [Fact]
    public void A_restart_after_the_breach_was_raised_raises_no_second_breach()
    {
        var five = Key(PerimeterArmingTests.Quiet(Site), "key-threat5", 1).State;
        var cut = Step(five, new PointChanged("fence-a", true), 3);
        Assert.Single(cut.Events.OfType<PerimeterBreach>());
        // The guard ends the breach lockdown; the fence stays cut.
        var cleared = Key(cut.State, "key-a", 10).State;
        Assert.Equal(SiteMode.Normal, cleared.Mode);

        var settled = Boot(cleared.Safety, fenceCut: true, 100);

        Assert.DoesNotContain(settled.Events, e => e is PerimeterBreach or LockdownStarted or LockdownRetriggered);
        Assert.Equal(["fence-a"], settled.State.Safety.Breaches!);
        // A second restart neither.
        Assert.DoesNotContain(Boot(settled.State.Safety, fenceCut: true, 200).Events, e => e is PerimeterBreach);
    }

    [Fact]
    public void A_fence_restored_while_off_is_a_breach_when_cut_again()
    {
        var breached = Boot(FiveSaved(), fenceCut: true, 100).State;
        var cleared = Key(breached, "key-a", 110).State;

        // Repaired while the gateway was off: the settle clears the record (saved).
        var repaired = Boot(cleared.Safety, fenceCut: false, 200);
        Assert.DoesNotContain(repaired.Events, e => e is PerimeterBreach);
        Assert.Null(repaired.State.Safety.Breaches);

        // Cut while running, and cut while off again: a breach each time.
        var cutLater = Step(repaired.State, new PointChanged("fence-a", true), 210);
        Assert.Single(cutLater.Events.OfType<PerimeterBreach>());
        Assert.Single(Boot(repaired.State.Safety, fenceCut: true, 300).Events.OfType<PerimeterBreach>());
    }

    [Fact]
    public void A_fence_restoring_at_runtime_leaves_the_record()
    {
        var breached = Boot(FiveSaved(), fenceCut: true, 100).State;

        var restored = Step(breached, new PointChanged("fence-a", false), 110);

        Assert.Null(restored.State.Safety.Breaches);
        Assert.Single(Boot(restored.State.Safety, fenceCut: true, 200).Events.OfType<PerimeterBreach>());
    }

    [Fact]
    public void A_bypassed_fence_found_cut_at_boot_is_not_a_breach()
    {
        var until = TestSite.At(3600).Utc;
        var saved = FiveSaved() with { Bypasses = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("fence-a", new PointBypass(until, "sup-1"))]) };

        var settled = Boot(saved, fenceCut: true, 100);

        Assert.DoesNotContain(settled.Events, e => e is PerimeterBreach);
        Assert.Null(settled.State.Safety.Breaches);
    }

    // A row saved before the record existed: which active points the office dealt with is not
    // known, so the first boot judges none of them (as every boot did) and records them.
    [Fact]
    public void A_state_saved_before_the_record_existed_takes_the_active_points_as_judged_and_records_them()
    {
        var saved = FiveSaved() with { BreachesUnrecorded = true };

        var settled = Boot(saved, fenceCut: true, 100);

        Assert.DoesNotContain(settled.Events, e => e is PerimeterBreach or LockdownStarted);
        Assert.Equal(["fence-a"], settled.State.Safety.Breaches!);
        Assert.False(settled.State.Safety.BreachesUnrecorded);
        Assert.NotEqual(saved, settled.State.Safety); // so the settle saves the record
    }
}
