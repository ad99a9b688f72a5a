using System.Collections.Immutable;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A door's lock status contact judged against what the lock should do: <c>door-egress</c>
/// (lock-egress, egress, contact door-a) of <see cref="TestSite"/> with a bond sensor <c>bond-a</c>
/// (active = the maglock holds the door).
/// </summary>
public sealed class LockMonitoringTests
{
    private static readonly SiteDefinition Plain = TestSite.Create();

    private static readonly SiteDefinition Site = Plain with
    {
        Points = [.. Plain.Points, new("bond-a", PointKind.LockMonitor, 30, ActiveHigh: true, LinePull.Down, TimeSpan.Zero, "a")],
        Doors = [.. Plain.DoorList.Select(d => d.Id == "door-egress" ? d with { LockMonitor = "bond-a" } : d)],
    };

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    private static Decision Tick(SiteState state, double at) =>
        SiteDecider.Decide(Site, state, TimerTick.Instance, TestSite.At(at));

    [Fact]
    public void A_lock_that_does_not_hold_the_closed_door_in_a_lockdown_is_a_critical_fault_after_the_grace()
    {
        var lockedDown = Step(Quiet(), "panic-a", true, 1);
        Assert.DoesNotContain(lockedDown.Events, e => e is DoorLockFault);
        Assert.Equal(TimeSpan.FromSeconds(1) + LockMonitoring.Grace, DoorSupervision.NextDeadline(Site, lockedDown.State));

        Assert.Empty(Tick(lockedDown.State, 3.9).Events.OfType<DoorLockFault>());
        var late = Tick(lockedDown.State, 4);

        var fault = Assert.Single(late.Events.OfType<DoorLockFault>());
        Assert.Equal(("door-egress", "lock-egress", "bond-a", LockCondition.NotEngaged, Severity.Critical),
            (fault.DoorId, fault.LockId, fault.Point, fault.Condition, fault.Severity));
        Assert.Null(DoorSupervision.NextDeadline(Site, late.State)); // reported once

        var bonded = Step(late.State, "bond-a", true, 6);
        var restored = Assert.Single(bonded.Events.OfType<DoorLockFaultRestored>());
        Assert.Equal(LockCondition.NotEngaged, restored.Condition);
    }

    [Fact]
    public void A_lock_that_bonds_within_the_grace_or_a_door_standing_open_raises_nothing()
    {
        var lockedDown = Step(Quiet(), "panic-a", true, 1);
        var bonded = Step(lockedDown.State, "bond-a", true, 1.5);
        Assert.Empty(Tick(bonded.State, 10).Events.OfType<DoorLockFault>());

        // Open, it cannot bond: nothing is expected of it (door.forced says what happened).
        var open = Step(Step(bonded.State, "door-a", true, 11).State, "bond-a", false, 11.1);
        Assert.Empty(Tick(open.State, 30).Events.OfType<DoorLockFault>());
        Assert.Equal(SiteMode.Lockdown, open.State.Mode);
    }

    [Fact]
    public void An_egress_lock_still_holding_the_door_in_a_fire_is_a_critical_fault_until_it_lets_go()
    {
        var bonded = Step(Step(Quiet(), "panic-a", true, 1).State, "bond-a", true, 1.5).State;

        var fire = Step(bonded, "fire-panel", true, 2);
        Assert.False(OutputPlan.For(Site, fire.State).IsActive("lock-egress"));
        var stuck = Tick(fire.State, 5);

        var fault = Assert.Single(stuck.Events.OfType<DoorLockFault>());
        Assert.Equal((LockCondition.NotReleased, Severity.Critical, true), (fault.Condition, fault.Severity, fault.Egress));
        var released = Step(stuck.State, "bond-a", false, 7);
        Assert.Equal(LockCondition.NotReleased, Assert.Single(released.Events.OfType<DoorLockFaultRestored>()).Condition);
        Assert.Empty(Tick(released.State, 20).Events.OfType<DoorLockFault>());
    }

