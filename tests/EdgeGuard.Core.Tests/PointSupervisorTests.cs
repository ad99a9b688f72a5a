using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

public sealed class PointSupervisorTests
{
    // 4 transitions in 10 s chatter; 30 s quiet settles.
    private static readonly SupervisionPolicy Policy = new(4, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
    private static readonly PointDefinition Fence = new("fence-n", PointKind.Perimeter, 4, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(200), "perimeter");
    private static readonly PointDefinition Panic = new("panic-a", PointKind.PanicButton, 1, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a");
    private static readonly PointDefinition Fire = new("fire-panel", PointKind.FireAlarm, 7, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "c");
    private static readonly PointDefinition Vault = new("door-vault", PointKind.DoorContact, 3, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a")
    {
        StuckAfter = TimeSpan.FromMinutes(60),
    };

    private readonly List<DomainEvent> _events = [];

    private static PointSupervisor Start(PointDefinition point) => new(point, Policy, settledActive: false, TimeSpan.Zero);

    /// <summary>Flips the point at each of <paramref name="seconds"/>, starting from inactive; returns what was forwarded.</summary>
    private bool[] Flap(PointSupervisor supervisor, params double[] seconds) =>
        seconds.Select(s => supervisor.OnChange(!supervisor.Active, TestSite.At(s), _events)).ToArray();

    [Fact]
    public void Changes_below_the_chatter_count_pass_and_raise_nothing()
    {
        var supervisor = Start(Fence);

        Assert.Equal([true, true, true], Flap(supervisor, 1, 2, 3));
        Assert.Empty(_events);
        Assert.False(supervisor.Suppressed);
    }

    [Fact]
    public void The_transition_that_reaches_the_count_raises_chatter_and_is_withheld_with_every_later_one()
    {
        var supervisor = Start(Fence);

        var forwarded = Flap(supervisor, 1, 2, 3, 4, 5, 6);

        Assert.Equal([true, true, true, false, false, false], forwarded);
        var chatter = Assert.IsType<ChatterDetected>(Assert.Single(_events));
        Assert.Equal(("fence-n", "perimeter", 4, TimeSpan.FromSeconds(10), true), (chatter.PointId, chatter.Zone, chatter.Transitions, chatter.Window, chatter.Suppressed));
        Assert.Equal(TestSite.At(4).Utc, chatter.At);
        Assert.Equal(Severity.Alarm, chatter.Severity);
        Assert.True(supervisor.Suppressed);
    }

    [Fact]
    public void Transitions_older_than_the_window_do_not_count()
    {
        var supervisor = Start(Fence);

        // Each group of three is within 10 s, but no four are.
        Assert.All(Flap(supervisor, 0, 4, 9.9, 14, 19, 23.9, 28), Assert.True);
        Assert.Empty(_events);
    }

    [Fact]
    public void Exactly_the_window_apart_is_outside_it()
    {
        var supervisor = Start(Fence);

        Flap(supervisor, 0, 1, 2, 10);
        Assert.Empty(_events);
        Flap(supervisor, 10.5);
        Assert.IsType<ChatterDetected>(Assert.Single(_events));
    }

    [Fact]
    public void A_suppressed_point_settles_after_the_settle_time_without_a_transition_and_hands_back_its_state()
    {
        var supervisor = Start(Fence);
        Flap(supervisor, 1, 2, 3, 4, 5); // ends active, suppressed since 4 s
        Assert.Equal(TimeSpan.FromSeconds(35), supervisor.NextDeadline);

        Assert.Null(supervisor.Tick(TestSite.At(34.999), _events));
        Assert.True(supervisor.Suppressed);

        Assert.True(supervisor.Tick(TestSite.At(35), _events));
        var restored = Assert.IsType<ChatterRestored>(_events[^1]);
        Assert.Equal((true, 5, TimeSpan.FromSeconds(30), true), (restored.Active, restored.Transitions, restored.SettleTime, restored.WasSuppressed));
        Assert.False(supervisor.Suppressed);
        Assert.Null(supervisor.NextDeadline);
    }

    [Fact]
    public void Every_transition_while_suppressed_restarts_the_settle_time()
    {
        var supervisor = Start(Fence);
        Flap(supervisor, 1, 2, 3, 4);
        Flap(supervisor, 30);

        Assert.Null(supervisor.Tick(TestSite.At(34), _events));
        Assert.Null(supervisor.Tick(TestSite.At(59), _events));
        Assert.True(supervisor.Tick(TestSite.At(60), _events)); // the flip at 30 s left it active
    }

    [Fact]
    public void After_settling_the_point_needs_a_full_count_again_to_chatter()
    {
        var supervisor = Start(Fence);
        Flap(supervisor, 1, 2, 3, 4);
        supervisor.Tick(TestSite.At(34), _events);
        _events.Clear();

        Assert.Equal([true, true, true, false], Flap(supervisor, 35, 36, 37, 38));
        Assert.IsType<ChatterDetected>(Assert.Single(_events));
    }

    [Theory]
    [InlineData("panic")]
    [InlineData("fire")]
    public void Panic_and_fire_inputs_report_chatter_but_are_never_suppressed(string which)
    {
        // A flapping fire input must still release egress, and a flapping panic button may be a
        // person in danger behind a bad wire: both keep acting on every change.
        var supervisor = Start(which == "panic" ? Panic : Fire);

        Assert.All(Flap(supervisor, 1, 2, 3, 4, 5, 6, 7), Assert.True);

        var chatter = Assert.IsType<ChatterDetected>(Assert.Single(_events));
        Assert.False(chatter.Suppressed);
        Assert.True(supervisor.Chattering);
        Assert.False(supervisor.Suppressed);
        Assert.Null(supervisor.Tick(TestSite.At(37), _events));
        var restored = Assert.IsType<ChatterRestored>(_events[^1]);
        Assert.False(restored.WasSuppressed);
        Assert.Equal(7, restored.Transitions);
    }

    [Fact]
    public void A_point_without_a_stuck_time_has_no_deadline_while_quiet()
    {
        var supervisor = Start(Fence);

        Assert.Null(supervisor.NextDeadline);
        Assert.Null(supervisor.Tick(TestSite.At(86_400 * 365), _events));
        Assert.Empty(_events);
    }

    [Fact]
    public void A_point_stuck_past_its_time_is_reported_once_and_restored_at_its_next_change()
    {
        var supervisor = Start(Vault);
        Assert.Equal(TimeSpan.FromMinutes(60), supervisor.NextDeadline);

        supervisor.Tick(TestSite.At(3_599), _events);
        Assert.Empty(_events);
        supervisor.Tick(TestSite.At(3_600), _events);
        supervisor.Tick(TestSite.At(7_200), _events);

        var stuck = Assert.IsType<PointStuck>(Assert.Single(_events));
        Assert.Equal((false, TimeSpan.FromMinutes(60), Severity.Warning), (stuck.Active, stuck.StuckAfter, stuck.Severity));
        Assert.True(supervisor.Stuck);
        Assert.Null(supervisor.NextDeadline);

        Assert.True(supervisor.OnChange(true, TestSite.At(9_000), _events));
        var restored = Assert.IsType<PointStuckRestored>(_events[^1]);
        Assert.Equal((true, TimeSpan.FromSeconds(9_000)), (restored.Active, restored.StuckFor));
        Assert.False(supervisor.Stuck);
        Assert.Equal(TimeSpan.FromSeconds(9_000) + TimeSpan.FromMinutes(60), supervisor.NextDeadline);
    }

    [Fact]
    public void Stuck_counts_in_either_state_from_the_last_change()
    {
        var supervisor = Start(Vault);
        supervisor.OnChange(true, TestSite.At(100), _events);

        supervisor.Tick(TestSite.At(3_699), _events);
        Assert.Empty(_events);
        supervisor.Tick(TestSite.At(3_700), _events);
        Assert.True(Assert.IsType<PointStuck>(Assert.Single(_events)).Active);
    }

    [Fact]
    public void The_next_deadline_is_the_earliest_of_hold_settle_and_stuck()
    {
        var quickStuck = Fence with { StuckAfter = TimeSpan.FromSeconds(60) };
        var supervisor = Start(quickStuck);
        Assert.Equal(TimeSpan.FromSeconds(60), supervisor.NextDeadline);

        Flap(supervisor, 1, 2, 3, 4);

        // Withheld at rest while the decider has it active: the hold time comes first.
        Assert.Equal(TimeSpan.FromSeconds(7), supervisor.NextDeadline);
        Assert.False(supervisor.Tick(TestSite.At(7), _events));
        Assert.Equal(TimeSpan.FromSeconds(34), supervisor.NextDeadline);
    }

    [Fact]
    public void With_chatter_detection_off_every_change_passes_and_stuck_still_works()
    {
        var supervisor = new PointSupervisor(Vault, Policy with { ChatterTransitions = 0 }, settledActive: false, TimeSpan.Zero);

        Assert.All(Flap(supervisor, Enumerable.Range(1, 50).Select(i => i * 0.01).ToArray()), Assert.True);
        supervisor.Tick(TestSite.At(0.5 + 3_600), _events);

        Assert.IsType<PointStuck>(Assert.Single(_events));
    }

    [Fact]
    public void A_repeated_state_is_not_a_transition()
    {
        var supervisor = Start(Fence);

        Assert.False(supervisor.OnChange(false, TestSite.At(1), _events));
        Assert.Equal([true, true, true], Flap(supervisor, 2, 3, 4));
        Assert.Empty(_events);
    }
}
