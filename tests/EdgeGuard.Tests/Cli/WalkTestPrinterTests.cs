using EdgeGuard.Configuration;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Tests.Configuration;
using EdgeGuard.WalkTest;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Tests.Cli;

/// <summary>What the technician reads when a chip, a native line or the kernel check reports a hardware fault.</summary>
public sealed class WalkTestPrinterTests
{
    [Fact]
    public void A_hardware_fault_shows_its_own_reason_and_its_restore_says_restored()
    {
        var site = TestConfigs.Read(_ => { }).Config!.Site;
        using var output = new StringWriter();
        var printer = new WalkTestPrinter(site, new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 16, 0, 0, TimeSpan.Zero)), output);

        printer.Board(new HardwareFault(DateTimeOffset.UnixEpoch, "gpio17", "door-lobby: 1 edge lost: channel closed; level re-read (high)"));
        printer.Board(new HardwareFaultRestored(DateTimeOffset.UnixEpoch, "gpio17"));

        Assert.Equal(
            ["fault gpio17: door-lobby: 1 edge lost: channel closed; level re-read (high) (fault.hardware)", "fault gpio17: restored (fault.hardware-restored)"],
            output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l[(l.IndexOf(" fault ", StringComparison.Ordinal) + 1)..]));
    }

    [Fact]
    public void A_fault_reported_at_start_is_stamped_with_its_own_time_not_the_time_it_is_shown()
    {
        var site = TestConfigs.Read(_ => { }).Config!.Site;
        using var output = new StringWriter();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 3, 16, 0, 5, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.Utc);
        var printer = new WalkTestPrinter(site, time, output);

        printer.Board(new HardwareFault(new DateTimeOffset(2026, 12, 3, 16, 0, 1, 250, TimeSpan.Zero), "gpiochip0", "persist_gpio_outputs is N"));

        Assert.StartsWith("16:00:01.250 fault gpiochip0: persist_gpio_outputs is N (fault.hardware)", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_native_line_restored_marks_only_its_own_fault_restored_not_another_lines_or_the_kernel_checks()
    {
        // The restore carries only the device; native lines are told apart by it (gpio17, gpio24), and the
        // kernel check's device is the chip (gpiochip0), which no line's restore may clear.
        var site = TestConfigs.Read(_ => { }).Config!.Site;
        using var output = new StringWriter();
        var tally = new WalkTestTally(site);
        tally.Board(new HardwareFault(DateTimeOffset.UnixEpoch, "gpiochip0", "persist_gpio_outputs is N"), atStart: true);
        tally.Board(new HardwareFault(DateTimeOffset.UnixEpoch, "gpio17", "door-lobby: 3 edges lost: queue full; level re-read (high)"), atStart: false);
        tally.Board(new HardwareFault(DateTimeOffset.UnixEpoch, "gpio24", "panic-lobby: 1 edge lost: queue full; level re-read (low)"), atStart: false);
        tally.Board(new HardwareFaultRestored(DateTimeOffset.UnixEpoch, "gpio24"), atStart: false);

        new WalkTestPrinter(site, new FakeTimeProvider(), output).Report(tally, WalkTestEnd.Stopped);

        var hardware = output.ToString().Split('\n').Where(l => l.StartsWith("  HARDWARE", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [
                "  HARDWARE  gpiochip0 at start: persist_gpio_outputs is N",
                "  HARDWARE  gpio17 during the test: door-lobby: 3 edges lost: queue full; level re-read (high)",
                "  HARDWARE  gpio24 during the test (restored since): panic-lobby: 1 edge lost: queue full; level re-read (low)",
            ],
            hardware);
        Assert.Contains("hardware fault during the test: gpio17, gpio24", output.ToString(), StringComparison.Ordinal);
        Assert.False(tally.Passed);
    }

    [Fact]
    public void Board_events_at_start_that_were_not_kept_are_counted_on_screen_and_fail_a_test_that_saw_every_point()
    {
        var site = TestConfigs.Read(_ => { }).Config!.Site;
        using var output = new StringWriter();
        var printer = new WalkTestPrinter(site, new FakeTimeProvider(), output);
        var tally = new WalkTestTally(site);
        foreach (var point in site.Points)
        {
            tally.Changed(point.Id, active: true, LoopState.Alarm);
            tally.Changed(point.Id, active: false, LoopState.Normal);
        }

        Assert.True(tally.AllSeen);

        tally.NotKeptAtStart = 3;
        printer.NotKeptAtStart(tally.NotKeptAtStart);
        printer.Report(tally, WalkTestEnd.AllSeen);

        Assert.Contains("fault board: 3 more events were reported while the lines were opened and not kept", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("FAILED: 3 board events at start not kept, so not shown", output.ToString(), StringComparison.Ordinal);
        Assert.False(tally.Passed);
    }

    [Fact]
    public void A_panic_input_that_chatters_is_shown_as_reported_never_suppressed_and_its_settling_is_shown_too()
    {
        // A panic button is never suppressed in service, but its chatter still fails the walk test: a damaged
        // cable behind a panic button is found now, not at the next false lockdown.
        var site = TestConfigs.Read(_ => { }).Config!.Site;
        using var output = new StringWriter();
        var printer = new WalkTestPrinter(site, new FakeTimeProvider(), output);
        var tally = new WalkTestTally(site);
        var panic = site.Points.First(p => p.Kind == Core.Site.PointKind.PanicButton);
        DomainEvent[] events =
        [
            new ChatterDetected(DateTimeOffset.UnixEpoch, panic.Id, panic.Kind, panic.Zone, 8, TimeSpan.FromSeconds(10), Suppressed: false),
            new ChatterRestored(DateTimeOffset.UnixEpoch, panic.Id, panic.Kind, panic.Zone, false, 9, TimeSpan.FromSeconds(30), WasSuppressed: false),
        ];
        foreach (var e in events)
        {
            tally.Supervision(e);
            printer.Supervision(e);
        }

        printer.Report(tally, WalkTestEnd.Stopped);

        var screen = output.ToString();
        Assert.Contains($"fault {panic.Id}: chatter, 8 changes within 10 s (fault.chatter): in service it would be reported, never suppressed", screen);
        Assert.Contains($"fault {panic.Id}: chatter settled after 9 changes, quiet for 30 s (fault.chatter-restored)", screen);
        Assert.Equal([panic], tally.Chattered);
        Assert.False(tally.Passed);
        Assert.Contains($"chatter during the test: {panic.Id}", screen);
    }
}
