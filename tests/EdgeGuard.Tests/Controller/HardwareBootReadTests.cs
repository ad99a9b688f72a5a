using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// Hardware faults as the controller sees them at its settled boot read: one failed ADC transfer is
/// one bad sample, not a fail-safe level; a line whose read throws is that point's fail-safe level and a
/// <c>fault.hardware</c> naming the line, never a failed start that leaves every point unprotected.
/// </summary>
public sealed class HardwareBootReadTests
{
    private const int ExitLine = 10, FireLine = 2, DoorLine = 3;

    private static SiteDefinition Site(PointDefinition fire) => new(
        "site-p", "gw-p",
        [new("a", "A")],
        [
            fire,
            new("door", PointKind.DoorContact, DoorLine, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(50), "a"),
            new("key-fire", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key-clear", PointKind.Keyswitch, 5, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock-exit", OutputKind.Lock, ExitLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true)],
        new LockdownPolicy(["a"], TimeSpan.FromSeconds(30), ["key-clear"]),
        new LifeSafetyPolicy(["key-fire"]));

    private static PointDefinition NativeFire() =>
        new("fire", PointKind.FireAlarm, FireLine, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a");

    /// <summary>
    /// One failed ADC transfer during the settled boot read of an EOL fire loop (the loop reads normal before
    /// and after it) must not latch the fire egress release nor raise fire.alarm: a person would have to reset it.
    /// </summary>
    [Fact]
    public async Task One_adc_glitch_at_the_boot_read_does_not_latch_a_fire_release()
    {
        var fire = new PointDefinition("fire", PointKind.FireAlarm, -1, ActiveHigh: true, LinePull.None, TimeSpan.Zero, "a")
        { LineAddress = "mcp3008@0.0:CH0" };
        var site = Site(fire);
        var glitchThread = -1;
        var glitched = 0;
        var store = new MemorySafetyStore();
        await using var h = new ControllerHarness(site, _ => store, openInputs: (gpio, time) =>
        {
            var native = new GpioInputLines(gpio, site.Points.Where(p => p.LineAddress is null), time);
            var loops = new EolLoopLines("mcp3008@0.0",
                _ =>
                {
                    if (Volatile.Read(ref glitchThread) == Environment.CurrentManagedThreadId && Interlocked.Exchange(ref glitched, 1) == 0)
                    {
                        throw new HardwareException("MCP3008: no answer on channel 0 (null bit not 0)");
                    }

                    return 470;
                },
                TimeSpan.FromMilliseconds(25),
                [new SupervisedLoop(fire, 0, new EolLoopClassifier(new EolThresholds(EolWiring.Double, 341, 599, 818)))],
                time, _ => { });
            var routed = new RoutedInputLines([(native, site.Points.Where(p => p.LineAddress is null).Select(p => p.Id)), (loops, ["fire"])]);
            // The glitch hits the first transfer of the settled (boot) read of the fire loop, and only that one.
            return new OnRead(routed, "fire", () => Volatile.Write(ref glitchThread, Environment.CurrentManagedThreadId));
        });

        await h.BootAsync();
        await h.SettleAsync();

        Assert.Equal(1, glitched);
        Assert.NotEqual(LifeSafety.FireEgressReleased, h.Controller.Current!.LifeSafety);
        Assert.DoesNotContain(h.Events.Events, e => e is FireAlarmRaised);
        Assert.DoesNotContain(h.Events.Events, e => e is HardwareFault);
    }

    /// <summary>
    /// A native input line whose settled boot read throws (EIO) must not fail the whole start: the point
    /// reads its fail-safe level (a door open) and the line is reported as <c>fault.hardware</c> (gpioN).
    /// </summary>
    [Fact]
    public async Task A_native_line_that_cannot_be_read_at_boot_reads_fail_safe_and_is_reported()
    {
        var site = Site(NativeFire());
        var store = new MemorySafetyStore();
        await using var h = new ControllerHarness(site, _ => store, openInputs: (gpio, time) =>
            new ThrowingRead(new GpioInputLines(gpio, site.Points, time), "door"));

        var ex = await Record.ExceptionAsync(h.BootAsync);
        Assert.Null(ex);
        await h.SettleAsync();

        Assert.True(h.Controller.Current!.IsActive("door"), "a door whose line cannot be read must read open (fail-safe)");
        var fault = Assert.Single(h.Events.Events.OfType<HardwareFault>());
        Assert.Equal("gpio3", fault.Device);
        Assert.StartsWith("door: ", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("Error 5 reading line (EIO)", fault.Reason, StringComparison.Ordinal);
        // Every other point is read and protected as usual.
        Assert.False(h.Controller.Current.IsActive("fire"));
        Assert.NotEqual(LifeSafety.FireEgressReleased, h.Controller.Current.LifeSafety);
    }

    /// <summary>
    /// The native line's own read fails at boot (the line closed under it, as a failed ioctl): once it reads
    /// again, the resync delivers its real level, although that is the level it read when edges started.
    /// </summary>
    [Fact]
    public async Task A_native_line_unreadable_at_boot_gets_its_real_level_from_the_resync()
    {
        var site = Site(NativeFire());
        var store = new MemorySafetyStore();
        System.Device.Gpio.GpioController? controller = null;
        await using var h = new ControllerHarness(site, _ => store, openInputs: (gpio, time) =>
        {
            controller = gpio;
            // Closing the line right before its boot read makes the read throw, as EIO would; the
            // retry finds it closed already, so that read is the line's own failure too (a second
            // ClosePin would throw before the lines read, and they would see one failure, not two).
            return new OnRead(new GpioInputLines(gpio, site.Points, time), "door", CloseOnce(gpio, DoorLine));
        });

        await h.BootAsync();
        await h.SettleAsync();
        Assert.True(h.Controller.Current!.IsActive("door"));
        Assert.Equal("gpio3", Assert.Single(h.Events.Events.OfType<HardwareFault>()).Device);

        controller!.OpenPin(DoorLine, System.Device.Gpio.PinMode.InputPullDown);
        h.Time.Advance(GpioInputLines.ResyncInterval);
        await h.SettleAsync();
        h.Time.Advance(TimeSpan.FromMilliseconds(50)); // the door's debounce
        await h.SettleAsync();

        Assert.False(h.Controller.Current!.IsActive("door"), "the resync never delivered the door's real level (closed)");
    }

    /// <summary>
    /// An egress door's only exit button whose line cannot be read at boot reads "not pressed": the door's
    /// normally locked egress lock is released (<see cref="UnreadableExits"/>) until the resync reads the
    /// line again, or a person inside pressing it would never be let out.
    /// </summary>
    [Fact]
    public async Task An_exit_button_unreadable_at_boot_releases_its_egress_door_until_the_resync_reads_it()
    {
        const int RexLine = 6;
        var plain = Site(NativeFire());
        var site = plain with
        {
            Points = [.. plain.Points, new("rex", PointKind.RequestToExit, RexLine, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a")],
            Doors = [new DoorDefinition("exit", "lock-exit", "door", ["rex"], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5))],
        };
        System.Device.Gpio.GpioController? controller = null;
        Action<IReadOnlyList<DomainEvent>> report = _ => { };
        await using var h = new ControllerHarness(site, _ => new MemorySafetyStore(), openInputs: (gpio, time) =>
        {
            controller = gpio;
            // The resync's reports reach the controller as the gateway's do (HardwareFaultReporter).
            return new OnRead(new GpioInputLines(gpio, site.Points, time, events => report(events)), "rex", CloseOnce(gpio, RexLine));
        });
        report = h.Controller.ReportFromOutside;

        await h.BootAsync();
        await h.SettleAsync();

        var fault = Assert.Single(h.Events.Events.OfType<HardwareFault>());
        Assert.Equal("gpio6", fault.Device);
        Assert.Equal(["rex"], fault.Points);
        var released = Assert.Single(h.Events.Events.OfType<DoorExitUnreadable>());
        Assert.Equal(("exit", "lock-exit"), (released.DoorId, released.LockId));
        Assert.False(h.Driver.GetOutputLevel(ExitLine), "the normally locked exit stayed locked with its exit button unreadable");

        controller!.OpenPin(RexLine, System.Device.Gpio.PinMode.InputPullUp);
        h.Time.Advance(GpioInputLines.ResyncInterval);
        await h.SettleAsync();

        Assert.Single(h.Events.Events.OfType<HardwareFaultRestored>());
        Assert.Single(h.Events.Events.OfType<DoorExitUnreadableRestored>());
        Assert.True(h.Driver.GetOutputLevel(ExitLine), "the exit was not locked again once its button could be read");
    }

    /// <summary>
    /// A fire input whose line cannot be read at the settled read takes the side a dead chip's fire input
    /// takes (<see cref="TamperedLoop.ReadsActive"/>): active, so egress is released and latched, with the
    /// line reported. The same rule as before the read was guarded, and as an ADC that keeps failing.
    /// </summary>
    [Fact]
    public async Task A_fire_line_that_cannot_be_read_at_boot_releases_egress_as_a_dead_chip_does()
    {
        var site = Site(NativeFire());
        var store = new MemorySafetyStore();
        await using var h = new ControllerHarness(site, _ => store, openInputs: (gpio, time) =>
            new ThrowingRead(new GpioInputLines(gpio, site.Points, time), "fire"));

        await h.BootAsync();
        await h.SettleAsync();

        Assert.Equal(LifeSafety.FireEgressReleased, h.Controller.Current!.LifeSafety);
        Assert.Equal("gpio2", Assert.Single(h.Events.Events.OfType<HardwareFault>()).Device);
        Assert.Contains(h.Events.Events, e => e is FireAlarmRaised);
    }

    /// <summary>
    /// One failed read (EIO) of a native fire line at the settled boot read is read again at once, as
    /// the expander's boot read is and as an ADC's one failed transfer is one bad sample: it must not
    /// latch the egress release (a person must reset it) nor raise <c>fire.alarm</c> or a fault.
    /// </summary>
    [Fact]
    public async Task One_failed_read_of_a_native_fire_line_at_boot_is_read_again_not_a_latched_release()
    {
        var site = Site(NativeFire());
        var store = new MemorySafetyStore();
        ThrowingRead? lines = null;
        await using var h = new ControllerHarness(site, _ => store, openInputs: (gpio, time) =>
            lines = new ThrowingRead(new GpioInputLines(gpio, site.Points, time), "fire", failures: 1));

        await h.BootAsync();
        await h.SettleAsync();

        Assert.Equal(2, lines!.Reads);
        Assert.NotEqual(LifeSafety.FireEgressReleased, h.Controller.Current!.LifeSafety);
        Assert.False(h.Controller.Current.IsActive("fire"));
        Assert.DoesNotContain(h.Events.Events, e => e is FireAlarmRaised or HardwareFault);
    }

    /// <summary>
    /// A native line whose read fails twice in a row at boot is not a glitch: fail-safe, reported, and
    /// read no more than twice (a line that keeps failing must not hold up the boot).
    /// </summary>
    [Fact]
    public async Task A_native_line_that_fails_twice_at_boot_reads_fail_safe_after_two_reads()
    {
        var site = Site(NativeFire());
        var store = new MemorySafetyStore();
        ThrowingRead? lines = null;
        await using var h = new ControllerHarness(site, _ => store, openInputs: (gpio, time) =>
            lines = new ThrowingRead(new GpioInputLines(gpio, site.Points, time), "door"));

        await h.BootAsync();
        await h.SettleAsync();

        Assert.Equal(2, lines!.Reads);
        Assert.True(h.Controller.Current!.IsActive("door"));
        Assert.Equal("gpio3", Assert.Single(h.Events.Events.OfType<HardwareFault>()).Device);
    }

    // Closes the line before a read that finds it open: its boot read and the retry both fail in the lines.
    private static Action CloseOnce(System.Device.Gpio.GpioController gpio, int line) => () =>
    {
        if (gpio.IsPinOpen(line))
        {
            gpio.ClosePin(line);
        }
    };

    private sealed class OnRead(IInputLines inner, string point, Action before) : IInputLines
    {
        public bool Read(string pointId)
        {
            if (pointId == point)
            {
                before();
            }

            return inner.Read(pointId);
        }

        public bool? ReadBeforeOutputs(string pointId) => inner.ReadBeforeOutputs(pointId);

        public void Start(Action<RawEdge> onEdge) => inner.Start(onEdge);

        public void Dispose() => inner.Dispose();
    }

    // Reads of the failing point throw (EIO), the first `failures` of them (all, by default).
    private sealed class ThrowingRead(IInputLines inner, string failing, int failures = int.MaxValue) : IInputLines
    {
        /// <summary>How many times the failing point was read.</summary>
        public int Reads { get; private set; }

        public bool Read(string pointId)
        {
            if (pointId != failing)
            {
                return inner.Read(pointId);
            }

            return ++Reads <= failures ? throw new IOException("Error 5 reading line (EIO)") : inner.Read(pointId);
        }

        public bool? ReadBeforeOutputs(string pointId) => inner.ReadBeforeOutputs(pointId);

        public void Start(Action<RawEdge> onEdge) => inner.Start(onEdge);

        public void Dispose() => inner.Dispose();
    }
}
