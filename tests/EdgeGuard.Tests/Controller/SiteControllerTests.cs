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
/// The controller loop on the real GpioController over the simulated driver, with a
/// FakeTimeProvider so debounce and siren timing are exact and independent of machine speed.
/// </summary>
public sealed class SiteControllerTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.FromMilliseconds(25), "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(500), "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(50), "a"),
        ],
        [
            new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]));

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
    private readonly SimulatedGpioDriver _driver = new();
    private readonly GpioController _gpio;
    private readonly RecordingStore _store;
    private readonly RecordingSink _events = new();
    private readonly SiteController _controller;

    public SiteControllerTests()
    {
        _gpio = new GpioController(_driver);
        foreach (var point in Site.Points)
        {
            _driver.SetInputLevel(point.Line, point.LevelFor(false));
        }

        _store = new RecordingStore(_driver);
        _controller = new SiteController(
            Site,
            new GpioInputLines(_gpio, Site.Points, _time),
            initial => new GpioOutputLines(_gpio, Site.Outputs, initial),
            _store,
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
        for (var i = 0; i < 200; i++)
        {
            var before = _controller.Snapshot!.Decisions;
            await Task.Delay(5);
            if (_controller.Snapshot!.Decisions == before && i > 2)
            {
                return;
            }
        }
    }

    private void Set(string point, bool active) => _driver.SetInputLevel(Site.Point(point).Line, Site.Point(point).LevelFor(active));

    [Fact]
    public async Task Door_change_is_reported_exactly_when_its_debounce_has_passed()
    {
        await BootAsync();

        Set("door", true);
        _time.Advance(TimeSpan.FromMilliseconds(24));
        await SettleAsync();
        Assert.DoesNotContain(_events.Events, e => e is PointActivated);

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await SettleAsync();
        Assert.Contains(_events.Events, e => e is PointActivated { PointId: "door" });
    }

    [Fact]
    public async Task Lockdown_is_persisted_before_the_lock_is_driven()
    {
        await BootAsync();

        Set("panic", true);
        await SettleAsync();

        var saved = Assert.Single(_store.Saves);
        Assert.Equal(SiteMode.Lockdown, saved.State.Mode);
        Assert.False(saved.LockLineWhenSaved, "the lock was driven before the lockdown was on disk");
        Assert.True(_driver.GetOutputLevel(10));
        Assert.True(_driver.GetOutputLevel(11));
    }

    [Fact]
    public async Task Siren_stops_after_its_time_on_the_fake_clock_while_the_lock_stays()
    {
        await BootAsync();
        Set("panic", true);
        await SettleAsync();

        _time.Advance(TimeSpan.FromSeconds(29));
        await SettleAsync();
        Assert.True(_driver.GetOutputLevel(11));

        _time.Advance(TimeSpan.FromSeconds(1));
        await SettleAsync();
        Assert.False(_driver.GetOutputLevel(11));
        Assert.True(_driver.GetOutputLevel(10));
        Assert.Contains(_events.Events, e => e is SirenTimedOut);
    }

    [Fact]
    public async Task A_failing_disk_does_not_stop_the_doors_locking()
    {
        _store.FailSaves = true;
        await BootAsync();

        Set("panic", true);
        await SettleAsync();

        Assert.True(_driver.GetOutputLevel(10));
        Assert.Contains(_events.Events, e => e is SafetyStateNotPersisted);
    }

    [Fact]
    public async Task Edges_during_boot_settling_raise_nothing()
    {
        var start = _controller.StartAsync(CancellationToken.None);
        Set("panic", true);   // transient while the inputs settle
        Set("panic", false);
        while (!start.IsCompleted)
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1);
        }

        await start;
        await SettleAsync();

        Assert.Equal(SiteMode.Normal, _controller.Current!.Mode);
        Assert.DoesNotContain(_events.Events, e => e is LockdownStarted or PointActivated);
    }

    public async ValueTask DisposeAsync()
    {
        await _controller.StopAsync(CancellationToken.None);
        _controller.Dispose();
        _gpio.Dispose();
    }

    /// <summary>Records every save together with the lock line's level at that moment.</summary>
    private sealed class RecordingStore(SimulatedGpioDriver driver) : ISafetyStateStore
    {
        public List<(SafetyState State, bool LockLineWhenSaved)> Saves { get; } = [];

        public bool FailSaves { get; set; }

        public SafetyState Load() => SafetyState.Initial;

        public void Save(SafetyState state)
        {
            if (FailSaves)
            {
                throw new IOException("disk full");
            }

            Saves.Add((state, driver.GetOutputLevel(10)));
        }
    }
}
