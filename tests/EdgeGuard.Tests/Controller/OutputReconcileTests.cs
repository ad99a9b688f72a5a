using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The controller drives the lines only when the plan or the lines moved: a decision that leaves
/// the plan as it was, with every line showing it, changes only the snapshot. These tests hold the
/// cases where the lines do not show the plan: a relay whose write failed is driven again by the
/// next decision, whatever that decision is about.
/// </summary>
public sealed class OutputReconcileTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-r", "gw-r",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: false),
            new("lamp", OutputKind.Indicator, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]));

    private readonly FlakyOutputLines _lines = new();
    private readonly ControllerHarness _h;

    public OutputReconcileTests() =>
        _h = new ControllerHarness(Site, _ => new MemorySafetyStore(), outputs: real => _lines.Around(real));

    [Fact]
    public async Task A_relay_whose_write_failed_is_driven_again_by_the_loop_not_by_a_decision_on_a_GPIO_thread()
    {
        await _h.BootAsync();
        _lines.FailingWrite = "lock";

        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.Contains(_h.Events.Events, e => e is OutputFault { OutputId: "lock" });
        Assert.False(_h.Driver.GetOutputLevel(10), "the failed write reached the lock");
        Assert.True(_h.Driver.GetOutputLevel(11), "the lamp was not lit with the lockdown");
        Assert.False(_h.Controller.Snapshot!.OutputLevels["lock"], "the snapshot shows a level the lock never took");

        // The relay works again. Releasing the panic button decides nothing about the outputs (the
        // lockdown holds), on the GPIO thread that saw the edge: it leaves the retry to the loop, as
        // a write to a dead chip could block that thread for a bus timeout.
        _lines.FailingWrite = null;
        var before = _lines.Calls;
        _h.Set("panic", false);
        await _h.SettleAsync();
        Assert.Equal(before, _lines.Calls);
        Assert.False(_h.Driver.GetOutputLevel(10));

        // The loop's retry timer drives the lock (its wait is whole milliseconds, rounded up).
        _h.Time.Advance(SiteController.OutputRetryInterval + TimeSpan.FromMilliseconds(1));
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(10), "the lock stayed unlocked after its relay recovered");
        Assert.True(_h.Controller.Snapshot!.OutputLevels["lock"]);

        // Now the lines show the plan: the door's decision leaves them alone.
        var calls = _lines.Calls;
        _h.Set("door", true);
        await _h.SettleAsync();
        Assert.True(_h.Controller.Snapshot!.State.IsActive("door"));
        Assert.Equal(calls, _lines.Calls);
        Assert.Single(_h.Events.Events, e => e is OutputFault);
    }

    [Fact]
    public async Task A_decision_that_leaves_the_plan_as_it_was_still_moves_the_snapshot()
    {
        await _h.BootAsync();
        var before = _h.Controller.Snapshot!;
        var calls = _lines.Calls;

        _h.Set("door", true);
        await _h.SettleAsync();

        var after = _h.Controller.Snapshot!;
        Assert.True(after.State.IsActive("door"));
        Assert.True(after.Decisions > before.Decisions);
        Assert.Equal(before.Plan, after.Plan);
        Assert.Equal(before.OutputLevels, after.OutputLevels);
        Assert.Equal(calls, _lines.Calls); // no line written or read back for it

        // A decision that moves the plan drives the lines as before.
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.True(_lines.Calls > calls);
        Assert.True(_h.Driver.GetOutputLevel(10));
        Assert.True(_h.Controller.Snapshot!.OutputLevels["lock"]);
    }

    [Fact]
    public async Task A_relay_whose_write_failed_is_driven_again_by_the_retry_timer_on_a_quiet_site()
    {
        await _h.BootAsync();
        _lines.FailingWrite = "lock";
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.False(_h.Driver.GetOutputLevel(10), "the failed write reached the lock");

        // The relay stays dead for several retries: each is an attempt, none is another fault event.
        // (The timer waits whole milliseconds, rounded up: a retry is due up to 1 ms after the interval.)
        var failures = _lines.WriteFailures;
        for (var i = 0; i < 4; i++)
        {
            _h.Time.Advance(SiteController.OutputRetryInterval + TimeSpan.FromMilliseconds(1));
            await _h.SettleAsync();
        }

        Assert.Equal(4, _lines.WriteFailures - failures);
        Assert.Single(_h.Events.Events, e => e is OutputFault);
        Assert.False(_h.Driver.GetOutputLevel(10));

        // It answers again; nothing else happens on the site: the next retry must drive it.
        _lines.FailingWrite = null;
        _h.Time.Advance(SiteController.OutputRetryInterval + TimeSpan.FromMilliseconds(1));
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(10), "the lock stayed unlocked on a quiet site after its relay recovered");
        Assert.True(_h.Controller.Snapshot!.OutputLevels["lock"]);
        Assert.Single(_h.Events.Events, e => e is OutputFaultRestored { OutputId: "lock" });

        // Shown now: no more retries.
        var calls = _lines.Calls;
        _h.Time.Advance(TimeSpan.FromSeconds(10));
        await _h.SettleAsync();
        Assert.Equal(calls, _lines.Calls);
        Assert.Single(_h.Events.Events, e => e is OutputFault);
    }

    [Fact]
    public async Task A_chip_reported_answering_again_has_its_outputs_driven_at_once()
    {
        await _h.BootAsync();
        _lines.FailingWrite = "lock";
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.False(_h.Driver.GetOutputLevel(10));

        // No time passes, so no retry is due: only the restore can drive the lock.
        _lines.FailingWrite = null;
        _h.Controller.ReportFromOutside([new HardwareFaultRestored(_h.Time.GetUtcNow(), "mcp23017@0x20")]);
        await _h.SettleAsync();
        Assert.True(_h.Driver.GetOutputLevel(10), "the lock was not driven when its chip answered again");
        Assert.Contains(_h.Events.Events, e => e is OutputFaultRestored { OutputId: "lock" });
    }

    [Fact]
    public async Task A_write_that_throws_is_retried_even_when_the_read_back_already_shows_the_plan()
    {
        // A chip not configured at start-up reads back the boot plan but drives nothing: its writes throw.
        _lines.FailingWrite = "lock";
        await _h.BootAsync();
        await _h.SettleAsync();
        Assert.Single(_h.Events.Events, e => e is OutputFault { OutputId: "lock" });
        Assert.False(_h.Controller.Snapshot!.OutputLevels["lock"]); // the plan's level: unlocked

        var calls = _lines.Calls;
        _h.Time.Advance(SiteController.OutputRetryInterval);
        await _h.SettleAsync();
        Assert.True(_lines.Calls > calls, "the lock was not retried");

        _lines.FailingWrite = null;
        _h.Time.Advance(SiteController.OutputRetryInterval);
        await _h.SettleAsync();
        Assert.Single(_h.Events.Events, e => e is OutputFaultRestored { OutputId: "lock" });
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
