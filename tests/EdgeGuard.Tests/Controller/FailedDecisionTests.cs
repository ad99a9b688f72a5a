using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A decision that throws half way is logged and the loop goes on (SiteController.Process). The
/// point's filter and supervisor have moved by then, so the deadlines they now have must still
/// arm the timer: the controller keeps them per point (PointDeadlines), and a refresh skipped by
/// the exception would leave a chattering point unsettled on a quiet site, for ever.
/// </summary>
public sealed class FailedDecisionTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-f", "gw-f",
        [new("a", "A")],
        [
            new("panic", PointKind.PanicButton, 2, ActiveHigh: true, LinePull.Down, TimeSpan.Zero, "a"),
            new("duress", PointKind.PanicButton, 1, ActiveHigh: true, LinePull.Down, TimeSpan.Zero, "a") { Silent = true },
        ],
        [
            new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true),
            new("lamp", OutputKind.Indicator, 11, ActiveHigh: true, "a"),
        ],
        // The siren runs long, so no other deadline ticks the timer while the chatter settles.
        new LockdownPolicy([], TimeSpan.FromMinutes(10), []))
    {
        Supervision = new SupervisionPolicy(2, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30)),
    };

    private readonly FlakyOutputLines _lines = new();
    private readonly ControllerHarness _h;

    public FailedDecisionTests() => _h = new ControllerHarness(Site, _ => new MemorySafetyStore(), outputs: real => _lines.Around(real));

    [Fact]
    public async Task A_chattering_point_whose_decisions_failed_is_still_settled_by_the_timer()
    {
        // A lockdown whose lock relay is dead: the lines no longer show the plan, so every decision
        // drives them again; then reading the lamp back throws, and each of the duress button's
        // decisions fails half way, after its supervisor has counted the change.
        await _h.BootAsync();
        _lines.FailingWrite = "lock";
        _h.Set("panic", true);
        await _h.SettleAsync();
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
        _lines.FailingReadBack = "lamp";

        foreach (var active in new[] { true, false, true })
        {
            _h.Set("duress", active);
            await _h.SettleAsync();
            _h.Time.Advance(TimeSpan.FromSeconds(1));
            await _h.SettleAsync();
        }

        Assert.True(_lines.ReadBackFailures >= 3, $"the decisions did not fail ({_lines.ReadBackFailures}): the test would prove nothing; events: {string.Join(", ", _h.Events.Events.Select(e => e.Type))}");
        Assert.Single(_h.Events.Events.OfType<ChatterDetected>());
        _lines.FailingReadBack = null;

        // No edge comes any more: only the timer can end the chatter, 30 s after the last change
        // (1 s ago).
        _h.Time.Advance(TimeSpan.FromSeconds(28.5));
        await _h.SettleAsync();
        Assert.DoesNotContain(_h.Events.Events, e => e is ChatterRestored);

        _h.Time.Advance(TimeSpan.FromSeconds(1));
        await _h.SettleAsync();
        Assert.Single(_h.Events.Events.OfType<ChatterRestored>());
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();
}
