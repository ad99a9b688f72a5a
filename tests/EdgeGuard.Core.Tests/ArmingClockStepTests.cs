using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A wall-clock step (NTP correcting the clock a Pi without a real-time clock booted with) is not
/// an arming window opening: the zones it arms are re-baselined, and only the active points no
/// raised breach covers are judged, as the settle at boot judges them. Judging every active point
/// in them raised a fence the office had dealt with again, and locked the site down, after a
/// power cut.
/// </summary>
public sealed class ArmingClockStepTests
{
    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    // Level 1 arms zone a Mondays 18:00-07:00 (UTC), and a breach there locks down.
    private static readonly SiteDefinition Evenings = PerimeterArmingTests.Evenings with
    {
        ThreatLevels =
        [
            PerimeterArmingTests.Evenings.ThreatLevels[0] with { BreachStartsLockdown = true },
            PerimeterArmingTests.Evenings.ThreatLevels[1],
        ],
    };

    private static Moment M(double monotonicSeconds, DateTimeOffset utc) => new(TimeSpan.FromSeconds(monotonicSeconds), utc);

    private static Decision Decide(SiteState state, SiteInput input, Moment now) => SiteDecider.Decide(Evenings, state, input, now);

    // What the gateway saved before the power cut at 18:20: fence-a cut at 18:10 in the open
    // window, its breach raised (and the lockdown it started cleared by the office).
    private static readonly SafetyState FenceDealtWith = SafetyState.Initial with { Breaches = ImmutableSortedSet.Create(StringComparer.Ordinal, "fence-a") };

    private static SiteState Boot(SafetyState saved, bool fenceCut, DateTimeOffset clock)
    {
        var restored = SiteState.Restore(Evenings, saved, new Dictionary<string, bool> { ["fence-a"] = fenceCut }, M(10, clock));
        var settled = Decide(restored, InputsSettled.Instance, M(10.1, clock));
        Assert.DoesNotContain(settled.Events, e => e is PerimeterBreach);
        return settled.State;
    }

    [Fact]
    public void A_boot_with_a_stale_clock_then_an_ntp_step_into_the_window_does_not_judge_a_fence_already_breached()
    {
        // Control: the clock right at boot (18:24): the saved record covers the fence.
        var right = Boot(FenceDealtWith, fenceCut: true, Monday.AddHours(18.4));
        Assert.DoesNotContain(Decide(right, TimerTick.Instance, M(70, Monday.AddHours(18.4).AddSeconds(60))).Events, e => e is PerimeterBreach);

        // The clock fake-hwclock saved, 17:30: the window reads as shut; NTP steps it to 18:25.
        var stale = Boot(FenceDealtWith, fenceCut: true, Monday.AddHours(17.5));
        Assert.NotNull(SiteDecider.NextDeadline(Evenings, stale, M(10.1, Monday.AddHours(17.5))));
        var stepped = Decide(stale, TimerTick.Instance, M(70, Monday.AddHours(18).AddMinutes(25)));

        Assert.DoesNotContain(stepped.Events, e => e is PerimeterBreach);
        Assert.Equal(SiteMode.Normal, stepped.State.Mode);
        Assert.Contains("a", stepped.State.ArmedZones!);
        // Re-baselined: the next ticks do not take the window as opening either.
        Assert.DoesNotContain(Decide(stepped.State, TimerTick.Instance, M(130, Monday.AddHours(18).AddMinutes(26))).Events, e => e is PerimeterBreach);
    }

    [Fact]
    public void A_fence_cut_while_the_clock_read_outside_the_window_is_a_breach_when_ntp_steps_it_in()
    {
        // Booted at real 18:21 reading 17:30; the fence is cut a minute later (reads 17:31): no
        // breach by the wrong clock. Nothing raised it, so the step judges it, as a settle would.
        var stale = Boot(SafetyState.Initial, fenceCut: false, Monday.AddHours(17.5));
        var cut = Decide(stale, new PointChanged("fence-a", true), M(70, Monday.AddHours(17.5).AddMinutes(1)));
        Assert.DoesNotContain(cut.Events, e => e is PerimeterBreach);

        var stepped = Decide(cut.State, TimerTick.Instance, M(130, Monday.AddHours(18).AddMinutes(23)));

        var breach = Assert.Single(stepped.Events.OfType<PerimeterBreach>());
        Assert.Equal(("fence-a", true), (breach.PointId, breach.StartsLockdown));
        Assert.Equal(SiteMode.Lockdown, stepped.State.Mode);
        Assert.Equal(["fence-a"], stepped.State.Breached);
    }

    [Fact]
    public void A_window_opening_by_the_clock_running_on_still_judges_a_fence_breached_in_an_earlier_opening()
    {
        // No step: both clocks move on together (within NTP's slewing) from 17:59 to 18:00, so
        // the window opens and a fence still cut since last night's breach is judged again, as
        // on any panel arming over an open point.
        var quiet = Boot(FenceDealtWith, fenceCut: true, Monday.AddHours(17).AddMinutes(59));

        var opened = Decide(quiet, TimerTick.Instance, M(70.2, Monday.AddHours(18)));

        Assert.Single(opened.Events.OfType<PerimeterBreach>());
        Assert.Equal(SiteMode.Lockdown, opened.State.Mode);
    }

