using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A window that opened with nothing active in its zones has no tick: the decision of the point
/// that goes active later must judge it once, not again as "newly armed" (two perimeter.breach,
/// and a lockdown.retriggered that reset the siren and dropped all-clear approvals).
/// </summary>
public sealed class PerimeterArmingOnceTests
{
    // The sites of PerimeterArmingTests: fence-a in zone a, and zone a armed at level 1 by a window
    // on Mondays 18:00 to 07:00.
    private static readonly SiteDefinition Base = PerimeterArmingTests.Site;
    private static readonly SiteDefinition Evenings = PerimeterArmingTests.Evenings;

    [Fact]
    public void A_fence_cut_after_a_window_opened_untimed_is_one_breach()
    {
        // Restored at 12:00 with nothing active: no deadline for the 18:00 window.
        var quiet = PerimeterArmingTests.Quiet(Evenings);
        var settled = SiteDecider.Decide(Evenings, quiet, InputsSettled.Instance, TestSite.At(0.1)).State;
        Assert.Null(SiteDecider.NextDeadline(Evenings, settled, TestSite.At(1)));

        // 18:30: the fence is cut once.
        var cut = SiteDecider.Decide(Evenings, settled, new PointChanged("fence-a", true), TestSite.At(TimeSpan.FromHours(6.5).TotalSeconds));

        Assert.Single(cut.Events.OfType<PerimeterBreach>());
    }

    private static readonly SiteDefinition NightFenceB = Base with
    {
        Points = [.. Base.Points, new("fence-b", PointKind.Perimeter, 34, true, LinePull.Up, TimeSpan.FromMilliseconds(200), "b")],
        ThreatLevels =
        [
            Base.ThreatLevels[0],
            Base.ThreatLevels[1] with { Schedule = [new(["b"], [DayOfWeek.Monday], new TimeOnly(18, 0), new TimeOnly(7, 0))] },
        ],
    };

    [Fact]
    public void A_fence_cut_at_a_locking_level_after_a_window_opened_untimed_starts_one_lockdown_and_no_retrigger()
    {
        var quiet = PerimeterArmingTests.Quiet(NightFenceB);
        var settled = SiteDecider.Decide(NightFenceB, quiet, InputsSettled.Instance, TestSite.At(0.1)).State;
        var atFive = SiteDecider.Decide(NightFenceB, settled, new PointChanged("key-threat5", true), TestSite.At(1)).State;
        Assert.Equal(5, atFive.ThreatLevel);

        var cut = SiteDecider.Decide(NightFenceB, atFive, new PointChanged("fence-b", true), TestSite.At(TimeSpan.FromHours(6.5).TotalSeconds));

        Assert.Single(cut.Events.OfType<LockdownStarted>());
        Assert.DoesNotContain(cut.Events, e => e is LockdownRetriggered);
        Assert.Single(cut.Events.OfType<PerimeterBreach>());
    }
}
