using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Tests.Controller;

// A late read the stop takes in its last save (SiteController.SaveUnsavedSafetyState): its fire
// release is put back in force there, after the stop's once-more drive. When that release's native
// write fails once, the stop still makes it once more before the lines close
// (OutputsDecidedAtStopTests has a fire input's release decided during the same save).
public sealed partial class UnreadableSafetyStateTests
{
    [Fact]
    public async Task A_late_read_fire_release_put_back_in_the_stop_save_whose_write_failed_once_is_made_before_the_lines_close()
    {
        _store.Holds = SafetyState.Initial with { LifeSafety = LifeSafety.FireEgressReleased };
        _store.Hang = true;
        await _h.BootAsync().WaitAsync(Patience);
        // A lockdown whose save waits behind the hung load: the stop will wait for it.
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "the exit was not locked before the late read");

        var stop = Task.Run(() => _h.Controller.StopAsync(CancellationToken.None));
        await _h.LoopEndedAsync(Patience);
        // The stop holds the loop's gate for a while: it is in its last save, past its once-more drive.
        var deadline = DateTime.UtcNow + Patience;
        while (_h.Controller.WaitUntilOutsideGate(TimeSpan.FromMilliseconds(300)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        // The card answers now, with a fire release; the exit's release write fails once (EIO).
        _h.Driver.FailWrites(ExitLine);
        _store.Unhang();
        await stop.WaitAsync(Patience);

        Assert.Equal(LifeSafety.FireEgressReleased, _h.Controller.Snapshot!.State.LifeSafety);
        Assert.Single(_h.Events.Events, e => e is OutputFault { OutputId: "exit" });
        // Before: the exit stayed locked (the release's one failed write was never made again).
        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "the late read's fire release was not made before the lines closed");
        Assert.Single(_h.Events.Events, e => e is OutputFaultRestored { OutputId: "exit" });
    }
}
