using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The stop's once-more drive (OutputsAtStopTests) runs before its last save, and the stop decides
/// inputs until its channel closes, after that save (StopRaceTests.Late.cs). A decision made during
/// the save whose native write failed once must still be written once more before the lines close:
/// the 250 ms retry never comes after a stop, and a fire's egress release refused by one glitch
/// would otherwise stay unmade for as long as the gateway is down.
/// </summary>
public sealed class OutputsDecidedAtStopTests
{
    private const int LockLine = 10;
    private const int OfficeLockLine = 11;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly SiteDefinition Site = new(
        "site-p", "gw-p",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("fire", PointKind.FireAlarm, 3, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("lock-office", OutputKind.Lock, OfficeLockLine, ActiveHigh: true, "a", LockFailMode.FailSecure, Egress: false),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    [Fact]
    public async Task A_fire_release_decided_during_the_stop_save_whose_native_write_failed_once_is_made_before_the_lines_close()
    {
        var store = new GatedStore();
        await using var h = new ControllerHarness(Site, _ => store);
        var egressLocked = Site.Outputs[0].LevelFor(true);
        var stop = await StopInItsSaveAsync(h, store);

        // The fire comes now; its release's write fails once (EIO on the relay line).
        h.Driver.FailWrites(LockLine);
        h.Set("fire", true);
        store.Hold = false;
        store.Gate.Set();
        await stop.WaitAsync(Patience);

        Assert.Contains(h.Events.Events, e => e is FireAlarmRaised);
        Assert.Single(h.Events.Events, e => e is OutputFault { OutputId: "lock" });
        // Before: the egress lock stayed locked (the release's one failed write was never made again).
        Assert.NotEqual(egressLocked, h.Driver.GetOutputLevel(LockLine));
        // Opened unlocked, locked by the lockdown, released by the stop's write (a failed one drives no level).
        Assert.Equal([!egressLocked, egressLocked, !egressLocked], h.Driver.DrivenLevels(LockLine));
        // The journal learns the release took: the office hears it once the gateway is back.
        Assert.Single(h.Events.Events, e => e is OutputFaultRestored { OutputId: "lock" });
    }

    [Fact]
    public async Task A_release_decided_during_the_stop_save_whose_write_keeps_failing_gets_one_more_attempt_and_the_stop_ends()
    {
        var store = new GatedStore();
        var log = new ControllerLog();
        await using var h = new ControllerHarness(Site, _ => store, logger: log);
        var egressLocked = Site.Outputs[0].LevelFor(true);
        var stop = await StopInItsSaveAsync(h, store);

        // A relay driver that fails twice: the decision's write and the stop's last; a third would take.
        h.Driver.FailWrites(LockLine, count: 2);
        h.Set("fire", true);
        store.Hold = false;
        store.Gate.Set();
        await stop.WaitAsync(Patience);

        // One more attempt, not a retry loop: the line keeps its level, reported once as fault.output.
        Assert.Equal(egressLocked, h.Driver.GetOutputLevel(LockLine));
        Assert.Single(h.Events.Events, e => e is OutputFault { OutputId: "lock" });
        Assert.DoesNotContain(h.Events.Events, e => e is OutputFaultRestored);
        // The technician reads which line the stop left at another level than the last plan's.
        Assert.Contains(log.Lines, l => l.Text.Contains("'lock'", StringComparison.Ordinal)
            && l.Text.Contains("not show the last plan", StringComparison.Ordinal));
    }

    /// <summary>
    /// Boots, starts a lockdown whose save hangs, and stops: returns once the stop holds the loop's
    /// gate in its last save (past its once-more drive), with the stop still running.
    /// </summary>
    private static async Task<Task> StopInItsSaveAsync(ControllerHarness h, GatedStore store)
    {
        await h.BootAsync();
        await h.SettleAsync();

        // A lockdown whose save hangs: the stop will wait for it.
        store.Hold = true;
        h.Set("panic", true);
        Assert.True(store.HeldSaveStarted.Wait(Patience));
        h.Time.Advance(SiteController.SafetySaveDeadline);
        await h.SettleAsync();
        Assert.Equal(Site.Outputs[0].LevelFor(true), h.Driver.GetOutputLevel(LockLine));

        var stop = Task.Run(() => h.Controller.StopAsync(CancellationToken.None));
        await h.LoopEndedAsync(Patience);
        // The stop holds the loop's gate for a while: it is in SaveUnsavedSafetyState, past
        // DriveOutputsOnceMore (the clock stands, so its budget never runs out).
        var deadline = DateTime.UtcNow + Patience;
        while (h.Controller.WaitUntilOutsideGate(TimeSpan.FromMilliseconds(300)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        return stop;
    }
}
