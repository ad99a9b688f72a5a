using System.Collections.Immutable;
using EdgeGuard.Controller;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

// A late read on a site with doors: a door forced while the read hangs must not cost the lockdown
// the read holds (its save may reach the saver between the read's end and the loop taking it),
// and a door delayed egress had latched open before the power cut is released again.
public sealed partial class UnreadableSafetyStateTests
{
    private const int FrontLine = 10, EgressDoorLine = 12;

    private static readonly SiteDefinition DoorSite = new(
        "site-d", "gw-d",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key", PointKind.Keyswitch, 4, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("front-contact", PointKind.DoorContact, 5, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("rex", PointKind.RequestToExit, 6, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("relock", PointKind.Keyswitch, 7, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [
            // Locked at all times: opening it without a release is a forced door.
            new("front-lock", OutputKind.Lock, FrontLine, ActiveHigh: true, "a", LockFailMode.FailSafe, NormallyLocked: true),
            // An egress door locked at all times, opened by delayed egress until a key relocks it.
            new("egress-lock", OutputKind.Lock, EgressDoorLine, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true, NormallyLocked: true),
        ],
        new LockdownPolicy([], TimeSpan.FromMinutes(10), ["key"]),
        new LifeSafetyPolicy(["key"]),
        [
            new DoorDefinition("front", "front-lock", "front-contact", [], TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(5)),
            new DoorDefinition("egress", "egress-lock", null, ["rex"], TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(5),
                TimeSpan.FromSeconds(15), null, ["relock"]),
        ]);

    private static readonly ImmutableSortedDictionary<string, DoorRelease> EgressLatched =
        ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress", DoorRelease.DelayedEgressReleased)]);

    [Fact]
    public async Task A_late_lockdown_is_put_back_though_a_retried_save_of_a_forced_door_reaches_the_saver_before_the_loop_takes_the_read()
    {
        using var gate = new GateSink();
        await using var h = new ControllerHarness(DoorSite, _ => _store, gate);
        _store.Hang = true;
        await h.BootAsync().WaitAsync(Patience);

        // The front door is forced while the read hangs: its save waits behind the read, the
        // state is not saved (the read started past the save's bound), retried every second.
        h.Set("front-contact", true);
        await h.SettleAsync();
        Assert.Single(h.Events.Events.OfType<DoorForced>());
        Assert.Single(h.Events.Events.OfType<SafetyStateNotPersisted>());

        // The loop is busy (held in a sink) while the retry falls due and the read ends: the
        // retry is queued ahead of the read's end.
        gate.Close();
        h.Controller.ReportFromOutside([new Nudge(h.Time.GetUtcNow())]);
        Assert.True(gate.Entered.Wait(Patience), "the loop never reported the nudge");
        h.Time.Advance(SiteController.SafetySaveRetryInterval + TimeSpan.FromMilliseconds(10));
        _store.Unhang();
        await Eventually.TrueAsync(() => !_store.LoadRunning && h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        gate.Open();
        await h.SettleAsync();

        // Before: the retry handed the saver the Normal state first, and the read's lockdown was
        // then "overwritten by a save since the boot": dropped, on the doors and on disk.
        var state = h.Controller.Snapshot!.State;
        Assert.Equal(SiteMode.Lockdown, state.Mode);
        Assert.Equal(LockedDown.Lockdown, state.Lockdown);
        Assert.True(DoorSupervisionForced(state, "front"), "the forced door's alarm stands beside the lockdown");
        Assert.True(h.Events.Events.OfType<SafetyStateUnreadable>().Last().Reapplied);
        await Eventually.TrueAsync(() => _store.LastSaved is { Mode: SiteMode.Lockdown } && h.Controller.SafetySaverIdle, Patience, "the lockdown never saved");
        Assert.True(_store.LastSaved!.ActiveDoorAlarms.ContainsKey("front"), "the row holds the forced door too");
        Assert.DoesNotContain("saved Normal", _store.Log);
        Assert.Equal(0, _store.SavesDuringLoad);
    }

    [Fact]
    public async Task A_late_read_of_a_door_latched_open_by_delayed_egress_releases_it_again()
    {
        _store.Holds = SafetyState.Initial with { DoorReleases = EgressLatched };
        _store.Hang = true;
        await using var h = new ControllerHarness(DoorSite, _ => _store);
        await h.BootAsync().WaitAsync(Patience);
        Assert.True(h.Driver.GetOutputLevel(EgressDoorLine), "booted without it: the egress door locked");

        _store.Unhang();
        await Eventually.TrueAsync(() => _store.LastSaved is not null && h.Controller.SafetySaverIdle, Patience, "the release never saved");
        await h.SettleAsync();

        // Before: only reported as not restored; the door delayed egress had opened for good was
        // locked again by a slow card.
        Assert.True(h.Controller.Snapshot!.State.Doors["egress"].EgressLatched);
        Assert.False(h.Driver.GetOutputLevel(EgressDoorLine), "the latched door is released again");
        Assert.Equal(DoorRelease.DelayedEgressReleased, _store.LastSaved!.ReleasedDoors["egress"]);
        var late = h.Events.Events.OfType<SafetyStateUnreadable>().Last();
        Assert.DoesNotContain(late.NotRestored, s => s.Contains("egress", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_late_lockdown_on_an_idle_site_puts_back_its_delayed_egress_release_too()
    {
        _store.Holds = LockedDown with { DoorReleases = EgressLatched };
        _store.Hang = true;
        await using var h = new ControllerHarness(DoorSite, _ => _store);
        await h.BootAsync().WaitAsync(Patience);

        _store.Unhang();
        await Eventually.TrueAsync(() => !_store.LoadRunning && h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        await h.SettleAsync();

        Assert.Equal(SiteMode.Lockdown, h.Controller.Snapshot!.State.Mode);
        Assert.True(h.Driver.GetOutputLevel(FrontLine), "the lockdown locks the front door");
        Assert.False(h.Driver.GetOutputLevel(EgressDoorLine), "the egress door delayed egress opened stays open in a lockdown");
    }

    [Fact]
    public async Task A_late_read_does_not_release_a_door_a_relock_key_was_turned_at_since_the_boot()
    {
        await using var h = await LateReadAfterARelockAsync(SafetyState.Initial with { DoorReleases = EgressLatched });

        // A person relocked that door since the boot: their decision stands.
        Assert.True(h.Driver.GetOutputLevel(EgressDoorLine), "the door relocked since the boot stays locked");
        Assert.False(h.Controller.Snapshot!.State.Doors.TryGetValue("egress", out var door) && door.EgressLatched);
    }

    // Delayed egress releases irreversibly once a push started it: a relock key turned during the
    // count relocks nothing (DoorSupervision), so one turned since the boot does not keep a late
    // read's count from being put back either.
    [Fact]
    public async Task A_late_read_of_a_delayed_egress_count_is_put_back_though_a_relock_key_was_turned_since_the_boot()
    {
        await using var h = await LateReadAfterARelockAsync(SafetyState.Initial with
        {
            DoorReleases = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress", DoorRelease.DelayedEgressCounting)]),
        });

        Assert.NotNull(h.Controller.Snapshot!.State.Doors["egress"].DelayedEgressUntil);
        h.Time.Advance(TimeSpan.FromSeconds(16));
        await h.SettleAsync();

        Assert.True(h.Controller.Snapshot!.State.Doors["egress"].EgressLatched);
        Assert.False(h.Driver.GetOutputLevel(EgressDoorLine), "the count put back released the door");
    }

    // The door was pushed, released and relocked by key since the boot: the count the late read
    // holds (a push before the restart) is over; put back, it let the door open again.
    [Fact]
    public async Task A_late_read_of_a_count_is_not_put_back_for_a_door_released_and_relocked_since_the_boot()
    {
        _store.Holds = SafetyState.Initial with
        {
            DoorReleases = ImmutableSortedDictionary.CreateRange(StringComparer.Ordinal, [KeyValuePair.Create("egress", DoorRelease.DelayedEgressCounting)]),
        };
        _store.Hang = true;
        await using var h = new ControllerHarness(DoorSite, _ => _store);
        await h.BootAsync().WaitAsync(Patience);
        h.Set("rex", true);
        await h.SettleAsync();
        h.Time.Advance(TimeSpan.FromSeconds(16));
        await h.SettleAsync();
        Assert.False(h.Driver.GetOutputLevel(EgressDoorLine), "the push since the boot released the door");
        h.Set("relock", true);
        await h.SettleAsync();
        Assert.Single(h.Events.Events.OfType<DoorRelocked>());

        _store.Unhang();
        await Eventually.TrueAsync(() => !_store.LoadRunning && h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        await h.SettleAsync();
        h.Time.Advance(TimeSpan.FromSeconds(16));
        await h.SettleAsync();

        Assert.True(h.Driver.GetOutputLevel(EgressDoorLine), "the door relocked by hand stays locked");
        Assert.Null(h.Controller.Snapshot!.State.Doors["egress"].DelayedEgressUntil);
    }

    // Boots while the read of holds hangs, turns the egress door's relock key, then lets the read end.
    private async Task<ControllerHarness> LateReadAfterARelockAsync(SafetyState holds)
    {
        _store.Holds = holds;
        _store.Hang = true;
        var h = new ControllerHarness(DoorSite, _ => _store);
        await h.BootAsync().WaitAsync(Patience);
        h.Set("relock", true);
        await h.SettleAsync();

        _store.Unhang();
        await Eventually.TrueAsync(() => !_store.LoadRunning && h.Controller.SafetySaverIdle, Patience, "the late load never ended");
        await h.SettleAsync();
        return h;
    }

    private static bool DoorSupervisionForced(SiteState state, string door) => state.Doors.TryGetValue(door, out var d) && d.Forced;

    /// <summary>An event with no effect, to give the loop something to report.</summary>
    private sealed record Nudge(DateTimeOffset At) : DomainEvent(At)
    {
        public override string Type => "test.nudge";

        public override Severity Severity => Severity.Info;
    }

    /// <summary>A sink that holds the loop in its report while closed.</summary>
    private sealed class GateSink : IEventSink, IDisposable
    {
        private readonly ManualResetEventSlim _open = new(true);

        public ManualResetEventSlim Entered { get; } = new();

        public void Close() => _open.Reset();

        public void Open() => _open.Set();

        public void Publish(IReadOnlyList<DomainEvent> events)
        {
            if (!_open.IsSet)
            {
                Entered.Set();
                _open.Wait(Patience);
            }
        }

        public void Dispose()
        {
            _open.Dispose();
            Entered.Dispose();
        }
    }
}
