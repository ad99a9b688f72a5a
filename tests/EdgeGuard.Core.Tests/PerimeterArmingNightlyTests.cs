using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A fence cut in a nightly window and left cut is judged again when the window opens the next
/// night, as on any panel arming over an open point, even when nothing at all happens in the day:
/// the gateway wakes at the window's closing to record the zone disarmed. It used to wake only
/// for an opening, while the zone was disarmed, so with the fence cut in the armed zone nothing
/// woke it at 07:00, the zone stayed recorded as armed, and the next opening raised nothing.
/// </summary>
public sealed class PerimeterArmingNightlyTests
{
    // Zone a armed every night 18:00-07:00 (UTC); a breach there is reported (no lockdown).
    private static readonly SiteDefinition Nightly = PerimeterArmingTests.Site with
    {
        ThreatLevels =
        [
            PerimeterArmingTests.Site.ThreatLevels[0] with { Schedule = [new(["a"], Enum.GetValues<DayOfWeek>(), new TimeOnly(18, 0), new TimeOnly(7, 0))] },
            PerimeterArmingTests.Site.ThreatLevels[1],
        ],
    };

    private static readonly DateTimeOffset Monday = new(2026, 11, 23, 0, 0, 0, TimeSpan.Zero);

    // Both clocks at `hours` after Monday 00:00 (no step between them).
    private static Moment M(double hours) => new(TimeSpan.FromHours(hours), Monday.AddHours(hours));

    // Runs the gateway as the controller does with no input: it decides only at its deadlines.
    private static (SiteState State, List<DomainEvent> Events) TicksUntil(SiteState state, double fromHours, double untilHours)
    {
        var events = new List<DomainEvent>();
        var now = M(fromHours);
        while (SiteDecider.NextDeadline(Nightly, state, now) is { } due && due <= TimeSpan.FromHours(untilHours))
        {
            now = M(due.TotalHours);
            var decided = SiteDecider.Decide(Nightly, state, TimerTick.Instance, now);
            events.AddRange(decided.Events);
            state = decided.State;
        }

        return (state, events);
    }

    private static Decision CutMondayEvening()
    {
        var restored = SiteState.Restore(Nightly, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, M(17));
        var quiet = SiteDecider.Decide(Nightly, restored, InputsSettled.Instance, M(17)).State;
        var cut = SiteDecider.Decide(Nightly, quiet, new PointChanged("fence-a", true), M(19));
        Assert.Single(cut.Events.OfType<PerimeterBreach>());
        return cut;
    }

    [Fact]
    public void A_fence_left_cut_is_judged_again_at_the_next_nightly_opening_when_nothing_happened_in_the_day()
    {
        var cut = CutMondayEvening();

        // Nothing happens on Tuesday: the gateway ticks only at its deadlines, up to 18:00.
        var (state, events) = TicksUntil(cut.State, 19, 42);
        var opened = SiteDecider.Decide(Nightly, state, TimerTick.Instance, M(42));
        events.AddRange(opened.Events);

        var breach = Assert.Single(events.OfType<PerimeterBreach>());
        Assert.Equal(("fence-a", Monday.AddHours(42)), (breach.PointId, breach.At));
    }

    [Fact]
    public void A_fence_cut_in_an_armed_window_sets_a_deadline_by_the_window_closing()
    {
        var cut = CutMondayEvening();

        // Capped at the wall-clock recheck, as the opening is; the minute before 07:00, the closing.
        Assert.Equal(M(19).Monotonic + OfficeMaintenance.WallClockRecheck, SiteDecider.NextDeadline(Nightly, cut.State, M(19)));
        var justBefore = new Moment(TimeSpan.FromHours(31) - TimeSpan.FromSeconds(20), Monday.AddHours(31).AddSeconds(-20));
        Assert.Equal(M(31).Monotonic, SiteDecider.NextDeadline(Nightly, cut.State, justBefore));
        var closed = SiteDecider.Decide(Nightly, cut.State, TimerTick.Instance, M(31));
        Assert.DoesNotContain("a", closed.State.ArmedZones!);
    }
}
