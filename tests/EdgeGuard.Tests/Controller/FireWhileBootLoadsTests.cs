using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A service restart (an update, the watchdog) on a Pi kernel that keeps released lines at their
/// level: the egress maglock stays energised from the previous run. The boot used to look at no
/// fire input while it waited for the saved state (up to BootLoadDeadline on a slow card), so a fire
/// active then kept the egress door locked until the load ended. The native egress locks are now
/// released before the load when a fire input reads active (SiteController.FireAtBoot.cs).
/// </summary>
public sealed class FireWhileBootLoadsTests
{
    private const int LockLine = 10;
    private const int LampLine = 12;

    private static readonly SiteDefinition Site = new(
        "site-p", "gw-p",
        [new("a", "A")],
        [new("fire", PointKind.FireAlarm, 3, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a")],
        [
            new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true),
            new("lamp", OutputKind.Indicator, LampLine, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    [Fact]
    public async Task A_fire_active_while_the_boot_waits_for_the_saved_state_releases_egress_before_the_load_ends()
    {
        var (store, h, start) = StartedIntoTheLoad(fireAtStart: true);
        await ThreeSecondsIntoTheLoad(h);

        var lockedDuringLoad = h.Driver.GetOutputLevel(LockLine);
        // The rest of the outputs wait for the plan: the lamp's line is not opened yet.
        var lampOpenedDuringLoad = h.Driver.IsOpen(LampLine);
        store.Release.Set();
        await FinishAsync(h, start);

        Assert.False(h.Driver.GetOutputLevel(LockLine), "not released after the boot");
        await h.DisposeAsync();
        Assert.False(lockedDuringLoad, "egress locked with a fire active while the boot waited for the saved state");
        Assert.False(lampOpenedDuringLoad, "an output other than an egress lock was opened before its plan was known");
    }

    [Fact]
    public async Task Without_a_fire_the_egress_lock_is_left_alone_until_the_plan_is_known()
    {
        var (store, h, start) = StartedIntoTheLoad(fireAtStart: false);
        await ThreeSecondsIntoTheLoad(h);

        var openedDuringLoad = h.Driver.IsOpen(LockLine);
        store.Release.Set();
        await FinishAsync(h, start);

        // Normally locked, no fire: the plan keeps it locked, and nothing released it in between.
        Assert.True(h.Driver.GetOutputLevel(LockLine));
        await h.DisposeAsync();
        Assert.False(openedDuringLoad, "the egress lock was opened before the plan with no fire active");
    }

    [Fact]
    public async Task A_fire_gone_by_the_end_of_the_load_leaves_egress_at_the_plan_and_latches_nothing()
    {
        var (store, h, start) = StartedIntoTheLoad(fireAtStart: true);
        await ThreeSecondsIntoTheLoad(h);
        var lockedDuringLoad = h.Driver.GetOutputLevel(LockLine);

        // A boot transient on the fire line: it reads quiet before the outputs are opened.
        h.Set("fire", false);
        store.Release.Set();
        await FinishAsync(h, start);
        await h.SettleAsync();

        Assert.False(lockedDuringLoad);
        Assert.True(h.Driver.GetOutputLevel(LockLine), "the plan's lock was not driven again");
        Assert.DoesNotContain(h.Events.Events, e => e is FireAlarmRaised);
        Assert.Equal(LifeSafety.Normal, h.Controller.Snapshot!.State.LifeSafety);
        await h.DisposeAsync();
    }

    [Fact]
    public async Task A_fire_that_starts_while_the_boot_loads_releases_egress_before_the_load_ends()
    {
        // Quiet at the first read, before the load; the fire panel goes into alarm 100 ms into a slow
        // load. The fire inputs are read again while the boot waits, not only once before it.
        var (store, h, start) = StartedIntoTheLoad(fireAtStart: false);
        h.Time.Advance(TimeSpan.FromMilliseconds(100));
        h.Set("fire", true);
        await ThreeSecondsIntoTheLoad(h);

        var lockedDuringLoad = h.Driver.GetOutputLevel(LockLine);
        var lampOpenedDuringLoad = h.Driver.IsOpen(LampLine);
        store.Release.Set();
        await FinishAsync(h, start);
        await h.SettleAsync();

        Assert.False(h.Driver.GetOutputLevel(LockLine), "not released after the boot");
        Assert.Contains(h.Events.Events, e => e is FireAlarmRaised);
        await h.DisposeAsync();
        Assert.False(lockedDuringLoad, "egress locked 3 s into the load with a fire active since 100 ms into it");
        Assert.False(lampOpenedDuringLoad, "an output other than an egress lock was opened before its plan was known");
    }

    [Fact]
    public async Task Egress_locks_opened_before_the_load_are_followed_by_a_last_call_even_with_no_other_output()
    {
        // The native egress lock is the only output: the factory is still called once more, as the
        // last, so an I/O board configures its input-only expanders then (IoBoardComposition).
        var onlyLock = new SiteDefinition(Site.SiteId, Site.GatewayId, Site.Zones, Site.Points, [Site.Outputs[0]], Site.Lockdown);
        var store = new SlowLoadStore();
        var calls = new List<(int Count, bool Last)>();
        var h = new ControllerHarness(onlyLock, _ => store, opened: (levels, last) => calls.Add((levels.Count, last)));
        h.Set("fire", true);

        var start = h.Controller.StartAsync(CancellationToken.None);
        Assert.True(store.Loading.Wait(TimeSpan.FromSeconds(30)));
        store.Release.Set();
        await FinishAsync(h, start);

        Assert.Equal([(1, false), (0, true)], calls);
        Assert.False(h.Driver.GetOutputLevel(LockLine), "not released after the boot");
        await h.DisposeAsync();
    }

    /// <summary>
    /// A boot after a service restart (the egress lock left energised), started with the fire input
    /// as given and held in its load of the saved state until the store is released.
    /// </summary>
    private static (SlowLoadStore Store, ControllerHarness H, Task Start) StartedIntoTheLoad(bool fireAtStart)
    {
        var store = new SlowLoadStore();
        var h = new ControllerHarness(Site, _ => store);
        LeftEnergisedByThePreviousRun(h, LockLine);
        h.Set("fire", fireAtStart);
        var start = h.Controller.StartAsync(CancellationToken.None);
        Assert.True(store.Loading.Wait(TimeSpan.FromSeconds(30)));
        return (store, h, start);
    }

    /// <summary>
    /// The previous run left the line energised and closed it (persist_gpio_outputs=Y keeps a
    /// released line's level). The controller is not disposed: that would dispose the shared driver.
    /// </summary>
    private static void LeftEnergisedByThePreviousRun(ControllerHarness h, int line)
    {
        var previous = new System.Device.Gpio.GpioController(h.Driver);
        previous.OpenPin(line, System.Device.Gpio.PinMode.Output, System.Device.Gpio.PinValue.High);
        previous.ClosePin(line);
        Assert.True(h.Driver.GetOutputLevel(line));
    }

    // 3 s into the load (the card is slow; the bound is 5 s).
    private static async Task ThreeSecondsIntoTheLoad(ControllerHarness h)
    {
        for (var i = 0; i < 30; i++)
        {
            h.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(5);
        }
    }

    private static async Task FinishAsync(ControllerHarness h, Task start)
    {
        while (!start.IsCompleted)
        {
            h.Time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1);
        }

        await start;
    }

    /// <summary>A store whose load waits until released (a slow SD card), within the boot's bound.</summary>
    private sealed class SlowLoadStore : ISafetyStateStore
    {
        public ManualResetEventSlim Loading { get; } = new();

        public ManualResetEventSlim Release { get; } = new();

        public SafetyState Load()
        {
            Loading.Set();
            Release.Wait(TimeSpan.FromSeconds(30));
            return SafetyState.Initial;
        }

        public void Save(SafetyState state)
        {
        }
    }
}
