using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A suppressed point's level that holds for <see cref="SupervisionPolicy.HoldTime"/> still goes on
/// to the decider: chatter hides flaps, never a door forced open or a fence climbed.
/// </summary>
public sealed class PointSupervisorHoldTests
{
    // 4 transitions in 10 s chatter; a level held 3 s goes on; 30 s quiet settles.
    private static readonly SupervisionPolicy Policy = new(4, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
    private static readonly PointDefinition Door = new("door-hall", PointKind.DoorContact, 4, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a");
    private static readonly PointDefinition Pir = new("pir-store", PointKind.Perimeter, 5, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a");
    private static readonly PointDefinition Panic = new("panic-a", PointKind.PanicButton, 1, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a");

    private readonly List<DomainEvent> _events = [];

    private static PointSupervisor Start(PointDefinition point, SupervisionPolicy? policy = null) =>
        new(point, policy ?? Policy, settledActive: false, TimeSpan.Zero);

    private bool[] Flap(PointSupervisor supervisor, params double[] seconds) =>
        seconds.Select(s => supervisor.OnChange(!supervisor.Active, TestSite.At(s), _events)).ToArray();

    [Fact]
    public void The_shipped_hold_time_is_three_seconds()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), Policy.HoldTime);
        Assert.Equal(TimeSpan.FromSeconds(3), SupervisionPolicy.Default.HoldTime);
    }

    [Fact]
    public void A_level_held_for_the_hold_time_while_suppressed_goes_on_once_and_the_point_stays_suppressed()
    {
        var supervisor = Start(Door);
        // The 3rd change (open, 3 s) reached the decider; the 4th (shut, 4 s) is chatter, withheld.
        Assert.Equal([true, true, true, false], Flap(supervisor, 1, 2, 3, 4));
        Assert.Equal(TimeSpan.FromSeconds(7), supervisor.NextDeadline);

        Assert.Null(supervisor.Tick(TestSite.At(6.999), _events));
        Assert.False(supervisor.Tick(TestSite.At(7), _events));

        Assert.IsType<ChatterDetected>(Assert.Single(_events)); // no restore: the episode runs on
        Assert.True(supervisor.Suppressed);
        Assert.Equal(TimeSpan.FromSeconds(34), supervisor.NextDeadline);
        Assert.Null(supervisor.Tick(TestSite.At(8), _events));

        // Forced open at 12 s and held: it goes on at 15 s, suppression or not.
        Assert.Equal([false], Flap(supervisor, 12));
        Assert.Equal(TimeSpan.FromSeconds(15), supervisor.NextDeadline);
        Assert.True(supervisor.Tick(TestSite.At(15), _events));
        Assert.True(supervisor.Suppressed);
    }

    [Fact]
    public void Flaps_shorter_than_the_hold_time_stay_withheld()
    {
        var pir = Start(Pir);
        Flap(pir, 1, 2, 3, 4); // decider has it active (3 s); withheld from here

        // Flips every 2.9 s: never a level held 3 s, never anything handed on.
        for (var s = 6.9; s < 29; s += 2.9)
        {
            Assert.Null(pir.Tick(TestSite.At(s - 0.001), _events));
            Assert.Equal([false], Flap(pir, s));
        }

        Assert.IsType<ChatterDetected>(Assert.Single(_events));
    }

    [Fact]
    public void A_level_back_where_the_decider_has_it_sets_no_hold_deadline()
    {
        var supervisor = Start(Door);
        Flap(supervisor, 1, 2, 3, 4, 5); // withheld shut at 4 s, open again at 5 s: what the decider has

        Assert.Equal(TimeSpan.FromSeconds(35), supervisor.NextDeadline);
        Assert.Null(supervisor.Tick(TestSite.At(8), _events));
    }

    [Fact]
    public void The_hold_time_counts_from_when_the_filter_saw_the_level_not_when_the_loop_got_to_it()
    {
        var supervisor = Start(Door);
        Flap(supervisor, 1, 2, 3, 4); // the decider has it open (3 s); shut at 4 s is withheld

        // Seen at 5 s, handled at 9 s by a backlogged loop: held 4 s already, due at once.
        Assert.False(supervisor.OnChange(true, TestSite.At(9), _events, seenAt: TimeSpan.FromSeconds(5)));
        Assert.False(supervisor.OnChange(false, TestSite.At(9.5), _events, seenAt: TimeSpan.FromSeconds(5.5)));
        Assert.Equal(TimeSpan.FromSeconds(8.5), supervisor.NextDeadline);
        Assert.False(supervisor.Tick(TestSite.At(9.5), _events));

        // A seen time after the handling time (a clock disagreement) counts from the handling.
        Assert.False(supervisor.OnChange(true, TestSite.At(10), _events, seenAt: TimeSpan.FromSeconds(11)));
        Assert.Null(supervisor.Tick(TestSite.At(12.9), _events));
        Assert.True(supervisor.Tick(TestSite.At(13), _events));
    }

    [Fact]
    public void The_hold_time_is_the_policys()
    {
        var supervisor = Start(Door, Policy with { HoldTime = TimeSpan.FromSeconds(10) });
        Flap(supervisor, 1, 2, 3, 4);

        Assert.Equal(TimeSpan.FromSeconds(14), supervisor.NextDeadline);
        Assert.Null(supervisor.Tick(TestSite.At(13.9), _events));
        Assert.False(supervisor.Tick(TestSite.At(14), _events));
    }

    [Fact]
    public void A_panic_button_is_never_withheld_so_it_has_no_hold_deadline()
    {
        var supervisor = Start(Panic);
        Assert.All(Flap(supervisor, 1, 2, 3, 4), Assert.True);

        Assert.Equal(TimeSpan.FromSeconds(34), supervisor.NextDeadline);
        Assert.Null(supervisor.Tick(TestSite.At(7), _events));
    }
}
