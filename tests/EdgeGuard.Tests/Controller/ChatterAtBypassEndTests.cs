using EdgeGuard.Core;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// One edge handled on its GPIO thread (SiteController.Inline.cs) can ask the decider twice: a panic
/// button that starts to chatter first tells it the chattering points (PointsSuppressed), then its
/// change. Each decision runs what fell due by the wall clock before its input (a bypass whose
/// signed end passed): when that changes the safety state, both decisions go to the loop to be
/// saved first, and there is one slot for a decision waiting there. Review probe: the second
/// overwrote the first, and the <c>fault.chatter</c> it carried was never reported.
/// </summary>
public sealed class ChatterAtBypassEndTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: true, LinePull.Down, TimeSpan.Zero, "a"),
            new("fence", PointKind.Perimeter, 5, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("siren", OutputKind.Siren, 11, ActiveHigh: true, "a")],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), []))
    {
        Supervision = SupervisionPolicy.Default, // 8 changes in 10 s is chatter
    };

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());

    private VerifiedCommand Bypass(string point, DateTimeOffset until) =>
        _h.Signed(CommandType.Bypass, "sup-1", OperatorRole.Supervisor, ("point", new JsonStringItem(point)), ("until", new JsonStringItem(WireTime.Format(until))));

    [Fact]
    public async Task A_panic_button_that_starts_to_chatter_as_a_bypass_runs_out_is_reported_as_chattering()
    {
        await _h.BootAsync();
        await _h.SettleAsync(saved: true);
        var end = _h.Time.GetUtcNow().AddSeconds(10);
        var bypassed = await _h.ExecuteAsync(Bypass("fence", end));
        Assert.True(bypassed.Done, bypassed.Detail);

        // Seven changes of the panic loop, 250 ms apart (the first starts the lockdown). Every save
        // ends before the clock moves on: on a loaded machine one still running outlasted its wait
        // on this clock, and its fault's restore came with the eighth change, the bypass's end
        // decided ahead of the chatter (5 of 80 runs beside two CPU burners; seen in CI).
        await _h.AdvanceInStepsAsync(TimeSpan.FromSeconds(5), saved: true);
        for (var i = 0; i < 7; i++)
        {
            _h.Set("panic", i % 2 == 0);
            await _h.SettleAsync(saved: true);
            await _h.AdvanceInStepsAsync(TimeSpan.FromMilliseconds(250), saved: true);
        }

        // The loop last armed its timer 0.3 ms before the bypass's end: timers count whole
        // milliseconds, rounded up, so it fires 0.7 ms after the end. The eighth change comes in
        // between, with nothing queued: it is decided on this (the GPIO) thread.
        await _h.AdvanceInStepsAsync(end - _h.Time.GetUtcNow() - TimeSpan.FromTicks(3_000), saved: true);
        _h.Time.Advance(TimeSpan.FromTicks(5_000)); // 0.2 ms past the end
        Assert.Contains(_h.Controller.Current!.Bypasses.Keys, id => id == "fence");
        _h.Set("panic", false);
        await _h.SettleAsync();
        await _h.AdvanceInStepsAsync(TimeSpan.FromMilliseconds(10));

        var chatter = Assert.Single(_h.Events.Events.OfType<ChatterDetected>());
        Assert.Equal(("panic", false), (chatter.PointId, chatter.Suppressed));
        Assert.Contains("panic", _h.Controller.Current!.ChatteringPoints);
        // In the order decided: the chatter and the decision it led to (the bypass ended before
        // its input), then the change, decided after it.
        var last = _h.Events.Events.SkipWhile(e => e is not ChatterDetected)
            .Where(e => e is ChatterDetected or PointUnbypassed or PointRestored).Select(e => $"{e.Type} {e.Point}").ToList();
        Assert.Equal(["fault.chatter panic", "point.unbypassed fence", "point.restored panic"], last);
        Assert.Empty(_h.Controller.Current.Bypasses);
        Assert.False(_h.Controller.Current.IsActive("panic"));
    }

    public async ValueTask DisposeAsync() => await _h.DisposeAsync();
}
