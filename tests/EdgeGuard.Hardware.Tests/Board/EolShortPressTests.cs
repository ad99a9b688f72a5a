using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// A short press of a panic button (or pulse of a fire input) on a supervised loop needs
/// <see cref="EolLoopLines.ConfirmingSamples"/> agreeing polls, and the longest allowed poll interval
/// leaves <see cref="EolLoopLines.PollsPerShortestPress"/> polls in every press, so one poll skipped
/// (the one before it still delivering) or late does not lose the alarm. A single corrupt sample, and a
/// transient that a poll sees however often it reads within that instant, are not reported. The boot
/// read's level is what later polls compare with, so a stab only the boot read caught is put right.
/// </summary>
public sealed class EolShortPressTests
{
    private const int Normal = 470, Alarm = 700;
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);

    // The polls below are called by the test on the schedule it models; the timer never fires.
    private static readonly TimeSpan NoTimer = TimeSpan.FromHours(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];
    private readonly List<RawEdge> _edges = [];

    private static PointDefinition Point(PointKind kind) =>
        new("p", kind, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH0" };

    private EolLoopLines Lines(PointKind kind, Func<int, int> read) =>
        new("mcp3008@0.0", read, NoTimer, [new SupervisedLoop(Point(kind), 0, new EolLoopClassifier(DoubleEol))],
            _time, _reported.AddRange);

    [Fact]
    public async Task A_shortest_press_with_a_poll_inside_it_skipped_is_still_reported_by_the_two_left()
    {
        var interval = EolLoopLines.MaxLifeSafetyPollInterval;
        var t0 = _time.GetUtcNow();
        var press = (Start: t0 + (interval * 1.2), End: t0 + (interval * 1.2) + EolLoopLines.ShortestPress);
        var reads = new List<TimeSpan>();
        using var lines = Lines(PointKind.PanicButton, _ =>
        {
            var now = _time.GetUtcNow();
            lock (reads)
            {
                reads.Add(now - t0);
            }

            return now >= press.Start && now < press.End ? Alarm : Normal;
        });

        // The poll due at 1 x interval is still delivering (an idle controller decides, journals and
        // publishes inline) when the one due at 2 x interval comes.
        using var delivering = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        lines.Start(edge =>
        {
            lock (_edges)
            {
                _edges.Add(edge);
            }

            if (_edges.Count == 1)
            {
                delivering.Set();
                release.Wait();
            }
        });
        lines.Poll();                                   // 0: normal, seen once
        _time.Advance(interval);
        var slow = Task.Run(lines.Poll);                // 1: normal confirmed; its delivery takes long
        Assert.True(delivering.Wait(TimeSpan.FromSeconds(10)), "the first poll never delivered");
        _time.Advance(interval);
        lines.Poll();                                   // 2: the press is on; skipped, 1 still delivers
        release.Set();
        await slow.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(interval * 2, reads);     // poll 2 really was skipped: it read nothing
        for (var n = 3; n <= 6; n++)
        {
            _time.Advance(interval);
            lines.Poll();                               // 3, 4: the press, confirmed; 5, 6: released
        }

        Assert.Equal([false, true, false], _edges.Select(e => e.High));
        Assert.Empty(_reported);
    }

    [Theory]
    [InlineData(PointKind.PanicButton)]
    [InlineData(PointKind.FireAlarm)]
    public void A_spike_in_one_poll_is_not_reported_and_that_poll_read_the_loop_once(PointKind kind)
    {
        var spikeAt = -1;
        var reads = 0;
        using var lines = Lines(kind, _ => reads++ == spikeAt ? Alarm : Normal);
        lines.Start(_edges.Add);
        lines.Poll();
        lines.Poll();
        Assert.Equal([false], _edges.Select(e => e.High));

        for (var i = 0; i < 10; i++)
        {
            spikeAt = reads; // the sample of this poll is corrupt, the next poll's is not
            var before = reads;
            lines.Poll();
            Assert.Equal(before + 1, reads); // no resample: the next poll is the confirmation
            lines.Poll();
            lines.Poll();
        }

        Assert.Equal([false], _edges.Select(e => e.High));
        Assert.Empty(_reported);
    }

    [Theory]
    [InlineData(PointKind.PanicButton)]
    [InlineData(PointKind.FireAlarm)]
    public void A_transient_that_reads_alarm_on_back_to_back_reads_inside_one_poll_is_not_reported(PointKind kind)
    {
        // A lock solenoid switching on a cable run alongside the loop: for a millisecond every read, however
        // many a poll takes back to back, is in the alarm band. The next poll, an interval later, is not.
        var interval = EolLoopLines.MaxLifeSafetyPollInterval;
        var spike = (Start: DateTimeOffset.MaxValue, End: DateTimeOffset.MaxValue);
        var inSpike = 0;
        using var lines = Lines(kind, _ =>
        {
            var now = _time.GetUtcNow();
            var alarm = now >= spike.Start && now < spike.End;
            inSpike += alarm ? 1 : 0;
            return alarm ? Alarm : Normal;
        });
        lines.Start(_edges.Add);
        lines.Poll();
        _time.Advance(interval);
        lines.Poll();
        Assert.Equal([false], _edges.Select(e => e.High));

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(interval);
            spike = (_time.GetUtcNow(), _time.GetUtcNow() + TimeSpan.FromMilliseconds(1));
            lines.Poll();
            for (var n = 0; n < 3; n++)
            {
                _time.Advance(interval);
                lines.Poll();
            }
        }

        Assert.Equal(5, inSpike); // each spike was read, once, by the poll it hit
        Assert.Equal([false], _edges.Select(e => e.High));
        Assert.Empty(_reported);
    }

    [Theory]
    [InlineData(PointKind.PanicButton)]
    [InlineData(PointKind.FireAlarm)]
    public void A_shortest_press_is_seen_at_every_phase_of_the_longest_allowed_poll_with_any_one_poll_skipped(PointKind kind)
    {
        var interval = EolLoopLines.MaxLifeSafetyPollInterval;
        Assert.Equal(TimeSpan.FromMilliseconds(33), interval);
        for (var phase = 0; phase < interval.TotalMilliseconds; phase++)
        {
            Assert.True(SeesPress(kind, interval, phase, skip: null), $"a press starting {phase} ms into a poll was missed");
            for (var skip = 0; skip < 10; skip++)
            {
                Assert.True(SeesPress(kind, interval, phase, skip), $"a press starting {phase} ms into a poll was missed with poll {skip} skipped");
            }
        }

        // One millisecond more and some phase leaves the press two polls only, one of which lost loses
        // it: the bound is the margin of one poll, not arbitrary.
        var slower = interval + TimeSpan.FromMilliseconds(1);
        Assert.Contains(Enumerable.Range(0, (int)slower.TotalMilliseconds),
            phase => Enumerable.Range(0, 10).Any(skip => !SeesPress(kind, slower, phase, skip)));
    }

    [Fact]
    public void A_stab_only_the_boot_read_caught_is_restored_by_the_next_polls()
    {
        var samples = new Queue<int>();
        using var lines = Lines(PointKind.PanicButton, _ => samples.Count > 0 ? samples.Dequeue() : Normal);
        lines.Start(_edges.Add);
        lines.Poll();
        lines.Poll();
        Assert.Equal([false], _edges.Select(e => e.High)); // the inputs settle: normal, delivered

        // A stab during the boot read: its back-to-back samples agree on alarm, and the receiver holds
        // the panic as active from this read.
        samples.Enqueue(Alarm);
        samples.Enqueue(Alarm);
        Assert.True(lines.Read("p"));

        // Back to normal: the next polls deliver the release, or the panic stays held for good.
        lines.Poll();
        lines.Poll();
        Assert.Equal([false, false], _edges.Select(e => e.High));
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_boot_read_agreeing_with_the_polls_delivers_nothing_more()
    {
        using var lines = Lines(PointKind.PanicButton, _ => Normal);
        lines.Start(_edges.Add);
        lines.Poll();
        lines.Poll();

        Assert.False(lines.Read("p"));
        lines.Poll();
        lines.Poll();
        Assert.Equal([false], _edges.Select(e => e.High));
    }

    /// <summary>
    /// Whether a press of <see cref="EolLoopLines.ShortestPress"/> starting <paramref name="phase"/> ms
    /// after a poll is delivered, by polls every <paramref name="interval"/> with the one numbered
    /// <paramref name="skip"/> (0 is the first) not run.
    /// </summary>
    private static bool SeesPress(PointKind kind, TimeSpan interval, int phase, int? skip)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var start = time.GetUtcNow() + (interval * 2) + TimeSpan.FromMilliseconds(phase);
        var end = start + EolLoopLines.ShortestPress;
        var edges = new List<RawEdge>();
        using var lines = new EolLoopLines("mcp3008@0.0", _ => time.GetUtcNow() >= start && time.GetUtcNow() < end ? Alarm : Normal,
            NoTimer, [new SupervisedLoop(Point(kind), 0, new EolLoopClassifier(DoubleEol))], time, _ => { });
        lines.Start(edges.Add);
        for (var n = 0; n < 10; n++)
        {
            if (n != skip)
            {
                lines.Poll();
            }

            time.Advance(interval);
        }

        return edges.Any(e => e.High);
    }
}
