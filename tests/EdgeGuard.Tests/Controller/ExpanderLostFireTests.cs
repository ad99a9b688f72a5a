using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Hardware.Board;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A fire input on an expander whose I²C harness is cut after boot (the fire itself can do that): the chip
/// stops answering, so its fire input must read active and the controller release egress, as it does for a
/// chip dead at boot. Runs the production bank (supervision on the harness's clock) on the simulated chip.
/// </summary>
public sealed class ExpanderLostFireTests : IAsyncDisposable
{
    private readonly ExpanderFireRig _rig = new();

    private ControllerHarness H => _rig.H;

    [Fact]
    public async Task A_fire_input_on_an_expander_lost_after_boot_reads_active_and_egress_is_released()
    {
        await H.BootAsync();
        H.Time.Advance(ExpanderBank.SupervisionInterval); // a pass with the chip answering
        await H.SettleAsync();
        Assert.True(H.Driver.GetOutputLevel(ExpanderFireRig.ExitLine), "the exit was not locked before the chip was lost");
        Assert.DoesNotContain(H.Events.Events, e => e is FireAlarmRaised);

        _rig.Chip.Powered = false; // the harness is cut
        H.Time.Advance(ExpanderBank.SupervisionInterval);
        await H.SettleAsync();
        Assert.DoesNotContain(H.Events.Events, e => e is FireAlarmRaised); // one failed pass may be a glitch
        H.Time.Advance(ExpanderBank.SupervisionInterval); // the second in a row: lost
        await H.SettleAsync();

        Assert.Equal("fire-annex", Assert.Single(H.Events.Events.OfType<FireAlarmRaised>()).PointId);
        Assert.False(H.Driver.GetOutputLevel(ExpanderFireRig.ExitLine), "the egress door stayed locked with its fire input blind");
        Assert.Equal("mcp23017@0x20", Assert.Single(H.Events.Events.OfType<HardwareFault>()).Device);

        // Power back: the real level (released) comes back; the fire stays latched until a person resets it.
        _rig.Chip.Powered = true;
        H.Time.Advance(ExpanderBank.SupervisionInterval);
        await H.SettleAsync();
        Assert.Single(H.Events.Events.OfType<HardwareFaultRestored>());
        Assert.True(_rig.Bank.Read("fire-annex"), "the fire input's real level did not come back");
        Assert.False(H.Driver.GetOutputLevel(ExpanderFireRig.ExitLine), "egress was locked again without a reset");
    }

    public ValueTask DisposeAsync() => _rig.DisposeAsync();
}
