using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Core.Tests;

/// <summary>Forced and held-open doors, request to exit and delayed egress, as access-control panels do them.</summary>
public sealed class DoorSupervisionTests
{
    private static readonly Site.SiteDefinition Site = TestSite.Create();

    private static SiteState Quiet() =>
        SiteState.Restore(Site, SafetyState.Initial, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static Decision Step(SiteState state, string point, bool active, double at) =>
        SiteDecider.Decide(Site, state, new PointChanged(point, active), TestSite.At(at));

    private static Decision Tick(SiteState state, double at) =>
        SiteDecider.Decide(Site, state, TimerTick.Instance, TestSite.At(at));

    private static SiteState LockedDown() => Step(Quiet(), "panic-a", true, 1).State;

    [Fact]
    public void Opening_a_locked_egress_door_without_a_request_to_exit_is_forced_and_critical_in_a_lockdown()
    {
        var decision = Step(LockedDown(), "door-a", true, 2);

        var forced = Assert.IsType<DoorForced>(decision.Events[^1]);
        Assert.Equal(("door-egress", "door-a", "a", Severity.Critical), (forced.DoorId, forced.ContactPoint, forced.Zone, forced.Severity));
        var closed = Step(decision.State, "door-a", false, 3);
        Assert.IsType<DoorForcedRestored>(closed.Events[^1]);
        Assert.False(DoorSupervision.Of(closed.State, "door-egress").Forced);
    }

    [Fact]
    public void A_door_is_not_held_open_while_its_chattering_contact_is_suppressed()
    {
        // In a lockdown (the door is secure), the contact's last change let through said open,
        // then supervision withheld its chatter: the door may have been shut all along.
        var open = Step(LockedDown(), "door-a", true, 2).State;
        var suppressed = SiteDecider.Decide(Site, open, new PointsSuppressed(["door-a"]), TestSite.At(3)).State;

        var later = Tick(suppressed, 2 + TestSite.HeldOpen.TotalSeconds + 10);

        Assert.DoesNotContain(later.Events, e => e is DoorHeldOpen);
        Assert.Null(DoorSupervision.NextDeadline(Site, later.State));

        // Trusted again and still open: held open counts from then, not from the frozen opening.
        var restored = SiteDecider.Decide(Site, later.State, new PointsSuppressed([]), TestSite.At(50)).State;
        Assert.DoesNotContain(Tick(restored, 50 + TestSite.HeldOpen.TotalSeconds - 1).Events, e => e is DoorHeldOpen);
        Assert.Contains(Tick(restored, 50 + TestSite.HeldOpen.TotalSeconds).Events, e => e is DoorHeldOpen);
    }

    [Fact]
    public void An_unlocked_door_may_open_freely()
    {
        var decision = Step(Quiet(), "door-a", true, 2);

        Assert.DoesNotContain(decision.Events, e => e is DoorForced);
        Assert.Null(SiteDecider.NextDeadline(Site, decision.State)); // not secure: no held-open watch
    }

    [Fact]
    public void A_request_to_exit_releases_the_egress_door_even_in_a_lockdown_then_it_relocks()
    {
        var released = Step(LockedDown(), "rex-a", true, 2);

        Assert.Equal(TimeSpan.FromSeconds(2) + TestSite.Release, SiteDecider.NextDeadline(Site, released.State));
        Assert.IsType<DoorReleased>(released.Events[^1]);
        Assert.False(OutputPlan.For(Site, released.State).IsActive("lock-egress"));
        var opened = Step(released.State, "door-a", true, 3);
        Assert.DoesNotContain(opened.Events, e => e is DoorForced);

        var relocked = Tick(opened.State, 7);
        Assert.True(OutputPlan.For(Site, relocked.State).IsActive("lock-egress"));
        Assert.Equal(SiteMode.Lockdown, relocked.State.Mode);
    }

    [Fact]
    public void A_second_request_to_exit_during_the_release_restarts_it()
    {
        // Before, the second press was ignored: the lock closed at the first press's end, half a
        // second after the person asked again, and their push was a critical door.forced.
        var first = Step(LockedDown(), "rex-a", true, 2).State;
        var again = Step(Step(first, "rex-a", false, 3).State, "rex-a", true, 6.5);

        var released = Assert.IsType<DoorReleased>(again.Events[^1]);
        Assert.Equal(TestSite.Release, released.For);
        Assert.Equal(TimeSpan.FromSeconds(6.5) + TestSite.Release, SiteDecider.NextDeadline(Site, again.State));
        var tick = Tick(again.State, 7);
        Assert.False(OutputPlan.For(Site, tick.State).IsActive("lock-egress"));
        Assert.DoesNotContain(Step(tick.State, "door-a", true, 7.5).Events, e => e is DoorForced);
        Assert.True(OutputPlan.For(Site, Tick(tick.State, 11.5).State).IsActive("lock-egress"));
    }

    [Fact]
    public void A_chattering_exit_button_keeps_the_release_running_without_an_event_per_flap()
    {
        var first = Step(LockedDown(), "rex-a", true, 2).State;
        var chattering = SiteDecider.Decide(Site, first, new PointsSuppressed([]) { Chattering = ImmutableSortedSet.Create(StringComparer.Ordinal, "rex-a") }, TestSite.At(2.5)).State;

        var flap = Step(Step(chattering, "rex-a", false, 3).State, "rex-a", true, 3.5);

        Assert.DoesNotContain(flap.Events, e => e is DoorReleased);
        Assert.Equal(TimeSpan.FromSeconds(3.5) + TestSite.Release, SiteDecider.NextDeadline(Site, flap.State));
    }

    [Fact]
    public void A_door_held_open_past_its_time_is_reported_once_and_restored_when_it_closes()
    {
        var open = Step(Step(LockedDown(), "rex-a", true, 2).State, "door-a", true, 3);
        var deadline = SiteDecider.NextDeadline(Site, Tick(open.State, 7).State);
        Assert.Equal(TimeSpan.FromSeconds(3) + TestSite.HeldOpen, deadline);

        var held = Tick(Tick(open.State, 7).State, 33);
        var alarm = Assert.IsType<DoorHeldOpen>(Assert.Single(held.Events, e => e is DoorHeldOpen));
        Assert.Equal(TestSite.HeldOpen, alarm.Allowed);
        Assert.Empty(Tick(held.State, 60).Events.OfType<DoorHeldOpen>());
        Assert.IsType<DoorHeldOpenRestored>(Step(held.State, "door-a", false, 61).Events[^1]);
    }

    [Fact]
    public void A_request_to_exit_does_not_open_a_secure_non_egress_door_during_a_lockdown()
    {
        var lockdown = Step(Quiet(), "panic-b", true, 1).State;

        var decision = Step(lockdown, "rex-b", true, 2);

        Assert.DoesNotContain(decision.Events, e => e is DoorReleased or DelayedEgressStarted);
        Assert.True(OutputPlan.For(Site, decision.State).IsActive("lock-entry"));
    }

    [Fact]
    public void Delayed_egress_sounds_the_local_alarm_releases_after_the_delay_and_stays_released_until_relocked()
    {
        var started = Step(Quiet(), "rex-b", true, 1);

        Assert.Equal(TestSite.DelayedEgress, Assert.IsType<DelayedEgressStarted>(started.Events[^1]).Delay);
        var plan = OutputPlan.For(Site, started.State);
        Assert.True(plan.IsActive("lock-entry"), "still locked during the delay");
        Assert.True(plan.IsActive("siren"), "local alarm sounds during the delay");
        Assert.Empty(Step(started.State, "rex-b", false, 2).Events.OfType<DelayedEgressStarted>());

        var released = Tick(started.State, 16);
        Assert.IsType<DelayedEgressReleased>(Assert.Single(released.Events));
        Assert.False(OutputPlan.For(Site, released.State).IsActive("lock-entry"));
        Assert.False(OutputPlan.For(Site, Tick(released.State, 3600).State).IsActive("lock-entry"), "no automatic relock");

        var relocked = Step(released.State, "key-door", true, 3700);
        Assert.IsType<DoorRelocked>(relocked.Events[^1]);
        Assert.True(OutputPlan.For(Site, relocked.State).IsActive("lock-entry"));
        Assert.False(OutputPlan.For(Site, relocked.State).IsActive("siren"));
        Assert.DoesNotContain(relocked.Events, e => e is LockdownClearRefused);
    }

    // NFPA 101: once a push starts it, delayed egress releases irreversibly; relocking is by manual
    // means after the release. A relock key turned during the count cancelled it.
    [Fact]
    public void A_relock_key_turned_during_the_delay_neither_cancels_nor_restarts_it()
    {
        var started = Step(Quiet(), "rex-b", true, 1);

        var turned = Step(started.State, "key-door", true, 10);
        var released = Tick(Step(turned.State, "key-door", false, 11).State, 16);

        Assert.DoesNotContain(turned.Events, e => e is DoorRelocked);
        Assert.True(OutputPlan.For(Site, turned.State).IsActive("siren"), "the local alarm sounds on");
        Assert.IsType<DelayedEgressReleased>(Assert.Single(released.Events));
        Assert.False(OutputPlan.For(Site, released.State).IsActive("lock-entry"));
        Assert.IsType<DoorRelocked>(Step(released.State, "key-door", true, 20).Events[^1]);
    }

    [Fact]
    public void A_door_found_open_at_boot_raises_nothing_but_its_held_open_time_runs()
    {
        var restored = SiteState.Restore(Site, new SafetyState(SiteMode.Lockdown, new LockdownInfo("panic-button", "panic-a", TestSite.At(0).Utc), false),
            new Dictionary<string, bool> { ["door-a"] = true }, TestSite.At(0));

        var settled = SiteDecider.Decide(Site, restored, InputsSettled.Instance, TestSite.At(0));

        Assert.Empty(settled.Events);
        Assert.Equal(TestSite.HeldOpen, SiteDecider.NextDeadline(Site, settled.State));
        Assert.IsType<DoorHeldOpen>(Assert.Single(Tick(settled.State, 30).Events));
    }

    [Fact]
    public void A_door_alarm_active_at_a_restart_is_restored_at_boot_if_the_door_closed_and_goes_on_if_not()
    {
        var forced = Step(Step(Quiet(), "panic-a", true, 1).State, "door-a", true, 2).State;
        Assert.Equal(DoorAlarm.Forced, forced.Safety.ActiveDoorAlarms["door-egress"]);

        var closedAtBoot = SiteState.Restore(Site, forced.Safety, new Dictionary<string, bool>(), TestSite.At(0));
        var settledClosed = SiteDecider.Decide(Site, closedAtBoot, InputsSettled.Instance, TestSite.At(0));
        var openAtBoot = SiteState.Restore(Site, forced.Safety, new Dictionary<string, bool> { ["door-a"] = true }, TestSite.At(0));
        var settledOpen = SiteDecider.Decide(Site, openAtBoot, InputsSettled.Instance, TestSite.At(0));

        Assert.IsType<DoorForcedRestored>(Assert.Single(settledClosed.Events));
        Assert.Empty(settledClosed.State.Safety.ActiveDoorAlarms);
        Assert.Empty(settledOpen.Events);
        Assert.True(DoorSupervision.Of(settledOpen.State, "door-egress").Forced);
        Assert.IsType<DoorForcedRestored>(Step(settledOpen.State, "door-a", false, 5).Events[^1]);
    }
}
