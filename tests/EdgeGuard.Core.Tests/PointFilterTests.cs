using EdgeGuard.Core.Filters;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Core.Tests;

public sealed class PointFilterTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);
    private static readonly PointDefinition Door = TestSite.Create().Point("door-a");
    private static readonly PointDefinition Panic = TestSite.Create().Point("panic-a");

    // A fire input with a long lock-out (the config accepts up to 10 s), so a held activation shows.
    private static readonly PointDefinition Fire = TestSite.Create().Point("fire-panel") with { Debounce = TimeSpan.FromSeconds(2) };

    [Fact]
    public void Contact_reports_only_after_the_level_holds_for_the_debounce()
    {
        var filter = new PointFilter(Door, settledActive: false, TimeSpan.Zero);

        Assert.Null(filter.Sample(true, 100 * Ms));
        Assert.Equal(125 * Ms, filter.NextDeadline);
        Assert.Null(filter.Tick(124 * Ms));
        Assert.True(filter.Tick(125 * Ms));
        Assert.True(filter.Active);
        Assert.Null(filter.NextDeadline);
    }

    [Fact]
    public void A_change_counts_from_when_its_debounce_ended_however_late_the_tick_or_edge_runs()
    {
        var filter = new PointFilter(Door, settledActive: false, TimeSpan.Zero);
        Assert.Equal(TimeSpan.Zero, filter.ChangedAt);

        filter.Sample(true, 100 * Ms);
        Assert.True(filter.Tick(8_000 * Ms)); // a loop 8 s late
        Assert.Equal(125 * Ms, filter.ChangedAt);

        // Reported by the next edge instead of a tick: as of its debounce's end too.
        filter.Sample(false, 9_000 * Ms);
        Assert.True(filter.Sample(true, 12_000 * Ms) is false);
        Assert.Equal(9_025 * Ms, filter.ChangedAt);

        // A leading-edge input counts as of its report.
        var panic = new PointFilter(Panic, settledActive: false, TimeSpan.Zero);
        Assert.True(panic.Sample(true, 300 * Ms));
        Assert.Equal(300 * Ms, panic.ChangedAt);
    }

    [Fact]
    public void Contact_bounce_restarts_the_debounce_window()
    {
        var filter = new PointFilter(Door, settledActive: false, TimeSpan.Zero);

        filter.Sample(true, 100 * Ms);
        filter.Sample(false, 101 * Ms);
        filter.Sample(true, 102 * Ms);

        Assert.Null(filter.Tick(126 * Ms));
        Assert.True(filter.Tick(127 * Ms));
    }

    [Fact]
    public void Contact_pulse_shorter_than_debounce_is_ignored()
    {
        var filter = new PointFilter(Door, settledActive: false, TimeSpan.Zero);

        filter.Sample(true, 100 * Ms);
        Assert.Null(filter.Sample(false, 120 * Ms));

        Assert.Null(filter.Tick(1000 * Ms));
        Assert.False(filter.Active);
        Assert.Null(filter.NextDeadline);
    }

    [Fact]
    public void Contact_level_that_held_for_the_debounce_counts_when_its_tick_comes_late()
    {
        var filter = new PointFilter(Door, settledActive: false, TimeSpan.Zero);

        // Opened at 100 ms, closed at 400 ms; the tick due at 125 ms never ran in between.
        Assert.Null(filter.Sample(true, 100 * Ms));
        Assert.True(filter.Sample(false, 400 * Ms));
        Assert.Equal(425 * Ms, filter.NextDeadline);

        Assert.Null(filter.Tick(424 * Ms));
        Assert.False(filter.Tick(425 * Ms));
    }

    [Fact]
    public void Panic_button_acts_on_the_leading_edge_without_delay()
    {
        var filter = new PointFilter(Panic, settledActive: false, TimeSpan.Zero);

        Assert.True(filter.Sample(true, 100 * Ms));
    }

    [Fact]
    public void Panic_button_bounce_inside_the_lockout_produces_no_second_event()
    {
        var filter = new PointFilter(Panic, settledActive: false, TimeSpan.Zero);
        filter.Sample(true, 100 * Ms);

        Assert.Null(filter.Sample(false, 101 * Ms));
        Assert.Null(filter.Sample(true, 102 * Ms));
        Assert.Null(filter.Tick(600 * Ms));
        Assert.True(filter.Active);
    }

    [Fact]
    public void Panic_button_release_is_reported_when_the_lockout_ends()
    {
        var filter = new PointFilter(Panic, settledActive: false, TimeSpan.Zero);
        filter.Sample(true, 100 * Ms);
        filter.Sample(false, 200 * Ms);

        Assert.Equal(600 * Ms, filter.NextDeadline);
        Assert.False(filter.Tick(600 * Ms));
        Assert.False(filter.Active);
    }

    [Fact]
    public void Panic_button_release_still_counts_when_the_lockout_tick_comes_after_the_next_press()
    {
        var filter = new PointFilter(Panic, settledActive: false, TimeSpan.Zero);
        filter.Sample(true, 100 * Ms);
        filter.Sample(false, 200 * Ms);

        // The tick due at 600 ms never ran; pressed again at 900 ms. The release is reported as of
        // 600 ms, and the new press once it has held LockoutPressConfirm inside that release's
        // lock-out (until 1,100 ms), exactly as with on-time ticks. (Until 2026-12-05 the press
        // waited for the lock-out's end, and was lost if released before it.)
        Assert.False(filter.Sample(true, 900 * Ms));
        Assert.Equal(930 * Ms, filter.NextDeadline);
        Assert.Null(filter.Tick(929 * Ms));
        Assert.True(filter.Tick(930 * Ms));
        Assert.Equal(1430 * Ms, filter.NextDeadline); // its own lock-out
    }

    [Fact]
    public void Panic_button_second_press_inside_the_release_lockout_counts_once_it_holds()
    {
        var filter = new PointFilter(Panic, settledActive: false, TimeSpan.Zero);
        filter.Sample(true, 100 * Ms);
        filter.Sample(false, 200 * Ms);
        Assert.False(filter.Tick(600 * Ms)); // the release; its lock-out until 1,100 ms

        // A short second press (150 ms) inside that lock-out: it used to be held and then lost.
        Assert.Null(filter.Sample(true, 700 * Ms));
        Assert.Equal(730 * Ms, filter.NextDeadline);
        Assert.True(filter.Tick(730 * Ms));
        Assert.Null(filter.Sample(false, 850 * Ms));
        Assert.False(filter.Tick(1230 * Ms)); // released when its own lock-out ends
    }

    [Fact]
    public void Panic_button_release_bounce_inside_the_lockout_is_never_a_second_press()
    {
        var filter = new PointFilter(Panic, settledActive: false, TimeSpan.Zero);
        filter.Sample(true, 100 * Ms);
        filter.Sample(false, 200 * Ms);
        Assert.False(filter.Tick(600 * Ms));

        // Contact bounce: a few milliseconds each way, every edge restarting the wait.
        for (var t = 601; t < 640; t += 4)
        {
            Assert.Null(filter.Sample(true, t * Ms));
            Assert.Null(filter.Sample(false, (t + 2) * Ms));
        }

        Assert.Null(filter.Tick(1099 * Ms));
        Assert.Null(filter.Tick(1100 * Ms));
        Assert.False(filter.Active);
    }

    [Fact]
    public void Panic_button_press_after_a_late_release_and_its_lockout_is_due_at_once()
    {
        var filter = new PointFilter(Panic, settledActive: false, TimeSpan.Zero);
        filter.Sample(true, 100 * Ms);
        filter.Sample(false, 200 * Ms);

        // Pressed again at 1,200 ms, after the release's own lock-out (600 to 1,100 ms) had ended too:
        // the release first, then the press is due at the same edge (the caller ticks at once).
        Assert.False(filter.Sample(true, 1200 * Ms));
        Assert.True(filter.Tick(1200 * Ms));
        Assert.Equal(1700 * Ms, filter.NextDeadline);
    }

    [Fact]
    public void Fire_input_that_comes_back_inside_its_release_lockout_is_reported_at_once()
    {
        var filter = new PointFilter(Fire, settledActive: false, TimeSpan.Zero);
        Assert.True(filter.Sample(true, 100 * Ms));
        Assert.Null(filter.Sample(false, 200 * Ms));
        Assert.False(filter.Tick(2100 * Ms)); // the release, its lock-out until 4,100 ms

        // The panel alarms again 100 ms later: a fire reset turned now must see it active, and an
        // egress lock relocked by a reset must be released again at once, not after 2 s.
        Assert.True(filter.Sample(true, 2200 * Ms));
        Assert.True(filter.Active);
    }

    [Fact]
    public void Fire_input_that_comes_back_after_a_late_release_tick_is_due_at_once()
    {
        var filter = new PointFilter(Fire, settledActive: false, TimeSpan.Zero);
        filter.Sample(true, 100 * Ms);
        filter.Sample(false, 200 * Ms);

        // The tick due at 2,100 ms never ran; active again at 2,500 ms. The release is reported as
        // of 2,100 ms, and the activation is due at its own edge, not when that release's lock-out ends.
        Assert.False(filter.Sample(true, 2500 * Ms));
        Assert.Equal(2500 * Ms, filter.NextDeadline);
        Assert.True(filter.Tick(2500 * Ms));
        Assert.True(filter.Active);
    }

    [Fact]
    public void Fire_input_bounce_back_to_normal_inside_its_lockout_is_still_held()
    {
        var filter = new PointFilter(Fire, settledActive: false, TimeSpan.Zero);
        filter.Sample(true, 100 * Ms);

        // Only an activation overrides the lock-out: bounce towards "no fire" waits for it.
        Assert.Null(filter.Sample(false, 101 * Ms));
        Assert.Null(filter.Tick(2099 * Ms));
        Assert.False(filter.Tick(2100 * Ms));
    }

    [Fact]
    public void Settled_boot_level_produces_no_event()
    {
        var filter = new PointFilter(Door, settledActive: true, TimeSpan.Zero);

        Assert.Null(filter.Sample(true, 10 * Ms));
        Assert.Null(filter.Tick(1000 * Ms));
        Assert.True(filter.Active);
    }
}
