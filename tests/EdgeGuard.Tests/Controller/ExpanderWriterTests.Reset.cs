using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Testing;

namespace EdgeGuard.Tests.Controller;

// An expander reset by a power glitch while the plan stands still: the controller must learn that its
// relays dropped, though it asked for nothing new.
public sealed partial class ExpanderWriterTests
{
    [Fact]
    public async Task A_lock_on_a_reset_expander_that_cannot_be_configured_again_is_a_fault_output_until_it_is()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _h.Set("panic", true);
        await Eventually.TrueAsync(() => _chip.PinLevel(AnnexExitPin), Bound, "the lockdown locked the annex exit");
        await Eventually.TrueAsync(() => _h.Controller.Snapshot!.OutputLevels["lock-annex-exit"], Bound, "the controller saw the annex exit locked");
        await _h.SettleAsync();

        // A brown-out resets the chip (every pin an input: the lock's relay drops), and configuring it again
        // fails pass after pass. Before, the snapshot kept showing the lock locked and no fault.output came.
        _chip.NackIodirWrites = true;
        _chip.PowerOnReset();
        _h.Time.Advance(ExpanderBank.SupervisionInterval);
        await Eventually.TrueAsync(() => _h.Events.Events.Any(e => e is HardwareFault), Bound, "fault.hardware for the reset chip");
        await Eventually.TrueAsync(() => _h.Events.Events.Any(e => e is OutputFault), Bound, "fault.output for the annex exit its reset dropped");
        await _h.SettleAsync();
        Assert.Equal("lock-annex-exit", Assert.Single(_h.Events.Events.OfType<OutputFault>()).OutputId);
        var dropped = _h.Controller.Snapshot!;
        Assert.True(dropped.Plan.Levels(Site)["lock-annex-exit"], "the lockdown's plan no longer locks the annex exit");
        Assert.False(dropped.OutputLevels["lock-annex-exit"], "the snapshot shows the annex exit locked with its relay de-energised");
        Assert.False(_chip.PinLevel(AnnexExitPin));

        // More failed passes, each writing the lock again (refused), with the controller's retries
        // between: the fault stands, raised once, not once a pass.
        for (var pass = 0; pass < 3; pass++)
        {
            await _h.AdvanceInStepsAsync(ExpanderBank.SupervisionInterval);
        }

        await _h.SettleAsync();
        Assert.Single(_h.Events.Events.OfType<OutputFault>());
        Assert.Single(_h.Events.Events.OfType<HardwareFault>());
        Assert.Empty(_h.Events.Events.OfType<OutputFaultRestored>());
        Assert.False(_h.Controller.Snapshot!.OutputLevels["lock-annex-exit"]);

        // The chip takes its configuration again: the lock is driven, read back at the plan, and restored once.
        _chip.NackIodirWrites = false;
        _h.Time.Advance(ExpanderBank.SupervisionInterval);
        await Eventually.TrueAsync(() => _h.Events.Events.Any(e => e is OutputFaultRestored), Bound, "fault.output-restored for the annex exit");
        await _h.SettleAsync();
        Assert.True(_chip.PinLevel(AnnexExitPin), "the annex exit was not locked again once its chip was configured");
        Assert.True(_h.Controller.Snapshot!.OutputLevels["lock-annex-exit"]);
        Assert.Single(_h.Events.Events.OfType<OutputFault>());
        Assert.Equal("lock-annex-exit", Assert.Single(_h.Events.Events.OfType<OutputFaultRestored>()).OutputId);
        Assert.Single(_h.Events.Events.OfType<HardwareFaultRestored>());
    }
}
