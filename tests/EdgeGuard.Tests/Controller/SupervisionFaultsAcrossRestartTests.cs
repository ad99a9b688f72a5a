using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// Supervision and hardware faults across a restart. Their state is in memory only (PointSupervisor,
/// EolLoopLines, the board's chips), so the contract's rule is the certificate faults' one: a
/// <c>gateway.started</c> closes every <c>fault.chatter</c>, <c>fault.point-stuck</c>,
/// <c>fault.eol-tamper</c> and <c>fault.hardware</c> of that gateway left open, and the gateway raises
/// again, after its <c>gateway.started</c>, every one that still holds. These tests hold the second
/// half, which makes the office's rule complete: a fault still there is never closed for good.
/// </summary>
public sealed class SupervisionFaultsAcrossRestartTests
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan StuckAfter = TimeSpan.FromHours(1);

    private static SiteDefinition Site(params PointDefinition[] more) => new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("key", PointKind.Keyswitch, 3, ActiveHigh: true, LinePull.Down, Debounce, "a"),
            new("fence", PointKind.Perimeter, 4, ActiveHigh: true, LinePull.Up, Debounce, "a"),
            new("vault", PointKind.DoorContact, 5, ActiveHigh: true, LinePull.Up, Debounce, "a") { StuckAfter = StuckAfter },
            .. more,
        ],
        [new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a")],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]))
    {
        Supervision = SupervisionPolicy.Default,
    };

    private static async Task FlapAsync(ControllerHarness h, string point, int transitions)
    {
        for (var i = 0; i < transitions; i++)
        {
            h.Set(point, i % 2 == 0);
            await h.SettleAsync();
            h.Time.Advance(TimeSpan.FromMilliseconds(250));
            await h.SettleAsync();
        }
    }

    /// <summary>The fault's events come after the restart's gateway.started, which closed the earlier one.</summary>
    private static void AfterStart(ControllerHarness h, Func<DomainEvent, bool> fault)
    {
        var events = h.Events.Events.ToList();
        var started = events.FindIndex(e => e is GatewayStarted);
        Assert.True(started >= 0, "no gateway.started");
        var raised = events.FindIndex(e => fault(e));
        Assert.True(raised > started, $"the fault was not raised again after gateway.started ({raised} vs {started})");
    }

    [Fact]
    public async Task A_fence_suppressed_for_chatter_is_followed_after_a_restart_and_raised_again_as_it_chatters_again()
    {
        var site = Site();
        var store = new MemorySafetyStore();
        await using (var before = new ControllerHarness(site, _ => store))
        {
            await before.BootAsync();
            await FlapAsync(before, "fence", 8);
            Assert.True(Assert.Single(before.Events.Events.OfType<ChatterDetected>()).Suppressed);
        }

        await using var after = new ControllerHarness(site, _ => store);
        await after.BootAsync();
        // Watched again, as gateway.started tells the office: the fence's alarm reaches the decider.
        after.Set("fence", true);
        await after.SettleAsync();
        after.Time.Advance(TimeSpan.FromMilliseconds(250));
        await after.SettleAsync();
        Assert.Contains(after.Events.Events, e => e is PointActivated { PointId: "fence" });

        // Still loose: it chatters again, and the fault is raised again (suppressed).
        await FlapAsync(after, "fence", 8);
        AfterStart(after, e => e is ChatterDetected { PointId: "fence", Suppressed: true });
    }

    [Fact]
    public async Task A_stuck_point_is_raised_again_its_stuck_time_after_a_restart()
    {
        var site = Site();
        var store = new MemorySafetyStore();
        await using (var before = new ControllerHarness(site, _ => store))
        {
            await before.BootAsync();
            before.Time.Advance(StuckAfter);
            await before.SettleAsync();
            Assert.Single(before.Events.Events.OfType<PointStuck>());
        }

        await using var after = new ControllerHarness(site, _ => store);
        await after.BootAsync();
        after.Time.Advance(StuckAfter - TimeSpan.FromSeconds(1));
        await after.SettleAsync();
        Assert.DoesNotContain(after.Events.Events, e => e is PointStuck);
        after.Time.Advance(TimeSpan.FromSeconds(1));
        await after.SettleAsync();
        AfterStart(after, e => e is PointStuck { PointId: "vault" });
    }

    [Theory]
    [InlineData(1023, LoopTamper.Open)]
    [InlineData(10, LoopTamper.Short)]
    public async Task A_loop_still_cut_or_bridged_at_a_restart_is_raised_again_after_gateway_started(int reading, LoopTamper condition)
    {
        var (h, _) = await BootWithLoopAsync(_ => reading);
        await using (h)
        {
            AfterStart(h, e => e is EolTamperDetected { PointId: "loop" } t && t.Condition == condition);
        }
    }

    [Fact]
    public async Task A_dead_adc_at_a_restart_is_raised_again_after_gateway_started()
    {
        var (h, _) = await BootWithLoopAsync(_ => throw new HardwareException("MCP3008: no answer on channel 0 (null bit not 0)"));
        await using (h)
        {
            AfterStart(h, e => e is HardwareFault { Device: "mcp3008@0.0" });
        }
    }

    /// <summary>Boots a gateway with a supervised loop on an MCP3008 whose channel reads <paramref name="read"/>.</summary>
    private static async Task<(ControllerHarness, PointDefinition)> BootWithLoopAsync(Func<int, int> read)
    {
        var loop = new PointDefinition("loop", PointKind.Perimeter, -1, ActiveHigh: true, LinePull.None, TimeSpan.Zero, "a")
        { LineAddress = "mcp3008@0.0:CH0" };
        var site = Site(loop);
        // The board reports into the controller's channel, as the gateway's composition wires it; the
        // controller exists only once the harness does, and the loop polls only once it starts them.
        Action<IReadOnlyList<DomainEvent>> report = _ => { };
        var h = new ControllerHarness(site, _ => new MemorySafetyStore(), openInputs: (gpio, time) =>
        {
            var native = site.Points.Where(p => p.LineAddress is null).ToList();
            var loops = new EolLoopLines("mcp3008@0.0", read, TimeSpan.FromMilliseconds(25),
                [new SupervisedLoop(loop, 0, new EolLoopClassifier(new EolThresholds(EolWiring.Double, 341, 599, 818)))],
                time, events => report(events));
            return new RoutedInputLines([(new GpioInputLines(gpio, native, time), native.Select(p => p.Id)), (loops, ["loop"])]);
        });
        report = h.Controller.ReportFromOutside;
        await h.BootAsync();
        for (var i = 0; i < 10; i++)
        {
            h.Time.Advance(TimeSpan.FromMilliseconds(100));
            await h.SettleAsync();
        }

        return (h, loop);
    }
}
