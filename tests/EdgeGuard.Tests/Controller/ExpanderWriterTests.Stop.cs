using EdgeGuard.Core.Lockdown;
using EdgeGuard.Testing;

namespace EdgeGuard.Tests.Controller;

// The orderly stop of a site with expander outputs: a write of the last plan that failed is made once
// more within the writers' drain, and a stop whose lines show the plan writes nothing at all.
public sealed partial class ExpanderWriterTests
{
    [Fact]
    public async Task A_fire_release_whose_expander_write_was_refused_once_is_made_at_a_stop_before_its_retry_was_due()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _h.Set("panic", true);
        await Eventually.TrueAsync(() => _chip.PinLevel(AnnexExitPin), Bound, "the lockdown locked the annex exit");
        await _h.SettleAsync();

        // A fire: the annex exit's release is refused once (an I²C glitch), and the chip answers again.
        _chip.NackWrites = true;
        _h.Set("fire", true);
        await Eventually.TrueAsync(
            () => _h.Events.Events.Any(e => e is OutputFault { OutputId: "lock-annex-exit" }), Bound, "fault.output for the annex exit");
        await _h.SettleAsync();
        Assert.True(_h.Controller.Snapshot!.State.FireEgressReleased, "the fire's release was not decided");
        Assert.True(_chip.PinLevel(AnnexExitPin), "the release's write was not refused");
        _chip.NackWrites = false;
        var olatWrites = _chip.OlatWrites;

        // SIGTERM before the retry (the clock stands still): the chip's writer tries once more.
        await StopAsync();

        Assert.False(_chip.PinLevel(AnnexExitPin), "the annex exit stays locked in a fire while the gateway is stopped");
        Assert.Equal(olatWrites + 1, _chip.OlatWrites);
    }

    [Fact]
    public async Task A_stop_whose_outputs_show_the_plan_writes_nothing_native_or_expander()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _h.Set("panic", true);
        await Eventually.TrueAsync(() => _chip.PinLevel(AnnexExitPin), Bound, "the lockdown locked the annex exit");
        await _h.SettleAsync();
        _h.Set("fire", true);
        await Eventually.TrueAsync(
            () => _h.Controller.Snapshot is { State.FireEgressReleased: true } s && !s.OutputLevels["lock-annex-exit"],
            Bound, "the fire's release on every line");
        await _h.SettleAsync();
        var nativeWrites = _h.Driver.Writes.Count;
        var olatWrites = _chip.OlatWrites;

        await StopAsync();

        // "An orderly stop writes nothing": no line is driven on the way down.
        Assert.Equal(nativeWrites, _h.Driver.Writes.Count);
        Assert.Equal(olatWrites, _chip.OlatWrites);
        Assert.False(_h.Driver.GetOutputLevel(LobbyExitLine));
        Assert.False(_chip.PinLevel(AnnexExitPin));
        Assert.True(_h.Driver.GetOutputLevel(LampLine));
    }
}
