using System.Collections.Immutable;
using EdgeGuard.Controller;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Tests.Controller;

// The stop's late seconds: a panic press while the stop waits for a hung save still locks the
// doors (the outputs are open until the stop closes them), is journaled and saved; once the
// channel is closed, a command or heartbeat is answered at once and an edge is logged.
public sealed partial class StopRaceTests
{
    private const int OfficeLockLine = 11;

    // A fire keeps the egress lock released, so the panic's lockdown shows on the office's lock.
    private static readonly SiteDefinition FireSite = new(
        "site-p", "gw-p",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("fire", PointKind.FireAlarm, 3, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("lock-office", OutputKind.Lock, OfficeLockLine, ActiveHigh: true, "a", LockFailMode.FailSecure, Egress: false),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    [Fact]
    public async Task A_panic_press_while_the_stop_waits_for_a_hung_save_locks_the_doors_and_is_journaled_and_saved()
    {
        var store = new GatedStore();
        await using var h = new ControllerHarness(FireSite, _ => store);
        await h.BootAsync();
        await h.SettleAsync();
        var locked = FireSite.Outputs[1].LevelFor(true);
        Assert.NotEqual(locked, h.Driver.GetOutputLevel(OfficeLockLine));
        // A fire whose save hangs: the stop will wait for it (up to 3 s; the clock stands here).
        store.Hold = true;
        h.Set("fire", true);
        Assert.True(store.HeldSaveStarted.Wait(Patience));
        h.Time.Advance(SiteController.SafetySaveDeadline);
        await h.SettleAsync();

        var stop = Task.Run(() => h.Controller.StopAsync(CancellationToken.None));
        await h.LoopEndedAsync(Patience);
        h.Set("panic", true);
        store.Hold = false;
        store.Gate.Set();
        await stop.WaitAsync(Patience);

        Assert.Contains(h.Events.Events, e => e is PointActivated { PointId: "panic" });
        Assert.Contains(h.Events.Events, e => e is LockdownStarted);
        Assert.Equal(locked, h.Driver.GetOutputLevel(OfficeLockLine));
        Assert.Equal(SiteMode.Lockdown, store.Saved[^1].Mode);
        Assert.Equal(LifeSafety.FireEgressReleased, store.Saved[^1].LifeSafety);
    }

    [Fact]
    public async Task A_command_or_heartbeat_after_the_stop_is_answered_at_once_and_an_edge_is_logged()
    {
        var log = new ControllerLog();
        await using var h = new ControllerHarness(Site, _ => new MemorySafetyStore(), logger: log);
        await h.BootAsync();
        await h.SettleAsync();

        await h.Controller.StopAsync(CancellationToken.None);

        var command = new VerifiedCommand(
            new CommandEnvelope(Guid.NewGuid().ToString(), CommandType.Lockdown, "site-p", "gw-p", "sup-1", h.Time.GetUtcNow(),
                h.Time.GetUtcNow().AddMinutes(1), JsonObjectItem.Empty, ImmutableArray.Create(new byte[CommandEnvelope.SignatureLength])),
            OperatorRole.Supervisor);
        var outcome = await h.Controller.ExecuteAsync(command, CancellationToken.None).WaitAsync(Patience);
        Assert.False(outcome.Done);
        Assert.Contains("stopping", outcome.Detail, StringComparison.Ordinal);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => h.Controller.HeartbeatAsync().WaitAsync(Patience));

        h.Set("door", true);
        var deadline = DateTime.UtcNow + Patience;
        while (!log.Lines.Any(l => l.Level == LogLevel.Warning && l.Text.Contains("'door'", StringComparison.Ordinal))
            && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Contains(log.Lines, l => l.Level == LogLevel.Warning && l.Text.Contains("'door'", StringComparison.Ordinal));
        Assert.DoesNotContain(h.Events.Events, e => e is PointActivated { PointId: "door" } or LockdownStarted);
    }
}
