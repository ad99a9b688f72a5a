using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// The periodic test (<c>gateway.test</c>, Contact ID 602) comes out of the controller's own
/// timer on a quiet site: first once the inputs settle, then every interval on the monotonic
/// clock, and a loop that was held up sends one, not the ones it missed.
/// </summary>
public sealed class PeriodicTestControllerTests : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    private static readonly SiteDefinition Site = new(
        "site-t", "gw-t",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
            new("key", PointKind.Keyswitch, 3, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe)],
        new LockdownPolicy([], TimeSpan.FromSeconds(30), ["key"]))
    {
        PeriodicTestInterval = Interval,
    };

    private readonly ControllerHarness _h = new(Site, _ => new MemorySafetyStore());

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    private List<GatewayTest> Tests => [.. _h.Events.Events.OfType<GatewayTest>()];

    [Fact]
    public async Task The_first_test_follows_the_boot_and_the_next_comes_one_interval_later()
    {
        await _h.BootAsync();
        await _h.SettleAsync();

        var first = Assert.Single(Tests);
        Assert.Equal((Interval, SiteMode.Normal, false), (first.Interval, first.Mode, first.Drill));
        // After the boot's own report: the office reads the test against what the start restored.
        Assert.True(
            _h.Events.Events.ToList().IndexOf(_h.Events.Events.OfType<GatewayStarted>().First()) < _h.Events.Events.ToList().IndexOf(first),
            "the test came before gateway.started");

        await _h.AdvanceInStepsAsync(Interval - TimeSpan.FromMilliseconds(200));
        Assert.Single(Tests);
        await _h.AdvanceInStepsAsync(TimeSpan.FromMilliseconds(300));

        Assert.Equal(2, Tests.Count);
        Assert.Equal(Interval, Tests[1].At - first.At);
    }

    [Fact]
    public async Task A_test_during_a_lockdown_reports_it_and_the_active_button()
    {
        await _h.BootAsync();
        _h.Set("panic", true);
        await _h.SettleAsync();

        await _h.AdvanceInStepsAsync(Interval);

        var test = Tests[^1];
        Assert.Equal((SiteMode.Lockdown, "lockdown", 1), (test.Mode, test.Scenario, test.ActivePoints));
    }

    [Fact]
    public async Task A_clock_that_jumps_several_intervals_at_once_brings_one_test_not_a_pile()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        Assert.Single(Tests);

        // The loop wakes once for the whole jump, as one held up for minutes would.
        _h.Time.Advance(Interval * 3.5);
        await _h.SettleAsync();

        Assert.Equal(2, Tests.Count);
        await _h.AdvanceInStepsAsync(Interval - TimeSpan.FromMilliseconds(200));
        Assert.Equal(2, Tests.Count);
        await _h.AdvanceInStepsAsync(TimeSpan.FromMilliseconds(300));
        Assert.Equal(3, Tests.Count);
    }
}
