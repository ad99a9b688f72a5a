using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

// The order a loaded machine gave now and then (1 run in 20): the stop's await of the loop
// registered before the test's wait for the loop's end. The stop then runs on inline as the loop's
// task completes, on the loop's thread, into its wait for the hung save (the clock stands): a
// continuation of the test registered on that task after the stop's is not run until that wait
// ends, and the test opens the disk only once it ran. So the harness sees the loop's end by the
// task's state (ControllerHarness.LoopEndedAsync), here with that order forced.
public sealed partial class HungSaveTests
{
    [Fact]
    public async Task An_orderly_stop_that_runs_on_as_the_loop_ends_waits_for_the_hung_save_then_saves_the_latest_state()
    {
        var store = new GatedStore();
        var sink = new BlockingSink();
        await using var h = new ControllerHarness(Site, _ => store, sink);
        await h.BootAsync();
        await h.SettleAsync();
        store.Hold = true;
        h.Set("panic", true);
        Assert.True(store.HeldSaveStarted.Wait(Patience), "the lockdown was never saved");
        h.Time.Advance(SiteController.SafetySaveDeadline);
        await h.SettleAsync();

        // The loop busy in a report when SIGTERM comes: the stop, called on this thread, gets to its
        // await of the loop before this test waits for the loop's end.
        h.Controller.ReportFromOutside([new HardwareFault(h.Time.GetUtcNow(), BlockingSink.Device, "holds the loop")]);
        Assert.True(sink.Entered.Wait(Patience), "the loop never reported");
        var stop = h.Controller.StopAsync(CancellationToken.None);
        Assert.False(stop.IsCompleted, "the stop did not wait for the loop");
        var ended = h.LoopEndedAsync(Patience);
        sink.Release.Set();
        await ended;

        // The disk answers once the loop has ended; the stop saw the save through.
        store.Hold = false;
        store.Gate.Set();
        await stop.WaitAsync(Patience);
        Assert.Equal(SiteMode.Lockdown, store.Saved[^1].Mode);
        Assert.Equal(1, store.MostInside);
    }

    /// <summary>Blocks the reporting thread (the loop's) on the report of <see cref="Device"/>.</summary>
    private sealed class BlockingSink : IEventSink
    {
        public const string Device = "test-holds-the-loop";

        public ManualResetEventSlim Entered { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public void Publish(IReadOnlyList<DomainEvent> events)
        {
            if (events.Any(e => e is HardwareFault { Device: Device }))
            {
                Entered.Set();
                Release.Wait(Patience);
            }
        }
    }
}
