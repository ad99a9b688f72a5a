using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// A loop that sits near a band edge reads a short press as two states: a panic loop near alarmMax reads
/// alarm, open, alarm. Both read active for a panic or fire point, so two polls in a row agreeing on the
/// level deliver it, though no state repeated; the tamper of such a press still needs two polls of its own.
/// </summary>
public sealed class EolBandEdgePressTests
{
    // Alarm and cut either side of alarmMax (818): a loop whose alarm resistance reads near its top.
    private const int Normal = 470, Alarm = 815, Cut = 822, Bridged = 0;
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);

    // The polls below are called by the test; the timer never fires.
    private static readonly TimeSpan NoTimer = TimeSpan.FromHours(1);

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];
    private readonly List<RawEdge> _edges = [];

    private EolLoopLines Lines(PointKind kind, Queue<int> readings)
    {
        var point = new PointDefinition("p", kind, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH0" };
        return new EolLoopLines("mcp3008@0.0", _ => readings.Count > 0 ? readings.Dequeue() : Normal, NoTimer,
            [new SupervisedLoop(point, 0, new EolLoopClassifier(DoubleEol))], _time, _reported.AddRange);
    }

    /// <summary>Polls <paramref name="count"/> times, <see cref="EolLoopLines.MaxLifeSafetyPollInterval"/> apart.</summary>
    private static void Polls(EolLoopLines lines, FakeTimeProvider time, int count)
    {
        for (var i = 0; i < count; i++)
        {
            lines.Poll();
            time.Advance(EolLoopLines.MaxLifeSafetyPollInterval);
        }
    }

    [Theory]
    [InlineData(PointKind.PanicButton, new[] { Alarm, Cut, Alarm })]
    [InlineData(PointKind.PanicButton, new[] { Cut, Alarm, Cut })]
    [InlineData(PointKind.PanicButton, new[] { Alarm, Bridged, Alarm })]
    [InlineData(PointKind.FireAlarm, new[] { Alarm, Cut, Alarm })]
    [InlineData(PointKind.FireAlarm, new[] { Cut, Alarm, Cut })]
    public void A_shortest_press_read_in_two_bands_that_both_read_active_is_delivered_without_a_tamper(PointKind kind, int[] press)
    {
        // 100 ms at 33 ms: three polls in the press, no state in two of them in a row, then the release.
        var readings = new Queue<int>([Normal, Normal, .. press, Normal, Normal, Normal]);
        using var lines = Lines(kind, readings);
        lines.Start(_edges.Add);
        Polls(lines, _time, 8);

        Assert.Equal([false, true, false], _edges.Select(e => e.High));
        // One cut reading is no cut loop, and the press settled its level: no tamper, no unsettled fault.
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_press_confirmed_by_its_level_is_not_released_by_one_normal_sample()
    {
        var readings = new Queue<int>([Normal, Normal, Alarm, Cut, Normal, Alarm, Alarm, Alarm]);
        using var lines = Lines(PointKind.PanicButton, readings);
        lines.Start(_edges.Add);
        Polls(lines, _time, 8);

        // The release needs two polls in a row, as every change of state does.
        Assert.Equal([false, true], _edges.Select(e => e.High));
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_loop_cut_during_a_press_raises_its_tamper_only_once_two_polls_read_it_cut()
    {
        var readings = new Queue<int>([Normal, Normal, Alarm, Cut, Alarm, Cut, Cut, Cut]);
        using var lines = Lines(PointKind.PanicButton, readings);
        lines.Start(_edges.Add);
        Polls(lines, _time, 6);
        Assert.Equal([false, true], _edges.Select(e => e.High));
        Assert.Empty(_reported);

        Polls(lines, _time, 2);
        Assert.Equal(LoopTamper.Open, Assert.IsType<EolTamperDetected>(Assert.Single(_reported)).Condition);
        Assert.Equal([false, true], _edges.Select(e => e.High));
    }

    [Fact]
    public void A_held_keyswitch_is_not_released_by_a_normal_and_a_cut_reading_it_still_confirms_state_by_state()
    {
        // A keyswitch reads inactive when cut (a cut must never clear a lockdown): normal and cut agree on
        // inactive, but a level-only release followed by the key read turned again would be a fresh turn.
        var readings = new Queue<int>([Normal, Normal, Alarm, Alarm, Normal, Cut, Alarm, Alarm]);
        using var lines = Lines(PointKind.Keyswitch, readings);
        lines.Start(_edges.Add);
        Polls(lines, _time, 8);

        Assert.Equal([false, true], _edges.Select(e => e.High));
        Assert.Empty(_reported);
    }
}
