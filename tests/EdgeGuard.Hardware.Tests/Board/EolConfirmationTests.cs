using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// A loop read through the ADC changes state only after <see cref="EolLoopLines.ConfirmingSamples"/>
/// consecutive readings agree: one corrupt SPI sample of a fire loop must not latch the egress release
/// (nor raise a tamper, nor blind the point), while a real change costs one poll interval more.
/// Short presses and transients: <see cref="EolShortPressTests"/>.
/// </summary>
public sealed class EolConfirmationTests
{
    private const int Normal = 470, Alarm = 700, Cut = 1023, Bridged = 0;
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];
    private readonly List<RawEdge> _edges = [];

    private static PointDefinition Point(string id, PointKind kind) =>
        new(id, kind, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH0" };

    private EolLoopLines Lines(PointDefinition point, Func<int, int> read, TimeSpan? interval = null) =>
        new("mcp3008@0.0", read, interval ?? Poll, [new SupervisedLoop(point, 0, new EolLoopClassifier(DoubleEol))], _time, _reported.AddRange);

    [Fact]
    public void One_corrupt_sample_of_a_fire_loop_changes_nothing_whatever_band_it_falls_in()
    {
        int? reading = Normal;
        using var lines = Lines(Point("fire-annex", PointKind.FireAlarm), _ => reading ?? throw new HardwareException("null bit set"));
        lines.Start(_edges.Add);
        lines.Poll();
        lines.Poll();
        Assert.Equal([false], _edges.Select(e => e.High));

        // One bad sample in each band (alarm, cut, bridged, unreadable), each followed by good ones (a
        // bad sample every other poll is a loop whose readings do not settle: tested below).
        foreach (int? glitch in new int?[] { Alarm, Cut, Bridged, null })
        {
            reading = glitch;
            lines.Poll();
            reading = Normal;
            lines.Poll();
            lines.Poll();
        }

        Assert.Equal([false], _edges.Select(e => e.High));
        Assert.Empty(_reported);
    }

    [Theory]
    [InlineData(Alarm, Bridged)] // alarm and short alternate: both read active, neither confirms
    [InlineData(Alarm, Normal)] // half the samples say fire
    [InlineData(Cut, Alarm)]
    public void A_fire_loop_whose_readings_keep_changing_is_taken_as_unreadable_active_and_reported(int first, int second)
    {
        var poll = 0;
        var settled = true;
        using var lines = Lines(Point("fire-annex", PointKind.FireAlarm), _ => settled ? Normal : poll++ % 2 == 0 ? first : second);
        lines.Start(_edges.Add);
        lines.Poll();
        lines.Poll();
        Assert.Equal([false], _edges.Select(e => e.High));

        settled = false;
        for (var i = 0; i < 2 * EolLoopLines.MaxUnsettledPolls; i++)
        {
            lines.Poll();
        }

        // The fail-safe level (a fire input active, so egress is released) and why, once.
        Assert.Equal([false, true], _edges.Select(e => e.High));
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported, e => e is HardwareFault));
        Assert.Contains("'fire-annex' do not settle", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(["fire-annex"], fault.Points);

        // Settled again: the real level, and the fault restored.
        settled = true;
        lines.Poll();
        lines.Poll();
        Assert.Equal([false, true, false], _edges.Select(e => e.High));
        Assert.IsType<HardwareFaultRestored>(_reported[^1]);
    }

    [Fact]
    public void An_adc_failing_every_other_read_is_reported_and_its_loop_read_fail_safe()
    {
        var poll = 0;
        var failing = false;
        using var lines = Lines(Point("fire-annex", PointKind.FireAlarm), _ =>
            failing && poll++ % 2 == 0 ? throw new HardwareException("SPI transfer failed") : Normal);
        lines.Start(_edges.Add);
        lines.Poll();
        lines.Poll();

        failing = true;
        for (var i = 0; i < 2 * EolLoopLines.MaxUnsettledPolls; i++)
        {
            lines.Poll();
        }

        Assert.Equal([false, true], _edges.Select(e => e.High));
        Assert.Single(_reported, e => e is HardwareFault);
    }

    [Fact]
    public void Isolated_glitches_between_settled_readings_never_add_up_to_an_unsettled_loop()
    {
        var poll = 0;
        // Every third sample is corrupt, in a different band each time; two good ones in between.
        int[] glitches = [Alarm, Cut, Bridged];
        using var lines = Lines(Point("fire-annex", PointKind.FireAlarm), _ =>
        {
            var n = poll++;
            return n >= 2 && n % 3 == 2 ? glitches[n / 3 % glitches.Length] : Normal;
        });
        lines.Start(_edges.Add);
        for (var i = 0; i < 60; i++)
        {
            lines.Poll();
        }

        Assert.Equal([false], _edges.Select(e => e.High));
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_fire_loop_in_alarm_is_accepted_at_the_second_poll_one_interval_later()
    {
        var reading = Normal;
        using var lines = Lines(Point("fire-annex", PointKind.FireAlarm), _ => reading);
        lines.Start(_edges.Add);
        _time.Advance(Poll * 2);
        Assert.Equal([false], _edges.Select(e => e.High));

        reading = Alarm;
        _time.Advance(Poll);
        Assert.Equal([false], _edges.Select(e => e.High));
        _time.Advance(Poll);
        Assert.Equal([false, true], _edges.Select(e => e.High));

        // A cut loop too: one tamper event, after two readings, and the fire point reads active.
        reading = Cut;
        _time.Advance(Poll);
        Assert.Empty(_reported);
        _time.Advance(Poll);
        Assert.Equal(LoopTamper.Open, Assert.IsType<EolTamperDetected>(Assert.Single(_reported)).Condition);
    }

    [Fact]
    public void A_dead_adc_gives_the_fail_safe_level_after_two_failed_polls_not_one()
    {
        var dead = false;
        using var lines = Lines(Point("fire-annex", PointKind.FireAlarm), _ => dead ? throw new HardwareException("no answer") : Normal);
        lines.Start(_edges.Add);
        lines.Poll();
        lines.Poll();

        dead = true;
        lines.Poll();
        Assert.Equal([false], _edges.Select(e => e.High));
        Assert.Empty(_reported);
        lines.Poll();
        Assert.Equal([false, true], _edges.Select(e => e.High));
        Assert.Equal("fault.hardware", Assert.Single(_reported).Type);
    }

    [Fact]
    public void A_corrupt_sample_at_the_boot_read_does_not_make_a_fire_loop_read_active()
    {
        var samples = new Queue<int>([Alarm, Normal, Normal]);
        using var lines = Lines(Point("fire-annex", PointKind.FireAlarm), _ => samples.Count > 0 ? samples.Dequeue() : Normal);

        Assert.False(lines.Read("fire-annex"), "one corrupt boot sample latched the fire release");
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_boot_read_whose_samples_never_agree_reads_fail_safe_and_is_reported()
    {
        var next = 0;
        using var lines = Lines(Point("fire-annex", PointKind.FireAlarm), _ => next++ % 2 == 0 ? Alarm : Normal);

        Assert.True(lines.Read("fire-annex"), "a fire loop that cannot be trusted must read active");
        Assert.Contains("did not settle", Assert.IsType<HardwareFault>(Assert.Single(_reported)).Reason, StringComparison.Ordinal);
    }
}
