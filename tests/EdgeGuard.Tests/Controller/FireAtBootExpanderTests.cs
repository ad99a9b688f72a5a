using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A fire input on an expander pin before the outputs are opened. After a service restart the chip
/// still holds the gateway's configuration and its pin is read: at rest, egress is opened at the
/// plan and driven once; in alarm, released. A chip just powered on cannot be read (its pins float
/// without their pull-ups until it is configured with the outputs), so the boot takes the safe
/// side, as for a dead chip: the egress locks are opened released, and the settled read decides. At
/// rest, they lock again after the settle time and no fire is latched; in alarm, they were never
/// locked.
/// </summary>
public sealed class FireAtBootExpanderTests : IAsyncDisposable
{
    private readonly ExpanderFireRig _rig = new();

    private ControllerHarness H => _rig.H;

    [Fact]
    public async Task After_a_service_restart_an_expander_fire_input_at_rest_opens_egress_at_the_plan()
    {
        _rig.ConfiguredByLastRun();
        _rig.Chip.SetPin(0, true); // at rest

        await H.BootAsync();
        await H.SettleAsync();

        Assert.True(_rig.Opened!["lock-exit"], "a fire input read at rest must not release egress");
        Assert.Equal([true], H.Driver.DrivenLevels(ExpanderFireRig.ExitLine));
        Assert.Equal(LifeSafety.Normal, H.Controller.Current!.LifeSafety);
        Assert.DoesNotContain(H.Events.Events, e => e is FireAlarmRaised);
    }

    [Fact]
    public async Task After_a_service_restart_an_expander_fire_input_in_alarm_never_lets_egress_lock()
    {
        _rig.ConfiguredByLastRun();
        _rig.Chip.SetPin(0, false); // the fire panel's contact closed

        await H.BootAsync();
        await H.SettleAsync();

        Assert.False(_rig.Opened!["lock-exit"], "a fire input read active must open egress released");
        Assert.Equal([false], H.Driver.DrivenLevels(ExpanderFireRig.ExitLine));
        Assert.Equal(LifeSafety.FireEgressReleased, H.Controller.Current!.LifeSafety);
        Assert.Equal("fire-annex", Assert.Single(H.Events.Events.OfType<FireAlarmRaised>()).PointId);
    }

    [Fact]
    public async Task On_a_chip_just_powered_on_a_fire_input_at_rest_releases_egress_for_the_settle_time_only()
    {
        _rig.Chip.SetPin(0, true); // at rest

        await H.BootAsync();
        await H.SettleAsync();

        Assert.False(_rig.Opened!["lock-exit"], "an unread fire input must open egress released");
        Assert.Equal([false, true], H.Driver.DrivenLevels(ExpanderFireRig.ExitLine));
        Assert.Equal(LifeSafety.Normal, H.Controller.Current!.LifeSafety);
        Assert.DoesNotContain(H.Events.Events, e => e is FireAlarmRaised);
    }

    [Fact]
    public async Task On_a_chip_just_powered_on_a_fire_input_in_alarm_never_lets_egress_lock()
    {
        _rig.Chip.SetPin(0, false); // the fire panel's contact closed

        await H.BootAsync();
        await H.SettleAsync();

        Assert.Equal([false], H.Driver.DrivenLevels(ExpanderFireRig.ExitLine));
        Assert.Equal(LifeSafety.FireEgressReleased, H.Controller.Current!.LifeSafety);
        Assert.Equal("fire-annex", Assert.Single(H.Events.Events.OfType<FireAlarmRaised>()).PointId);
    }

    public ValueTask DisposeAsync() => _rig.DisposeAsync();
}
