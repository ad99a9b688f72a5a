using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A perimeter point already active in a zone that becomes armed (the threat level raised by a key
/// or by the office, an arming window opening) is a breach then, as
/// on any panel and as when a bypass ends on an active point. A fence cut at level 1 used to stay
/// unreported when the level went to 5, until it restored and tripped again.
/// </summary>
public sealed class PerimeterArmingTests
{
    // Level 1 arms zone c; level 5 arms zones c and a, and a breach there locks down.
    internal static readonly SiteDefinition Site = WithFenceA(TestSite.Create("a", "b"));

    // Zone a is armed at level 1 only by a window, Mondays 18:00 to 07:00 (the site runs on UTC;
    // TestSite.At(0) is Monday 2026-11-23 12:00 UTC).
    internal static readonly SiteDefinition Evenings = Site with
    {
        ThreatLevels =
        [
            Site.ThreatLevels[0] with { Schedule = [new(["a"], [DayOfWeek.Monday], new TimeOnly(18, 0), new TimeOnly(7, 0))] },
            Site.ThreatLevels[1],
        ],
    };

    private static readonly double SixPm = TimeSpan.FromHours(6).TotalSeconds;

    private static SiteDefinition WithFenceA(SiteDefinition site) => site with
    {
        Points = [.. site.Points, new("fence-a", PointKind.Perimeter, 33, true, LinePull.Up, TimeSpan.FromMilliseconds(200), "a")],
    };

    internal static SiteState Quiet(SiteDefinition site) =>
        SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteDefinition site, SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(site, state, new PointChanged(point, active), TestSite.At(at));

    private static Decision Office(SiteState state, VerifiedCommand command, double at) =>
        SiteDecider.Decide(Site, state, new OfficeCommandInput(TestSite.SignedAt(command, at)), TestSite.At(at));

    private static VerifiedCommand SetLevel(int level) =>
        TestSite.Command(CommandType.SetThreatLevel, "sup-1", OperatorRole.Supervisor, ("level", new JsonIntegerItem(level)));

    // fence-a cut while zone a is not armed: reported as a point, no breach.
    private static SiteState FenceACut(SiteDefinition site, double at = 1)
    {
        var cut = Step(site, Quiet(site), "fence-a", true, at);
        Assert.DoesNotContain(cut.Events, e => e is PerimeterBreach);
        return cut.State;
    }

    private static void AssertBreachLockedDown(Decision decision, string point)
    {
        var breach = Assert.Single(decision.Events.OfType<PerimeterBreach>());
        Assert.Equal((point, 5, true), (breach.PointId, breach.ThreatLevel, breach.StartsLockdown));
        var started = Assert.Single(decision.Events.OfType<LockdownStarted>());
        Assert.Equal(("perimeter-breach", point), (started.Cause, started.PointId));
        Assert.Equal(SiteMode.Lockdown, decision.State.Mode);
    }

    [Fact]
    public void Raising_the_level_with_a_key_judges_a_perimeter_point_already_active_in_a_newly_armed_zone()
    {
        var raised = Step(Site, FenceACut(Site), "key-threat5", true, 2);

        // The level first: the breach is judged at the level it arms.
        Assert.True(raised.Events.ToList().FindIndex(e => e is ThreatLevelChanged) < raised.Events.ToList().FindIndex(e => e is PerimeterBreach));
        AssertBreachLockedDown(raised, "fence-a");
        Assert.True(OutputPlan.For(Site, raised.State).IsActive("lock-egress"));
    }

    [Fact]
    public void Raising_the_level_from_the_office_judges_it_too()
    {
        var raised = Office(FenceACut(Site), SetLevel(5), 2);

        Assert.Contains(raised.Events, e => e is ThreatLevelChanged { ByOffice: true });
        Assert.Contains(raised.Events, e => e is CommandDone);
        AssertBreachLockedDown(raised, "fence-a");
    }

    [Fact]
    public void A_bypassed_point_is_not_judged_when_its_zone_is_armed_but_when_its_bypass_ends()
    {
        var bypass = TestSite.Command(CommandType.Bypass, "sup-1", OperatorRole.Supervisor,
            ("point", new JsonStringItem("fence-a")), ("until", new JsonStringItem(WireTime.Format(TestSite.At(3600).Utc))));
        var bypassed = Office(FenceACut(Site), bypass, 2).State;

        var raised = Step(Site, bypassed, "key-threat5", true, 3);

        Assert.DoesNotContain(raised.Events, e => e is PerimeterBreach);
        Assert.Equal(SiteMode.Normal, raised.State.Mode);
        var unbypass = TestSite.Command(CommandType.Unbypass, "sup-1", OperatorRole.Supervisor, ("point", new JsonStringItem("fence-a")));
        AssertBreachLockedDown(Office(raised.State, unbypass, 4), "fence-a");
    }

    [Fact]
    public void Lowering_the_level_judges_nothing_again()
    {
        // fence-c (zone c, armed at both levels) was judged when it went active at level 5.
        var atFive = Step(Site, Quiet(Site), "key-threat5", true, 1).State;
        var cut = Step(Site, atFive, "fence-c", true, 2);
        AssertBreachLockedDown(cut, "fence-c");

        var lowered = Step(Site, cut.State, "key-threat1", true, 3);

        Assert.DoesNotContain(lowered.Events, e => e is PerimeterBreach or LockdownStarted or LockdownRetriggered);
    }

    [Fact]
    public void An_arming_window_opening_judges_a_perimeter_point_already_active_in_its_zone()
    {
        var cut = FenceACut(Evenings, SixPm - 30);
        Assert.Equal(TestSite.At(SixPm).Monotonic, SiteDecider.NextDeadline(Evenings, cut, TestSite.At(SixPm - 30)));

        var opened = SiteDecider.Decide(Evenings, cut, TimerTick.Instance, TestSite.At(SixPm));

        var breach = Assert.Single(opened.Events.OfType<PerimeterBreach>());
        Assert.Equal(("fence-a", 1, false), (breach.PointId, breach.ThreatLevel, breach.StartsLockdown));
        var later = SiteDecider.Decide(Evenings, opened.State, TimerTick.Instance, TestSite.At(SixPm + 60));
        Assert.DoesNotContain(later.Events, e => e is PerimeterBreach);
    }

    [Fact]
    public void Without_an_active_point_an_arming_window_sets_no_deadline()
    {
        Assert.Null(SiteDecider.NextDeadline(Evenings, Quiet(Evenings), TestSite.At(SixPm - 30)));
    }

    [Fact]
    public void A_perimeter_point_active_when_the_inputs_settle_and_not_recorded_as_breached_is_judged()
    {
        // Nothing saved says a breach was raised for either (PerimeterArmingBootTests): cut while
        // the gateway was off. fence-c's zone is armed at level 1, fence-a's is not.
        var restored = SiteState.Restore(Site, SafetyState.Initial,
            new Dictionary<string, bool> { ["fence-c"] = true, ["fence-a"] = true }, TestSite.At(0));

        var settled = SiteDecider.Decide(Site, restored, InputsSettled.Instance, TestSite.At(0.1));

        var breach = Assert.Single(settled.Events.OfType<PerimeterBreach>());
        Assert.Equal(("fence-c", 1, false), (breach.PointId, breach.ThreatLevel, breach.StartsLockdown));
    }

    [Fact]
    public void Raising_the_level_to_one_that_locks_down_locks_down_for_a_point_already_in_breach()
    {
        // fence-c's zone is armed at levels 1 and 5; its breach at level 1 started nothing.
        var cut = Step(Site, Quiet(Site), "fence-c", true, 1);
        Assert.False(Assert.Single(cut.Events.OfType<PerimeterBreach>()).StartsLockdown);

        var raised = Step(Site, cut.State, "key-threat5", true, 2);

        AssertBreachLockedDown(raised, "fence-c");
    }
}
