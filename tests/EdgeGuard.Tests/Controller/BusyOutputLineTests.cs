using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// One native output line that cannot be opened (EBUSY: a leftover <c>gpioset</c>, an overlay on
/// the lamp's GPIO) used to make the whole start fail: every lock, the fire input and the panic
/// buttons went without their controller, and systemd restarted into the same failure. Each output
/// line is now opened on its own; one that cannot be is reported (fault.output) and tried again at
/// the output retry's pace, as an expander that does not answer is.
/// </summary>
public sealed class BusyOutputLineTests
{
    private const int LockLine = 10;
    private const int OfficeLockLine = 11;
    private const int LampLine = 12;

    private static readonly SiteDefinition Site = new(
        "site-p", "gw-p",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("fire", PointKind.FireAlarm, 3, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true),
            new("lock-office", OutputKind.Lock, OfficeLockLine, ActiveHigh: true, "a", LockFailMode.FailSecure, Egress: false),
            new("lamp", OutputKind.Indicator, LampLine, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    [Fact]
    public async Task A_busy_native_lamp_line_does_not_keep_the_gateway_from_releasing_egress_in_a_fire()
    {
        await using var h = new ControllerHarness(Site, _ => new MemorySafetyStore());
        h.Driver.HoldElsewhere(LampLine, "gpioset");

        var boot = await Record.ExceptionAsync(h.BootAsync);
        Assert.Null(boot);
        await h.SettleAsync();
        Assert.Contains(h.Events.Events, e => e is OutputFault { OutputId: "lamp" } fault && fault.Reason.Contains("12", StringComparison.Ordinal));
        // The other outputs are driven to the plan.
        Assert.True(h.Driver.GetOutputLevel(LockLine));

        h.Set("fire", true);
        await h.SettleAsync();
        Assert.Equal(Site.Outputs[0].LevelFor(false), h.Driver.GetOutputLevel(LockLine));
    }

    [Fact]
    public async Task A_busy_output_line_is_opened_once_it_is_free_and_its_fault_restored()
    {
        await using var h = new ControllerHarness(Site, _ => new MemorySafetyStore());
        h.Driver.HoldElsewhere(LampLine, "gpioset");
        await h.BootAsync();
        await h.SettleAsync();
        Assert.False(h.Driver.IsOpen(LampLine));

        // Tried again at the retry's pace while it is held: one fault, not one per attempt.
        for (var i = 0; i < 3; i++)
        {
            h.Time.Advance(EdgeGuard.Controller.SiteController.OutputRetryInterval);
            await h.SettleAsync();
        }

        Assert.Single(h.Events.Events, e => e is OutputFault { OutputId: "lamp" });

        h.Driver.ReleaseElsewhere(LampLine);
        h.Time.Advance(EdgeGuard.Controller.SiteController.OutputRetryInterval);
        await h.SettleAsync();

        Assert.True(h.Driver.IsOpen(LampLine));
        Assert.Contains(h.Events.Events, e => e is OutputFaultRestored { OutputId: "lamp" });
    }

    [Fact]
    public async Task A_busy_egress_lock_line_is_reported_and_the_rest_of_the_site_still_works()
    {
        await using var h = new ControllerHarness(Site, _ => new MemorySafetyStore());
        h.Driver.HoldElsewhere(LockLine, "gpioset");

        await h.BootAsync();
        await h.SettleAsync();
        Assert.Contains(h.Events.Events, e => e is OutputFault { OutputId: "lock" });

        // The panic's lockdown still locks the office door.
        h.Set("panic", true);
        await h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, h.Controller.Snapshot!.State.Mode);
        Assert.Equal(Site.Outputs[1].LevelFor(true), h.Driver.GetOutputLevel(OfficeLockLine));
    }
}