    [Fact]
    public void A_lock_that_should_be_open_in_normal_mode_but_holds_is_an_alarm_and_a_bypassed_monitor_ends_it()
    {
        var holding = Step(Quiet(), "bond-a", true, 1);
        var fault = Assert.Single(Tick(holding.State, 4).Events.OfType<DoorLockFault>());
        Assert.Equal((LockCondition.NotReleased, Severity.Critical), (fault.Condition, fault.Severity)); // egress: people may be trapped

        var raised = Tick(holding.State, 4).State;
        var bypass = TestSite.Command(CommandType.Bypass, "sup-1", OperatorRole.Supervisor,
            ("point", new JsonStringItem("bond-a")), ("until", new JsonStringItem(WireTime.Format(TestSite.At(600).Utc))));
        var bypassed = SiteDecider.Decide(Site, raised, new OfficeCommandInput(bypass), TestSite.At(5));

        Assert.Contains(bypassed.Events, e => e is CommandDone);
        Assert.Single(bypassed.Events.OfType<DoorLockFaultRestored>());
        Assert.Empty(Tick(bypassed.State, 30).Events.OfType<DoorLockFault>());
    }

    [Fact]
    public void A_door_without_a_monitor_is_never_judged()
    {
        var lockedDown = Step(Quiet(), "panic-a", true, 1);

        Assert.Empty(SiteDecider.Decide(Plain, lockedDown.State, TimerTick.Instance, TestSite.At(60)).Events.OfType<DoorLockFault>());
        Assert.Null(DoorSupervision.Of(lockedDown.State, "door-entry").LockMismatch);
    }

    private static SiteDefinition With(Func<OutputDefinition, OutputDefinition> change) =>
        Site with { Outputs = [.. Site.Outputs.Select(o => o.Id == "lock-egress" ? change(o) : o)] };

    [Fact]
    public void A_lock_whose_push_to_exit_cuts_its_power_may_hold_nothing_for_its_35_s_before_it_is_reported()
    {
        var site = With(o => o with { HardwiredExit = true });
        var lockedDown = SiteDecider.Decide(site, Quiet(), new PointChanged("panic-a", true), TestSite.At(1));

        Assert.Equal(TimeSpan.FromSeconds(1) + LockMonitoring.HardwiredExitGrace, DoorSupervision.NextDeadline(site, lockedDown.State));
        Assert.Empty(SiteDecider.Decide(site, lockedDown.State, TimerTick.Instance, TestSite.At(30)).Events.OfType<DoorLockFault>());
        Assert.Single(SiteDecider.Decide(site, lockedDown.State, TimerTick.Instance, TestSite.At(36)).Events.OfType<DoorLockFault>());
    }

    [Fact]
    public void A_chattering_monitor_is_neither_raised_nor_restored_on_and_counts_afresh_once_it_settles()
    {
        var lockedDown = Step(Quiet(), "panic-a", true, 1).State;
        var raised = Tick(lockedDown, 4).State;
        var suppressed = SiteDecider.Decide(Site, raised, new PointsSuppressed(["bond-a"]), TestSite.At(5));

        Assert.Empty(suppressed.Events.OfType<DoorLockFaultRestored>());
        Assert.Null(DoorSupervision.NextDeadline(Site, suppressed.State));
        Assert.Empty(Tick(suppressed.State, 60).Events.OfType<DoorLockFault>());

        var settled = SiteDecider.Decide(Site, suppressed.State, new PointsSuppressed([]), TestSite.At(61));
        Assert.Empty(settled.Events); // still not holding: the fault raised before stands, not raised twice
    }

    [Fact]
    public void A_fault_raised_as_an_alarm_is_raised_anew_as_critical_when_a_lockdown_needs_the_lock()
    {
        var site = With(o => o with { NormallyLocked = true });
        var quiet = SiteState.Restore(site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));
        var overnight = SiteDecider.Decide(site, quiet, TimerTick.Instance, TestSite.At(1)).State;
        var alarm = SiteDecider.Decide(site, overnight, TimerTick.Instance, TestSite.At(5));
        Assert.Equal(Severity.Alarm, Assert.Single(alarm.Events.OfType<DoorLockFault>()).Severity);

        var lockdown = SiteDecider.Decide(site, alarm.State, new PointChanged("panic-a", true), TestSite.At(10));

        Assert.Single(lockdown.Events.OfType<DoorLockFaultRestored>());
        Assert.Equal(Severity.Critical, Assert.Single(lockdown.Events.OfType<DoorLockFault>()).Severity);
        Assert.Empty(SiteDecider.Decide(site, lockdown.State, TimerTick.Instance, TestSite.At(20)).Events.OfType<DoorLockFault>());
    }
}
