using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// What happens during a chatter episode with the shipped policy (8 changes in 10 s, 3 s hold,
/// 30 s settle): a level that holds still reaches the state machine, so a door forced while its
/// contact is suppressed is reported; a chattering panic loop keeps the lockdown but retriggers
/// it only once per episode.
/// </summary>
public sealed class ChatterEpisodeTests : IAsyncDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(25);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("key", PointKind.Keyswitch, 3, ActiveHigh: true, LinePull.Down, Debounce, "a"),
            new("hall", PointKind.DoorContact, 4, ActiveHigh: true, LinePull.Up, Debounce, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(100), "a"),
            new("fence", PointKind.Perimeter, 5, ActiveHigh: true, LinePull.Up, Debounce, "a"),
        ],
        [
            // Normally unlocked entry door; a lockdown locks it.
            new("hall-lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSecure),
            new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a"),
        ],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]),
        Doors: [new DoorDefinition("hall-door", "hall-lock", "hall", [], TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5))])
    {
        Supervision = SupervisionPolicy.Default,
    };

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());

    private async Task SetAsync(string point, bool active, TimeSpan hold)
    {
        _h.Set(point, active);
        await _h.SettleAsync();
        await _h.AdvanceInStepsAsync(hold);
    }

    private async Task WaitSecondsAsync(int seconds)
    {
        for (var s = 0; s < seconds; s++)
        {
            await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(1));
        }
    }

    [Fact]
    public async Task A_door_forced_during_a_lockdown_while_its_contact_is_suppressed_is_reported_once_it_holds_open()
    {
        await _h.BootAsync();

        // Normal mode, door unlocked: people stream through it, 8 changes in ~2 s: chatter, suppressed.
        for (var i = 0; i < 8; i++)
        {
            await SetAsync("hall", i % 2 == 0, TimeSpan.FromMilliseconds(250));
        }

        Assert.Single(_h.Events.Events.OfType<ChatterDetected>());
        Assert.Equal(["hall"], _h.Controller.Snapshot!.SuppressedPoints);

        // A guard presses the panic button: lockdown, the hall door is locked.
        await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(2));
        await SetAsync("panic", true, TimeSpan.FromMilliseconds(300));
        await SetAsync("panic", false, TimeSpan.FromMilliseconds(300));
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
        Assert.True(_h.Driver.GetOutputLevel(10) == Site.Output("hall-lock").LevelFor(true), "hall locked");

        // The locked door, quiet for 10 s, is forced open: reported once it has held open 3 s,
        // while the contact is still suppressed (the episode has not settled).
        await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(10));
        await SetAsync("hall", true, TimeSpan.FromSeconds(2.9));
        Assert.DoesNotContain(_h.Events.Events, e => e is DoorForced);
        await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(0.2));
        var forced = Assert.Single(_h.Events.Events.OfType<DoorForced>());
        Assert.Equal("hall-door", forced.DoorId);
        Assert.Equal(["hall"], _h.Controller.Snapshot!.SuppressedPoints);

        // Shut again after 8 s; the contact stays quiet and settles closed.
        await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(4.9));
        await SetAsync("hall", false, TimeSpan.FromSeconds(1));
        Assert.Empty(_h.Events.Events.OfType<DoorForcedRestored>());
        await WaitSecondsAsync(3);
        Assert.Single(_h.Events.Events.OfType<DoorForcedRestored>());
        Assert.Equal(["hall"], _h.Controller.Snapshot!.SuppressedPoints);
        await WaitSecondsAsync(40);

        Assert.Single(_h.Events.Events.OfType<ChatterRestored>());
        Assert.Single(_h.Events.Events.OfType<DoorForced>());
        Assert.False(_h.Controller.Current!.IsActive("hall"));
        Assert.Empty(_h.Controller.Snapshot!.SuppressedPoints);
    }

    [Fact]
    public async Task A_door_forced_while_suppressed_is_reported_even_when_the_loop_sees_each_change_late()
    {
        await _h.BootAsync();

        // The review's probe, with one clock step per level: each change's timer fires within the
        // step and the loop handles it at the step's end, up to 8 s after the filter saw it (as a
        // backlogged loop would). The hold time counts from when the filter saw the level.
        async Task StepAsync(string point, bool active, TimeSpan hold)
        {
            _h.Set(point, active);
            await _h.SettleAsync();
            _h.Time.Advance(hold);
            await _h.SettleAsync();
        }

        for (var i = 0; i < 8; i++)
        {
            await StepAsync("hall", i % 2 == 0, TimeSpan.FromMilliseconds(250));
        }

        _h.Time.Advance(TimeSpan.FromSeconds(2));
        await _h.SettleAsync();
        await StepAsync("panic", true, TimeSpan.FromMilliseconds(300));
        await StepAsync("panic", false, TimeSpan.FromMilliseconds(300));
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
        _h.Time.Advance(TimeSpan.FromSeconds(10));
        await _h.SettleAsync();
        await StepAsync("hall", true, TimeSpan.FromSeconds(8));
        await StepAsync("hall", false, TimeSpan.FromSeconds(1));
        for (var s = 0; s < 40; s++)
        {
            _h.Time.Advance(TimeSpan.FromSeconds(1));
            await _h.SettleAsync();
        }

        Assert.Single(_h.Events.Events.OfType<ChatterRestored>());
        Assert.Single(_h.Events.Events.OfType<DoorForced>());
        Assert.Single(_h.Events.Events.OfType<DoorForcedRestored>());
    }

    [Fact]
    public async Task A_door_forced_for_less_than_the_hold_while_suppressed_is_reported_when_the_contact_settles()
    {
        await _h.BootAsync();
        for (var i = 0; i < 8; i++)
        {
            await SetAsync("hall", i % 2 == 0, TimeSpan.FromMilliseconds(250));
        }

        await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(2));
        await SetAsync("panic", true, TimeSpan.FromMilliseconds(300));
        await SetAsync("panic", false, TimeSpan.FromMilliseconds(300));
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);

        // Forced open for 2.5 s and shut, under the 3 s hold: withheld as a flap would be...
        await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(10));
        await SetAsync("hall", true, TimeSpan.FromSeconds(2.5));
        await SetAsync("hall", false, TimeSpan.FromSeconds(1));
        await WaitSecondsAsync(25);
        Assert.DoesNotContain(_h.Events.Events, e => e is DoorForced);

        // ...but decided when the contact settles: forced, then shut again.
        await WaitSecondsAsync(10);
        Assert.Single(_h.Events.Events.OfType<ChatterRestored>());
        Assert.Single(_h.Events.Events.OfType<DoorForced>());
        Assert.Single(_h.Events.Events.OfType<DoorForcedRestored>());
        Assert.False(_h.Controller.Current!.IsActive("hall"));
        Assert.Empty(_h.Controller.Snapshot!.SuppressedPoints);
    }

    [Fact]
    public async Task A_perimeter_point_that_goes_active_and_holds_while_suppressed_is_activated_but_its_flaps_are_not()
    {
        await _h.BootAsync();

        // A fence sensor in gusting wind: 20 flaps 400 ms apart, the 8th is chatter.
        for (var i = 0; i < 20; i++)
        {
            await SetAsync("fence", i % 2 == 0, TimeSpan.FromMilliseconds(400));
        }

        Assert.Single(_h.Events.Events.OfType<ChatterDetected>());
        var activations = _h.Events.Events.Count(e => e is PointActivated { PointId: "fence" });
        Assert.Equal(4, activations); // changes 1, 3, 5, 7 were let through; none of the later flaps

        // The gust lets go at rest for 5 s (the state machine now has it at rest), then somebody
        // climbs the fence and the sensor holds active: an activation, with the episode still running.
        await WaitSecondsAsync(5);
        Assert.False(_h.Controller.Current!.IsActive("fence"));
        await SetAsync("fence", true, TimeSpan.FromSeconds(3.1));

        Assert.Equal(activations + 1, _h.Events.Events.Count(e => e is PointActivated { PointId: "fence" }));
        Assert.True(_h.Controller.Current!.IsActive("fence"));
        Assert.Equal(["fence"], _h.Controller.Snapshot!.SuppressedPoints);
        Assert.DoesNotContain(_h.Events.Events, e => e is ChatterRestored);
    }

    [Fact]
    public async Task A_chattering_panic_button_keeps_the_lockdown_but_retriggers_it_once_per_chatter_episode()
    {
        await _h.BootAsync();

        // A loose terminal on the panic loop: the line flaps every 300 ms for a minute.
        for (var i = 0; i < 200; i++)
        {
            await SetAsync("panic", i % 2 == 0, TimeSpan.FromMilliseconds(300));
        }

        var detected = _h.Events.Events.ToList().FindIndex(e => e is ChatterDetected);
        Assert.True(detected >= 0);
        Assert.Single(_h.Events.Events.OfType<LockdownStarted>());
        // Presses 2..4 came before the chatter fault (the 8th change, a release) and retrigger as
        // ever; of the ~96 presses after it, only the first does.
        Assert.Equal(3, _h.Events.Events.Take(detected).Count(e => e is LockdownRetriggered));
        Assert.Single(_h.Events.Events.Skip(detected).OfType<LockdownRetriggered>());
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
        Assert.True(_h.Driver.GetOutputLevel(10) == Site.Output("hall-lock").LevelFor(true), "hall locked");

        // The loop settles; a press after the episode is news again and retriggers.
        await WaitSecondsAsync(31);
        Assert.Single(_h.Events.Events.OfType<ChatterRestored>());
        await SetAsync("panic", true, TimeSpan.FromMilliseconds(300));
        Assert.Equal(5, _h.Events.Events.Count(e => e is LockdownRetriggered));
    }

    [Fact]
    public async Task A_chattering_panic_button_starts_the_lockdown_again_after_a_key_ends_it()
    {
        await _h.BootAsync();

        for (var i = 0; i < 12; i++)
        {
            await SetAsync("panic", i % 2 == 0, TimeSpan.FromMilliseconds(300));
        }

        Assert.Single(_h.Events.Events.OfType<ChatterDetected>());
        await SetAsync("key", true, TimeSpan.FromMilliseconds(200));
        await SetAsync("key", false, TimeSpan.FromMilliseconds(200));
        Assert.Equal(SiteMode.Normal, _h.Controller.Current!.Mode);

        // Still chattering: the next press locks down again, for real (a panic always locks down).
        await SetAsync("panic", true, TimeSpan.FromMilliseconds(300));
        Assert.Equal(2, _h.Events.Events.Count(e => e is LockdownStarted));
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
