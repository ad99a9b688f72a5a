using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// An egress door none of whose exit buttons the gateway can read is released, lockdown or not
/// (NFPA 101 7.2.1.6.2): an exit button it cannot read reads "not pressed", and a person pressing it
/// would never be let out. <c>door-egress</c> (lock-egress, egress, exit button rex-a) and
/// <c>door-entry</c> (lock-entry, not an escape route, exit button rex-b) of <see cref="TestSite"/>.
/// </summary>
public sealed class UnreadableExitTests
{
    private static readonly SiteDefinition Site = TestSite.Create();

    private static SiteState LockedDown(SiteDefinition site) =>
        SiteDecider.Decide(site, SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0)),
            new PointChanged("panic-a", true), TestSite.At(1)).State;

    private static Decision Unreadable(SiteDefinition site, SiteState state, double at, params string[] points) =>
        SiteDecider.Decide(site, state, new PointsUnreadable(ImmutableSortedSet.Create(StringComparer.Ordinal, points)), TestSite.At(at));

    [Fact]
    public void An_egress_door_whose_exit_button_cannot_be_read_is_released_in_a_lockdown_until_the_button_reads_again()
    {
        var lockedDown = LockedDown(Site);
        Assert.True(OutputPlan.For(Site, lockedDown).IsActive("lock-egress"));

        var blind = Unreadable(Site, lockedDown, 2, "rex-a");

        var released = Assert.IsType<DoorExitUnreadable>(Assert.Single(blind.Events));
        Assert.Equal(("door-egress", "lock-egress", Severity.Alarm), (released.DoorId, released.LockId, released.Severity));
        Assert.Equal(["rex-a"], released.Exits);
        Assert.False(OutputPlan.For(Site, blind.State).IsActive("lock-egress"));
        Assert.Equal(SiteMode.Lockdown, blind.State.Mode);
        // Someone leaving through it did not force it: the gateway let it go.
        var opened = SiteDecider.Decide(Site, blind.State, new PointChanged("door-a", true), TestSite.At(3));
        Assert.DoesNotContain(opened.Events, e => e is DoorForced);

        var readable = Unreadable(Site, opened.State, 4);

        var restored = Assert.IsType<DoorExitUnreadableRestored>(Assert.Single(readable.Events));
        Assert.Equal(("door-egress", "lock-egress", Severity.Info), (restored.DoorId, restored.LockId, restored.Severity));
        Assert.True(OutputPlan.For(Site, readable.State).IsActive("lock-egress"));
    }

    [Fact]
    public void Points_that_stay_unreadable_report_the_door_once()
    {
        var blind = Unreadable(Site, LockedDown(Site), 2, "rex-a");

        var more = Unreadable(Site, blind.State, 3, "rex-a", "door-a");

        Assert.Empty(more.Events);
        Assert.False(OutputPlan.For(Site, more.State).IsActive("lock-egress"));
    }

    [Fact]
    public void A_door_that_is_no_escape_route_stays_locked_when_its_exit_button_cannot_be_read()
    {
        // lock-entry is normally locked and not egress: people leave by the escape routes.
        var blind = Unreadable(Site, LockedDown(Site), 2, "rex-b");

        Assert.Empty(blind.Events);
        Assert.True(OutputPlan.For(Site, blind.State).IsActive("lock-entry"));
    }

    [Fact]
    public void An_egress_lock_with_a_hardwired_exit_stays_locked_when_its_exit_button_cannot_be_read()
    {
        // A push-to-exit that cuts the lock's power lets people out without the gateway.
        var site = Site with
        {
            Outputs = [.. Site.Outputs.Select(o => o.Id == "lock-egress" ? o with { HardwiredExit = true } : o)],
        };

        var blind = Unreadable(site, LockedDown(site), 2, "rex-a");

        Assert.Empty(blind.Events);
        Assert.True(OutputPlan.For(site, blind.State).IsActive("lock-egress"));
    }

    [Fact]
    public void A_door_with_one_exit_button_still_read_stays_locked_and_is_released_when_that_one_goes_too()
    {
        var site = Site with
        {
            Doors = [.. Site.DoorList.Select(d => d.Id == "door-egress" ? d with { RequestToExit = ["rex-a", "rex-b"] } : d)],
        };

        var oneLeft = Unreadable(site, LockedDown(site), 2, "rex-a");
        Assert.Empty(oneLeft.Events);
        Assert.True(OutputPlan.For(site, oneLeft.State).IsActive("lock-egress"));

        var none = Unreadable(site, oneLeft.State, 3, "rex-a", "rex-b");
        Assert.Equal(["rex-a", "rex-b"], Assert.IsType<DoorExitUnreadable>(Assert.Single(none.Events)).Exits);
        Assert.False(OutputPlan.For(site, none.State).IsActive("lock-egress"));

        // One reads again: a person can press it, so the lockdown holds the door again.
        var back = Unreadable(site, none.State, 4, "rex-a");
        Assert.IsType<DoorExitUnreadableRestored>(Assert.Single(back.Events));
        Assert.True(OutputPlan.For(site, back.State).IsActive("lock-egress"));
    }

    [Fact]
    public void The_unreadable_points_are_not_part_of_the_safety_state()
    {
        // A restart reads every point afresh; the I/O board reports again what it still cannot read.
        var lockedDown = LockedDown(Site);

        var blind = Unreadable(Site, lockedDown, 2, "rex-a");

        Assert.Equal(lockedDown.Safety, blind.State.Safety);
    }
}
