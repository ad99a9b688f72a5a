using System.Collections.Immutable;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

/// <summary>
/// A saved safety state restored after a technician changed the config between the stop and the
/// start: what the new config no longer supports is kept on the safe side (a door left released)
/// or dropped, never left in a state nothing can end.
/// </summary>
public sealed class ConfigChangeRestoreTests
{
    private static readonly SiteDefinition Before = TestSite.Create();

    // The technician removed delayed egress from door-entry; a site built in code may keep its
    // relock key (a config file may not: relockKeyswitches needs delayedEgressSeconds).
    private static readonly SiteDefinition WithoutDelay = Before with
    {
        Doors = [Before.DoorList[0], Before.DoorList[1] with { DelayedEgress = null }],
    };

    // As a config file must then be: no delay, no local alarm, no relock key.
    private static readonly SiteDefinition PlainExit = Before with
    {
        Doors = [Before.DoorList[0], Before.DoorList[1] with { DelayedEgress = null, LocalAlarm = null, RelockKeyswitches = null }],
    };

    private static SafetyState Saved(DoorRelease release) => SafetyState.Initial with
    {
        DoorReleases = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("door-entry", release)]),
    };

    private static SiteState Restore(SiteDefinition site, SafetyState saved) =>
        SiteState.Restore(site, saved, ImmutableDictionary<string, bool>.Empty, TestSite.At(0));

    private static SiteState Settle(SiteDefinition site, SiteState restored) =>
        SiteDecider.Decide(site, restored, InputsSettled.Instance, TestSite.At(0.1)).State;

    [Fact]
    public void A_latched_delayed_egress_stays_released_until_its_relock_key_after_the_door_loses_its_delay()
    {
        var settled = Settle(WithoutDelay, Restore(WithoutDelay, Saved(DoorRelease.DelayedEgressReleased)));
        var later = SiteDecider.Decide(WithoutDelay, settled, TimerTick.Instance, TestSite.At(3600)).State;

        Assert.False(OutputPlan.For(WithoutDelay, later).IsActive("lock-entry"), "door-entry relocked with no relock and no event");
        var relocked = SiteDecider.Decide(WithoutDelay, later, new PointChanged("key-door", true), TestSite.At(3601));
        Assert.Equal("door-entry", Assert.Single(relocked.Events.OfType<DoorRelocked>()).DoorId);
        Assert.True(OutputPlan.For(WithoutDelay, relocked.State).IsActive("lock-entry"));
    }

    [Fact]
    public void A_latched_delayed_egress_of_a_door_left_without_delay_or_relock_key_is_released_for_its_request_to_exit_time()
    {
        var restored = Restore(PlainExit, Saved(DoorRelease.DelayedEgressReleased));
        var settled = Settle(PlainExit, restored);

        // Nothing could ever relock a latch now: the door is released as its exit button releases it.
        Assert.False(OutputPlan.For(PlainExit, settled).IsActive("lock-entry"), "door-entry relocked at the boot");
        Assert.Equal(new DoorState(ReleasedUntil: TestSite.Release), DoorSupervision.Of(restored, "door-entry"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_delayed_egress_counting_at_the_stop_lets_the_person_out_after_the_door_loses_its_delay(bool keepsRelockKey)
    {
        var site = keepsRelockKey ? WithoutDelay : PlainExit;
        var restored = Restore(site, Saved(DoorRelease.DelayedEgressCounting));
        var settled = Settle(site, restored);

        Assert.False(OutputPlan.For(site, settled).IsActive("lock-entry"), "the pending exit was forgotten: door-entry stays locked");
        Assert.Equal(new DoorState(ReleasedUntil: TestSite.Release), DoorSupervision.Of(restored, "door-entry"));
    }

    [Fact]
    public void A_saved_door_alarm_is_dropped_at_restore_once_the_door_has_no_contact_to_restore_it()
    {
        var noContact = Before with { Doors = [Before.DoorList[0] with { ContactPoint = null }, Before.DoorList[1]] };
        var saved = SafetyState.Initial with
        {
            DoorAlarms = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("door-egress", DoorAlarm.Forced | DoorAlarm.HeldOpen)]),
        };

        var restored = Restore(noContact, saved);

        // Only the contact closing restores an alarm: kept, it would stay active and saved for ever.
        Assert.False(restored.Safety.ActiveDoorAlarms.ContainsKey("door-egress"), "the door alarm of door-egress is kept with no contact to end it");
        Assert.Equal(DoorState.Quiet, DoorSupervision.Of(restored, "door-egress"));
    }
}
