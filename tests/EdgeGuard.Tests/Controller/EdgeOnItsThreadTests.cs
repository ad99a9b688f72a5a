using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The idle fast path (SiteController.Inline.cs): an edge reaching an idle controller is handled on
/// the GPIO thread that reported it; a decision that must be saved first goes to the loop; an edge
/// never overtakes a message the loop has not finished. The simulated driver calls back on the
/// thread that sets the line, so "the GPIO thread" is the test's own thread here.
/// </summary>
public sealed class EdgeOnItsThreadTests : IAsyncDisposable
{
    private const int LockLine = 10;

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    private readonly ThreadRecordingSink _threads = new();
    private readonly ControllerHarness _h;
    private BlockingStore _store = null!;

    public EdgeOnItsThreadTests() => _h = new ControllerHarness(Site, driver => _store = new BlockingStore(driver, LockLine), _threads);

    [Fact]
    public async Task An_edge_on_an_idle_controller_is_decided_and_reported_before_the_GPIO_callback_returns()
    {
        await _h.BootAsync();
        await _h.SettleAsync();

        _h.Set("door", true);

        // No waiting: the callback itself ran the decision and handed the event to the sinks.
        var (activated, thread) = Assert.Single(_threads.Seen, seen => seen.Event is PointActivated);
        Assert.Equal("door", activated.Point);
        Assert.Equal(Environment.CurrentManagedThreadId, thread);
        Assert.True(_h.Controller.Snapshot!.State.Points["door"]);
    }

    [Fact]
    public async Task A_lockdown_is_decided_on_the_loop_not_on_the_GPIO_thread_and_saved_before_the_lock_is_driven()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Hold = true;

        // The save is held: on the GPIO thread it would hold this call too.
        var gpioThread = Environment.CurrentManagedThreadId;
        _h.Set("panic", true);
        Assert.True(_store.Entered.Wait(TimeSpan.FromSeconds(30)), "the lockdown was never saved");
        var save = Assert.Single(_store.Saves);
        Assert.NotEqual(gpioThread, save.Thread);
        Assert.False(_h.Driver.GetOutputLevel(LockLine), "the lock was driven before the lockdown was on disk");

        _store.Release.Set();
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, save.State.Mode);
        Assert.False(save.LockLineWhenSaved);
        Assert.True(_h.Driver.GetOutputLevel(LockLine));
        // Decided once, on the loop, and reported once, in order.
        var reported = _threads.Seen.Select(seen => seen.Event).Where(e => e is PointActivated or LockdownStarted).ToList();
        Assert.Collection(
            reported,
            e => Assert.Equal("panic", Assert.IsType<PointActivated>(e).PointId),
            e => Assert.IsType<LockdownStarted>(e));
        // Both on the loop's thread; the save on the saver's own (SafetyStateSaver), which the loop
        // waited for before it drove the lock.
        var loopThread = Assert.Single(_threads.Seen.Where(seen => seen.Event is PointActivated or LockdownStarted).Select(seen => seen.Thread).Distinct());
        Assert.NotEqual(gpioThread, loopThread);
        Assert.NotEqual(loopThread, save.Thread);
    }

    [Fact]
    public async Task An_edge_while_the_loop_is_busy_queues_behind_it_without_holding_the_GPIO_thread()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _store.Hold = true;

        _h.Set("panic", true);
        Assert.True(_store.Entered.Wait(TimeSpan.FromSeconds(30)), "the loop never started saving the lockdown");
        // The loop is inside the save, holding the controller: this edge must not wait for it.
        _h.Set("door", true);
        Assert.DoesNotContain(_threads.Seen, seen => seen.Event is PointActivated { PointId: "door" });

        _store.Release.Set();
        await _h.SettleAsync();

        var order = _threads.Seen.Select(seen => seen.Event)
            .Where(e => e is PointActivated or LockdownStarted)
            .Select(e => e is PointActivated activated ? activated.PointId : e.Type)
            .ToList();
        Assert.Equal(["panic", "lockdown.started", "door"], order);
    }

    public async ValueTask DisposeAsync()
    {
        _store.Release.Set();
        await _h.DisposeAsync();
    }

    /// <summary>Records each event with the managed thread that handed it over.</summary>
    private sealed class ThreadRecordingSink : IEventSink
    {
        private readonly Lock _gate = new();
        private readonly List<(DomainEvent Event, int Thread)> _seen = [];

        public IReadOnlyList<(DomainEvent Event, int Thread)> Seen
        {
            get
            {
                lock (_gate)
                {
                    return [.. _seen];
                }
            }
        }

        public void Publish(IReadOnlyList<DomainEvent> events)
        {
            lock (_gate)
            {
                _seen.AddRange(events.Select(e => (e, Environment.CurrentManagedThreadId)));
            }
        }
    }
}
