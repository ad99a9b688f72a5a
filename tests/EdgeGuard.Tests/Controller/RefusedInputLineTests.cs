using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// An input line the kernel refuses at start (a leftover <c>gpiomon</c>, an overlay on the GPIO) is one
/// point's fault: the gateway starts, opens its outputs, protects every other point, and takes that
/// point's fail-safe side until the line is free. It used to stop the whole start, every lock and the
/// fire inputs with it, and systemd restarted into the same failure.
/// </summary>
public sealed class RefusedInputLineTests
{
    private const int FireLine = 2, DoorLine = 3, RexLine = 6, ExitLine = 10;

    private static readonly SiteDefinition ExitSite = new(
        "site-p", "gw-p",
        [new("a", "A")],
        [
            new("fire", PointKind.FireAlarm, FireLine, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a"),
            new("door", PointKind.DoorContact, DoorLine, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(50), "a"),
            new("rex", PointKind.RequestToExit, RexLine, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key-fire", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key-clear", PointKind.Keyswitch, 5, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock-exit", OutputKind.Lock, ExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true)],
        new LockdownPolicy(["a"], TimeSpan.FromSeconds(30), ["key-clear"]),
        new LifeSafetyPolicy(["key-fire"]))
    {
        Doors = [new DoorDefinition("exit", "lock-exit", "door", ["rex"], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5))],
    };

    [Fact]
    public async Task An_exit_button_whose_line_another_process_holds_releases_its_door_until_the_line_is_free()
    {
        Action<IReadOnlyList<DomainEvent>> report = _ => { };
        await using var h = new ControllerHarness(ExitSite, _ => new MemorySafetyStore(),
            openInputs: (gpio, time) => new GpioInputLines(gpio, ExitSite.Points, time, events => report(events)),
            chip: driver => driver.HoldElsewhere(RexLine, "gpiomon"));
        // The resync's reports reach the controller as the gateway's do (HardwareFaultReporter).
        report = h.Controller.ReportFromOutside;

        var ex = await Record.ExceptionAsync(h.BootAsync);
        Assert.Null(ex);
        await h.SettleAsync();

        var fault = Assert.Single(h.Events.Events.OfType<HardwareFault>());
        Assert.Equal("gpio6", fault.Device);
        Assert.Equal(["rex"], fault.Points);
        Assert.Contains("gpiomon", fault.Reason, StringComparison.Ordinal);
        Assert.Single(h.Events.Events.OfType<DoorExitUnreadable>());
        Assert.False(h.Driver.GetOutputLevel(ExitLine), "the exit stayed locked with its exit button's line refused");

        // Every other input is read and acted on: a fire releases egress and raises its alarm.
        h.Set("fire", active: true);
        await h.AdvanceInStepsAsync(TimeSpan.FromMilliseconds(150));
        Assert.Equal(LifeSafety.FireEgressReleased, h.Controller.Current!.LifeSafety);
        Assert.Single(h.Events.Events.OfType<FireAlarmRaised>());

        h.Driver.ReleaseElsewhere(RexLine);
        h.Time.Advance(GpioInputLines.ResyncInterval);
        await h.SettleAsync();

        Assert.Single(h.Events.Events.OfType<HardwareFaultRestored>());
        Assert.Single(h.Events.Events.OfType<DoorExitUnreadableRestored>());
        Assert.Equal(1, h.Driver.CallbackCount(RexLine));
    }

    [Fact]
    public async Task A_door_contact_whose_line_is_refused_at_start_reads_open_and_its_lock_is_still_driven()
    {
        await using var h = new ControllerHarness(ExitSite, _ => new MemorySafetyStore(),
            chip: driver => driver.HoldElsewhere(DoorLine, "overlay", refusedAtMode: true));

        await h.BootAsync();
        await h.SettleAsync();

        Assert.True(h.Controller.Current!.IsActive("door"), "a door whose line is refused must read open (fail-safe)");
        Assert.Equal("gpio3", Assert.Single(h.Events.Events.OfType<HardwareFault>()).Device);
        Assert.True(h.Driver.IsOpen(ExitLine), "the outputs were not opened");
        Assert.True(h.Driver.GetOutputLevel(ExitLine), "the normally locked exit was not locked");
    }
}
