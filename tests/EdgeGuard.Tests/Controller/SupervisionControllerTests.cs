using System.Device.Gpio;
using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// Chatter and stuck supervision in the controller loop, on the real GpioController over the
/// simulated driver with a FakeTimeProvider: settle and stuck deadlines must wake the loop by
/// themselves, with no edge to carry them.
/// </summary>
public sealed class SupervisionControllerTests : IAsyncDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(25);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("fence", PointKind.Perimeter, 1, ActiveHigh: true, LinePull.Up, Debounce, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: true, LinePull.Down, Debounce, "a"),
            new("vault", PointKind.DoorContact, 4, ActiveHigh: true, LinePull.Up, Debounce, "a") { StuckAfter = TimeSpan.FromDays(30) },
        ],
        [
            new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]))
    {
        Supervision = new SupervisionPolicy(4, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)),
    };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
    private readonly SimulatedGpioDriver _driver = new();
    private readonly GpioController _gpio;
    private readonly RecordingSink _events = new();
    private readonly SiteController _controller;

    public SupervisionControllerTests()
    {
        _gpio = new GpioController(_driver);
        foreach (var point in Site.Points)
        {
            _driver.SetInputLevel(point.Line, point.LevelFor(false));
        }

        _controller = new SiteController(
            Site,
            new GpioInputLines(_gpio, Site.Points, _time),
            initial => new GpioOutputLines(_gpio, Site.Outputs, initial),
            new MemoryStore(),
            [_events],
            _time,
            NullLogger<SiteController>.Instance);
    }

    private async Task BootAsync()
    {
        var start = _controller.StartAsync(CancellationToken.None);
        while (!start.IsCompleted)
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1);
        }

        await start;
    }

    /// <summary>Waits (bounded) until the loop has handled what was enqueued; not a speed assertion.</summary>
    private async Task SettleAsync()
    {
        var quiet = 0;
        for (var i = 0; i < 400 && quiet < 4; i++)
        {
            var before = (_controller.Snapshot!.Decisions, _events.Events.Count);
            await Task.Delay(5);
            quiet = before == (_controller.Snapshot!.Decisions, _events.Events.Count) ? quiet + 1 : 0;
        }
    }

    /// <summary>Sets the point and lets its debounce (or lock-out) pass on the fake clock.</summary>
    private async Task SetAsync(string point, bool active, TimeSpan? hold = null)
    {
        _driver.SetInputLevel(Site.Point(point).Line, Site.Point(point).LevelFor(active));
        await SettleAsync();
        _time.Advance(hold ?? TimeSpan.FromMilliseconds(200));
        await SettleAsync();
    }

    private async Task FlapAsync(string point, int transitions)
    {
        for (var i = 0; i < transitions; i++)
        {
            await SetAsync(point, i % 2 == 0);
        }
    }

    [Fact]
    public async Task A_chattering_fence_is_suppressed_until_the_settle_deadline_wakes_the_loop()
    {
        await BootAsync();

        await FlapAsync("fence", 6); // the 4th change is chatter; the line ends inactive
        Assert.Single(_events.Events.OfType<ChatterDetected>());
        Assert.Equal(["fence"], _controller.Snapshot!.SuppressedPoints);
        Assert.Equal(2, _events.Events.Count(e => e is PointActivated { PointId: "fence" }));
        Assert.True(_controller.Current!.IsActive("fence"), "the state machine keeps the state of the 3rd change, the last one it saw");

        // The settle time counts from the last change (the 6th, seen when its debounce timer woke the
        // loop at the end of SetAsync's advance): nothing at 29.9 s after it, the restore at 30 s.
        _time.Advance(TimeSpan.FromSeconds(29.9));
        await SettleAsync();
        Assert.DoesNotContain(_events.Events, e => e is ChatterRestored);

        _time.Advance(TimeSpan.FromSeconds(0.1));
        await SettleAsync();
        var restored = Assert.Single(_events.Events.OfType<ChatterRestored>());
        Assert.False(restored.Active);
        Assert.Empty(_controller.Snapshot!.SuppressedPoints);
        Assert.False(_controller.Current!.IsActive("fence"), "the settled state is applied");
        Assert.IsType<PointRestored>(_events.Events[^1]);
    }

    [Fact]
    public async Task A_chattering_panic_button_keeps_starting_the_lockdown()
    {
        await BootAsync();

        await FlapAsync("panic", 4);

        var chatter = Assert.Single(_events.Events.OfType<ChatterDetected>());
        Assert.False(chatter.Suppressed);
        Assert.Empty(_controller.Snapshot!.SuppressedPoints);
        Assert.Equal(SiteMode.Lockdown, _controller.Current!.Mode);
        Assert.Contains(_events.Events, e => e is LockdownRetriggered);
        Assert.True(_driver.GetOutputLevel(10));
    }

    [Fact]
    public async Task A_stuck_door_is_reported_once_by_the_timer_and_restored_when_it_opens()
    {
        await BootAsync();

        _time.Advance(TimeSpan.FromDays(29));
        await SettleAsync();
        Assert.DoesNotContain(_events.Events, e => e is PointStuck);

        _time.Advance(TimeSpan.FromDays(1));
        await SettleAsync();
        _time.Advance(TimeSpan.FromDays(3));
        await SettleAsync();
        var stuck = Assert.Single(_events.Events.OfType<PointStuck>());
        Assert.Equal(("vault", false), (stuck.PointId, stuck.Active));

        await SetAsync("vault", true);
        Assert.IsType<PointStuckRestored>(Assert.Single(_events.Events.OfType<PointStuckRestored>()));
        Assert.Contains(_events.Events, e => e is PointActivated { PointId: "vault" });
    }

    public async ValueTask DisposeAsync()
    {
        await _controller.StopAsync(CancellationToken.None);
        _controller.Dispose();
        _gpio.Dispose();
    }

    private sealed class MemoryStore : ISafetyStateStore
    {
        private SafetyState _state = SafetyState.Initial;

        public SafetyState Load() => _state;

        public void Save(SafetyState state) => _state = state;
    }
}
