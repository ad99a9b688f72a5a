using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

public sealed class PeriodicTestTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    private static readonly Site.SiteDefinition Site = TestSite.Create() with { PeriodicTestInterval = Interval };

    private static Decision Decide(Site.SiteDefinition site, SiteState state, SiteInput input, double at) =>
        SiteDecider.Decide(site, state, input, TestSite.At(at));

    // Restored at 0, inputs settled at 1: the first test is due then.
    private static SiteState Settled(Site.SiteDefinition? site = null)
    {
        site ??= Site;
        var restored = SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));
        return Decide(site, restored, InputsSettled.Instance, 1).State;
    }

    private static IEnumerable<GatewayTest> Tests(Decision decision) => decision.Events.OfType<GatewayTest>();

    [Fact]
    public void The_first_test_is_due_when_the_inputs_settle_and_comes_at_the_next_tick()
    {
        var restored = SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));
        var beforeSettle = Decide(Site, restored, TimerTick.Instance, 0.5);
        var settle = Decide(Site, restored, InputsSettled.Instance, 1);

        Assert.Empty(Tests(beforeSettle));
        Assert.Empty(Tests(settle));
        Assert.Equal(TimeSpan.FromSeconds(1), SiteDecider.NextDeadline(Site, settle.State));

        var first = Assert.Single(Tests(Decide(Site, settle.State, TimerTick.Instance, 1)));
        Assert.Equal(TestSite.At(1).Utc, first.At);
        Assert.Equal(Interval, first.Interval);
        Assert.Equal(Severity.Info, first.Severity);
        Assert.Equal("gateway.test", first.Type);
    }

    [Fact]
    public void Tests_come_one_interval_apart_on_the_monotonic_clock()
    {
        var first = Decide(Site, Settled(), TimerTick.Instance, 1);
        Assert.Equal(TimeSpan.FromSeconds(301), SiteDecider.NextDeadline(Site, first.State));

        var early = Decide(Site, first.State, TimerTick.Instance, 300.9);
        var due = Decide(Site, first.State, TimerTick.Instance, 301);

        Assert.Empty(Tests(early));
        Assert.Single(Tests(due));
        Assert.Equal(TimeSpan.FromSeconds(601), SiteDecider.NextDeadline(Site, due.State));
    }

    [Fact]
    public void A_loop_that_falls_behind_sends_one_test_and_the_next_an_interval_after_it()
    {
        var first = Decide(Site, Settled(), TimerTick.Instance, 1).State;

        // Three intervals late: one test, not three, and the next counts from this one.
        var late = Decide(Site, first, TimerTick.Instance, 1000);

        Assert.Single(Tests(late));
        Assert.Empty(Tests(Decide(Site, late.State, TimerTick.Instance, 1001)));
        Assert.Equal(TimeSpan.FromSeconds(1300), SiteDecider.NextDeadline(Site, late.State));
    }

    [Fact]
    public void Only_a_tick_sends_the_test()
    {
        var settled = Settled();

        var press = Decide(Site, settled, new PointChanged("door-a", true), 2);

        Assert.Empty(Tests(press));
        Assert.Single(Tests(Decide(Site, press.State, TimerTick.Instance, 2)));
    }

    [Fact]
    public void A_site_with_no_interval_sends_no_test_and_sets_no_deadline()
    {
        var site = TestSite.Create();
        var settled = Settled(site);

        Assert.Null(settled.PeriodicTestDue);
        Assert.Null(SiteDecider.NextDeadline(site, settled));
        Assert.Empty(Tests(Decide(site, settled, TimerTick.Instance, 100_000)));
    }

    [Fact]
    public void The_test_in_normal_mode_reports_the_quiet_state()
    {
        var test = Assert.Single(Tests(Decide(Site, Settled(), TimerTick.Instance, 1)));

        Assert.Equal(SiteMode.Normal, test.Mode);
        Assert.Null(test.Scenario);
        Assert.False(test.ScenarioDrill);
        Assert.False(test.FireEgressReleased);
        Assert.Equal(1, test.ThreatLevel);
        Assert.Equal(0, test.ActivePoints);
        Assert.Empty(test.Bypassed);
        Assert.Empty(test.Unreadable);
        Assert.Empty(test.Chattering);
        Assert.Empty(test.DoorAlarms);
        Assert.False(test.Drill);
    }

    [Fact]
    public void The_test_during_a_lockdown_names_it_its_active_points_and_door_alarms()
    {
        var settled = Settled();
        var locked = Decide(Site, settled, new PointChanged("panic-a", true), 2).State;
        var forced = Decide(Site, locked, new PointChanged("door-a", true), 3).State;

        var test = Assert.Single(Tests(Decide(Site, forced, TimerTick.Instance, 3)));

        Assert.Equal(SiteMode.Lockdown, test.Mode);
        Assert.Equal("lockdown", test.Scenario);
        Assert.False(test.ScenarioDrill);
        Assert.Equal(2, test.ActivePoints);
        Assert.Equal(["door-egress"], test.DoorAlarms);
    }

    [Fact]
    public void A_test_during_a_drill_is_no_drill_event_but_says_the_scenario_is_one()
    {
        var drill = Decide(Site, Settled(), new PointChanged("key-drill", true), 2).State;
        Assert.True(drill.Lockdown!.Drill);

        var test = Assert.Single(Tests(Decide(Site, drill, TimerTick.Instance, 2)));

        Assert.False(test.Drill);
        Assert.True(test.ScenarioDrill);
        Assert.Equal(drill.Lockdown.Scenario, test.Scenario);
    }

    [Fact]
    public void The_test_lists_bypassed_unreadable_and_chattering_points_in_id_order()
    {
        var bypass = new ActiveBypass(new PointBypass(TestSite.At(10_000).Utc, "tech-1"), TimeSpan.FromSeconds(10_000));
        var settled = Settled() with
        {
            Bypasses = ImmutableSortedDictionary.Create<string, ActiveBypass>(StringComparer.Ordinal).Add("fence-c", bypass).Add("door-a", bypass),
            ThreatLevel = 3,
        };
        var unreadable = Decide(Site, settled, new PointsUnreadable(ImmutableSortedSet.Create(StringComparer.Ordinal, "key-a")), 2).State;
        var chattering = Decide(Site, unreadable, new PointsSuppressed(ImmutableSortedSet.Create(StringComparer.Ordinal, "fence-c"))
        {
            Chattering = ImmutableSortedSet.Create(StringComparer.Ordinal, "panic-b"),
        }, 3).State;

        var test = Assert.Single(Tests(Decide(Site, chattering, TimerTick.Instance, 3)));

        Assert.Equal(["door-a", "fence-c"], test.Bypassed);
        Assert.Equal(["key-a"], test.Unreadable);
        Assert.Equal(["fence-c", "panic-b"], test.Chattering);
        Assert.Equal(3, test.ThreatLevel);
    }
}
