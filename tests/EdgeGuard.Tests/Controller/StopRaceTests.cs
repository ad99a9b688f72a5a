using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Controller;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// An orderly stop (SIGTERM) decides and journals every input the controller took before its
/// outputs close: a panic press handed to the loop (its decision changes the safety state) just as
/// the stop's cancellation reached it, and an edge arriving while the stop still saves, lock the
/// doors and are journaled. Only after that is the channel closed: a later command or heartbeat is
/// answered at once, and a later edge is logged. The decider is only slowed (as a loaded machine or
/// a long decision would) to put the stop inside the window deterministically.
/// </summary>
public sealed partial class StopRaceTests : IAsyncDisposable
{
    private const int LockLine = 10;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private static readonly SiteDefinition Site = new(
        "site-p", "gw-p",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock", OutputKind.Lock, LockLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []));

    private readonly RecordingStore _store = new();
    private readonly ControllerHarness _h;

    public StopRaceTests() => _h = new ControllerHarness(Site, _ => _store);

    [Fact]
    public async Task A_panic_press_accepted_while_the_loop_runs_is_decided_or_journaled_even_if_a_stop_follows_at_once()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        var inDecision = new ManualResetEventSlim();
        var goOn = new ManualResetEventSlim();
        _h.Controller.Decider = (site, state, input, now) =>
        {
            if (input is PointChanged { PointId: "panic", Active: true } && !goOn.IsSet)
            {
                inDecision.Set();
                goOn.Wait(Patience);
            }

            return SiteDecider.Decide(site, state, input, now);
        };

        // The GPIO thread: the edge reaches an idle, running controller and is decided there.
        var press = Task.Run(() => _h.Set("panic", true));
        Assert.True(inDecision.Wait(Patience), "the panic press was never decided");

        // SIGTERM now: the loop is cancelled while the GPIO thread is inside the decision, which
        // it then hands to the loop (it changes the safety state).
        var stop = Task.Run(() => _h.Controller.StopAsync(CancellationToken.None));
        await Task.Delay(300);
        goOn.Set();
        await press.WaitAsync(Patience);
        await stop.WaitAsync(Patience);

        // The press was accepted before the loop ended: it leads to a lockdown, journaled and saved.
        Assert.Contains(_h.Events.Events, e => e is PointActivated { PointId: "panic" });
        Assert.Contains(_h.Events.Events, e => e is LockdownStarted);
        Assert.Equal(SiteMode.Lockdown, _store.Last.Mode);
        Assert.True(_h.Driver.GetOutputLevel(LockLine), "the lockdown's lock was not driven before the outputs closed");
    }

    [Fact]
    public async Task An_input_change_while_the_stop_still_saves_for_seconds_is_at_least_journaled()
    {
        var store = new GatedStore();
        await using var h = new ControllerHarness(Site, _ => store);
        await h.BootAsync();
        await h.SettleAsync();
        store.Hold = true;
        h.Set("door", true); // nothing saved
        h.Set("panic", true);
        Assert.True(store.HeldSaveStarted.Wait(Patience));
        h.Time.Advance(SiteController.SafetySaveDeadline);
        await h.SettleAsync();
        h.Set("panic", false);
        await h.SettleAsync();

        // SIGTERM: the loop ends, the stop waits (up to 3 s) for the hung save. The gateway is still
        // up, its inputs open and its journal running: a change now is decided and journaled.
        var stop = Task.Run(() => h.Controller.StopAsync(CancellationToken.None));
        await h.LoopEndedAsync(Patience);
        var before = h.Events.Events.Count(e => e is PointActivated { PointId: "door" } or PointRestored { PointId: "door" });
        h.Set("door", false);
        store.Hold = false;
        store.Gate.Set();
        await stop.WaitAsync(Patience);
        Assert.Equal(before + 1, h.Events.Events.Count(e => e is PointActivated { PointId: "door" } or PointRestored { PointId: "door" }));
    }

    public async ValueTask DisposeAsync() => await _h.DisposeAsync();

    private sealed class RecordingStore : ISafetyStateStore
    {
        private SafetyState _state = SafetyState.Initial;

        public SafetyState Last => Volatile.Read(ref _state);

        public SafetyState Load() => SafetyState.Initial;

        public void Save(SafetyState state) => Volatile.Write(ref _state, state);
    }
}
