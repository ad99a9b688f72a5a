using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// An alarm level a suppressed point reached but never held for the hold time (a door forced for
/// 2.5 s, a PIR pulse, a short fence climb) still reaches the decider once per chatter episode,
/// at the settle: handed on before the settled level (<see cref="PointSupervisor.MissedActive"/>).
/// </summary>
public sealed class PointSupervisorMissedAlarmTests
{
    // 4 transitions in 10 s chatter; a level held 3 s goes on; 30 s quiet settles.
    private static readonly SupervisionPolicy Policy = new(4, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30));
    private static readonly PointDefinition Door = new("door-hall", PointKind.DoorContact, 4, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a");
    private static readonly PointDefinition Fence = new("fence-n", PointKind.Perimeter, 5, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a");
    private static readonly PointDefinition Key = new("key-a", PointKind.Keyswitch, 6, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a");

    private readonly List<DomainEvent> _events = [];

    /// <summary>Every level the decider is handed by ticks every 100 ms up to <paramref name="until"/>, in order.</summary>
    private List<bool> TickUntil(PointSupervisor supervisor, double from, double until)
    {
        var handedOn = new List<bool>();
        for (var t = from; t < until; t += 0.1)
        {
            if (supervisor.Tick(TestSite.At(t), _events) is { } level)
            {
                if (supervisor.MissedActive)
                {
                    handedOn.Add(true);
                }

                handedOn.Add(level);
            }
        }

        return handedOn;
    }

    // Chatters at 4 s (shut, withheld); the shut level is handed on at 7 s; still suppressed.
    private PointSupervisor SuppressedAtRest(PointDefinition point)
    {
        var supervisor = new PointSupervisor(point, Policy, settledActive: false, TimeSpan.Zero);
        foreach (var t in new[] { 1.0, 2, 3, 4 })
        {
            supervisor.OnChange(!supervisor.Active, TestSite.At(t), _events);
        }

        Assert.Equal([false], TickUntil(supervisor, 4.1, 7.15));
        Assert.True(supervisor.Suppressed);
        return supervisor;
    }

    [Fact]
    public void A_door_forced_for_2_5_s_while_suppressed_reaches_the_decider_at_the_settle_then_shut()
    {
        var door = SuppressedAtRest(Door);

        Assert.False(door.OnChange(true, TestSite.At(12), _events)); // forced open
        Assert.Empty(TickUntil(door, 12.1, 14.5));
        Assert.False(door.OnChange(false, TestSite.At(14.5), _events)); // shut again, under the hold
        Assert.Empty(TickUntil(door, 14.6, 44.45));

        Assert.Equal([true, false], TickUntil(door, 44.5, 80)); // settled: the opening, then shut
        Assert.False(door.Suppressed);
        Assert.False(door.MissedActive);
    }

    [Fact]
    public void A_fence_chattering_all_episode_hands_its_alarm_on_once_not_per_flap()
    {
        var fence = SuppressedAtRest(Fence);
        var handedOn = new List<bool>();
        for (var t = 8.0; t < 60; t += 0.4)
        {
            handedOn.AddRange(TickUntil(fence, t, t + 0.4));
            fence.OnChange(!fence.Active, TestSite.At(t + 0.4), _events);
        }

        if (fence.Active)
        {
            fence.OnChange(false, TestSite.At(61), _events);
        }

        handedOn.AddRange(TickUntil(fence, 61, 120));

        Assert.Equal([true, false], handedOn);
        Assert.Single(_events.OfType<ChatterDetected>());
    }

    [Fact]
    public void An_alarm_the_decider_already_had_by_the_hold_is_not_handed_on_again()
    {
        var door = SuppressedAtRest(Door);
        door.OnChange(true, TestSite.At(12), _events);
        Assert.Equal([true], TickUntil(door, 12.1, 15.15)); // held open 3 s: door.forced then
        door.OnChange(false, TestSite.At(20), _events);

        // Shut by the hold at 23 s; the settle at 50 s hands on only the settled level.
        Assert.Equal([false, false], TickUntil(door, 20.1, 80));
    }

    [Fact]
    public void A_short_turn_of_a_chattering_keyswitch_is_never_made_up_at_the_settle()
    {
        // A key is a command, not an alarm: a made-up turn could end a lockdown.
        var key = SuppressedAtRest(Key);
        key.OnChange(true, TestSite.At(12), _events);
        key.OnChange(false, TestSite.At(13), _events);

        Assert.Equal([false], TickUntil(key, 13.1, 80));
    }
}