    [Fact]
    public void A_clock_stepped_back_out_of_the_window_and_forward_again_does_not_judge_a_breached_fence_again()
    {
        // The clock ran 10 minutes fast: the window opened at real 17:50 and judged the fence.
        var quiet = Boot(SafetyState.Initial, fenceCut: false, Monday.AddHours(17).AddMinutes(40));
        var cut = Decide(quiet, new PointChanged("fence-a", true), M(20, Monday.AddHours(17).AddMinutes(45)));
        var opened = Decide(cut.State, TimerTick.Instance, M(310.1, Monday.AddHours(18)));
        Assert.Single(opened.Events.OfType<PerimeterBreach>());
        var cleared = opened.State with { Mode = SiteMode.Normal, Lockdown = null, SirenUntil = null };

        // NTP steps it back to 17:52 (the window reads shut), then forward over a suspend-like
        // gap to 18:05: the fence's breach stands, and a step is not an opening.
        var back = Decide(cleared, TimerTick.Instance, M(370, Monday.AddHours(17).AddMinutes(52)));
        Assert.DoesNotContain("a", back.State.ArmedZones!);
        var forward = Decide(back.State, TimerTick.Instance, M(430, Monday.AddHours(18).AddMinutes(5)));

        Assert.DoesNotContain(forward.Events, e => e is PerimeterBreach);
        Assert.Equal(SiteMode.Normal, forward.State.Mode);
    }

    // The clock runs 10 minutes fast: the window opened at real 17:50 and judged the fence; the
    // office cleared the lockdown; NTP steps the clock back to 17:52, out of the window.
    private static SiteState SteppedBackOutOfTheWindow()
    {
        var quiet = Boot(SafetyState.Initial, fenceCut: false, Monday.AddHours(17).AddMinutes(40));
        var cut = Decide(quiet, new PointChanged("fence-a", true), M(20, Monday.AddHours(17).AddMinutes(45)));
        var opened = Decide(cut.State, TimerTick.Instance, M(310.1, Monday.AddHours(18)));
        Assert.Single(opened.Events.OfType<PerimeterBreach>());
        var cleared = opened.State with { Mode = SiteMode.Normal, Lockdown = null, SirenUntil = null };

        var back = Decide(cleared, TimerTick.Instance, M(430, Monday.AddHours(17).AddMinutes(52)));
        Assert.DoesNotContain("a", back.State.ArmedZones!);
        return back.State;
    }

    // The corrected clock runs on, one tick a minute, from 17:53 until 18:00 comes round again.
    private static (SiteState State, List<DomainEvent> Events) RunOnToTheOpening(SiteState state, double fromSeconds = 490)
    {
        var events = new List<DomainEvent>();
        for (var s = fromSeconds; s <= 960; s += 60)
        {
            var decided = Decide(state, TimerTick.Instance, M(s, Monday.AddHours(17).AddMinutes(52).AddSeconds(s - 430)));
            events.AddRange(decided.Events);
            state = decided.State;
        }

        Assert.Contains("a", state.ArmedZones!);
        return (state, events);
    }

    [Fact]
    public void A_clock_stepped_back_out_of_the_window_does_not_judge_a_breached_fence_again_when_the_same_occurrence_opens()
    {
        var (state, events) = RunOnToTheOpening(SteppedBackOutOfTheWindow());

        // The same occurrence that raised the breach: no second breach, no second lockdown.
        Assert.DoesNotContain(events, e => e is PerimeterBreach or LockdownStarted);
        Assert.Equal(SiteMode.Normal, state.Mode);
    }

    [Fact]
    public void A_fence_cut_again_after_a_step_back_out_of_the_window_is_judged_when_the_same_occurrence_opens()
    {
        // The fence restores (leaving the record) and is cut again while the window reads shut:
        // a new cut no raised breach covers, judged when the occurrence opens again.
        var back = SteppedBackOutOfTheWindow();
        var restored = Decide(back, new PointChanged("fence-a", false), M(440, Monday.AddHours(17).AddMinutes(52).AddSeconds(10)));
        var cutAgain = Decide(restored.State, new PointChanged("fence-a", true), M(450, Monday.AddHours(17).AddMinutes(52).AddSeconds(20)));
        Assert.DoesNotContain(cutAgain.Events, e => e is PerimeterBreach);

        var (state, events) = RunOnToTheOpening(cutAgain.State);

        var breach = Assert.Single(events.OfType<PerimeterBreach>());
        Assert.Equal(("fence-a", Monday.AddHours(18)), (breach.PointId, breach.At));
        Assert.Equal(SiteMode.Lockdown, state.Mode);
    }
}
