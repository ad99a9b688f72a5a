using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// An orderly stop (SIGTERM: an update, <c>systemctl stop</c>, a watchdog restart) leaves every output at
/// the last plan's level (hardware/README.md, "Output state when the process stops"). When a write of
/// that plan failed once (EIO) and the stop comes before its retry is due, the stop makes that write one
/// last time: a fire's egress door must not stay locked for as long as the gateway is down. The expander
/// variant and a healthy stop, which writes nothing, are in ExpanderWriterTests.Stop.cs.
/// </summary>
public sealed class OutputsAtStopTests : IAsyncDisposable
{
    private const int ExitLine = 10;

    private static readonly SiteDefinition Site = new(
        "site-s", "gw-s",
        [new("a", "A")],
        [
            new("fire", PointKind.FireAlarm, 2, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            new("lock-exit", OutputKind.Lock, ExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        new LifeSafetyPolicy(["key"]));

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());
    private bool _stopped;

    [Fact]
    public async Task A_fire_release_whose_native_write_failed_once_is_made_at_a_stop_before_its_retry_was_due()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "the exit was not locked before the fire");

        // A fire: the maglock's release write fails once (EIO), and the line would take the next one.
        _h.Driver.FailWrites(ExitLine);
        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.True(_h.Controller.Snapshot!.State.FireEgressReleased, "the fire's release was not decided");
        Assert.Single(_h.Events.Events, e => e is OutputFault { OutputId: "lock-exit" });
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "the release's write did not fail");

        // SIGTERM before the retry (the clock stands still, so the retry is never due).
        await StopAsync();

        Assert.False(_h.Driver.GetOutputLevel(ExitLine), "the egress door stays locked in a fire while the gateway is stopped");
        Assert.Equal([true, false], _h.Driver.DrivenLevels(ExitLine));
        // The journal learns the release took: the office hears it once the gateway is back.
        Assert.Single(_h.Events.Events, e => e is OutputFaultRestored { OutputId: "lock-exit" });
    }

    [Fact]
    public async Task A_stop_makes_one_last_attempt_at_a_release_whose_write_keeps_failing_and_still_ends()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        // A relay driver that fails twice: the fire's write and the stop's; a third write would take.
        _h.Driver.FailWrites(ExitLine, count: 2);
        _h.Set("fire", true);
        await _h.SettleAsync();
        Assert.Single(_h.Events.Events, e => e is OutputFault { OutputId: "lock-exit" });

        await StopAsync();

        // One attempt at the stop, not a retry loop (a second one would have taken).
        Assert.True(_h.Driver.GetOutputLevel(ExitLine), "the stop wrote the release more than once");
        Assert.Single(_h.Events.Events, e => e is OutputFault); // the same episode: not reported again
        Assert.DoesNotContain(_h.Events.Events, e => e is OutputFaultRestored);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>What the host does at a stop: the controller stopped, then disposed (once).</summary>
    private async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _h.DisposeAsync();
        }
    }
}
