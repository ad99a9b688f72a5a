using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// The supervised loops follow the expander's rule: a loop's level counts as delivered only once the edge action
/// returned for it, so a fire loop's alarm the action threw on is delivered by the next poll, exactly once, and an
/// action that keeps throwing is one <c>fault.hardware</c> for the ADC.
/// </summary>
public sealed class EolEdgeDeliveryTests
{
    private const int Normal = 470, Alarm = 700, Open = 1000;
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);
    private static readonly PointDefinition Fire =
        new("fire-annex", PointKind.FireAlarm, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH0" };
    private static readonly PointDefinition Key =
        new("key-annex", PointKind.Keyswitch, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH0" };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];
    private readonly List<RawEdge> _edges = [];
    private int _reading = Normal;
    private int _throwsLeft;

    private EolLoopLines Started(PointDefinition? point = null)
    {
        var lines = new EolLoopLines("mcp3008@0.0", _ => _reading, TimeSpan.FromMilliseconds(50),
            [new SupervisedLoop(point ?? Fire, 0, new EolLoopClassifier(DoubleEol))], _time, _reported.AddRange);
        lines.Start(edge =>
        {
            if (_throwsLeft > 0)
            {
                _throwsLeft--;
                throw new InvalidOperationException("the edge receiver failed");
            }

            _edges.Add(edge);
        });
        for (var i = 0; i < EolLoopLines.ConfirmingSamples; i++)
        {
            lines.Poll();
        }

        Assert.Equal([_reading == Alarm], _edges.Select(e => e.High)); // the level at start
        return lines;
    }

    [Fact]
    public void A_fire_alarm_whose_action_threw_once_is_delivered_by_the_next_poll_exactly_once()
    {
        using var lines = Started();
        _reading = Alarm;
        _throwsLeft = 1;
        for (var i = 0; i < EolLoopLines.ConfirmingSamples; i++)
        {
            lines.Poll(); // the last one confirms the alarm, and the action throws on it
        }

        Assert.Equal(0, _throwsLeft);
        Assert.Equal([false], _edges.Select(e => e.High));

        lines.Poll();
        Assert.Equal([false, true], _edges.Select(e => e.High));
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Assert.Equal("mcp3008@0.0", fault.Device);
        Assert.Contains("the edge action failed 1 time", fault.Reason, StringComparison.Ordinal);
        Assert.Contains("the edge receiver failed", fault.Reason, StringComparison.Ordinal);

        lines.Poll();
        lines.Poll();
        Assert.Equal([false, true], _edges.Select(e => e.High));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
    }

    [Fact]
    public void An_action_that_keeps_throwing_is_one_fault_and_the_alarm_arrives_once_it_works()
    {
        using var lines = Started();
        _reading = Alarm;
        _throwsLeft = int.MaxValue;
        for (var i = 0; i < 20; i++)
        {
            lines.Poll();
        }

        Assert.Equal([false], _edges.Select(e => e.High));
        Assert.Single(_reported);

        _throwsLeft = 0;
        lines.Poll();
        lines.Poll();
        Assert.Equal([false, true], _edges.Select(e => e.High));
        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
    }

    [Fact]
    public void A_refused_fire_alarm_is_delivered_while_the_loop_heads_back_to_normal_unconfirmed()
    {
        using var lines = Started();
        _reading = Alarm;
        _throwsLeft = 1;
        lines.Poll();
        _time.Advance(TimeSpan.FromMilliseconds(10)); // short of the poll timer's 50 ms
        var alarmed = _time.GetTimestamp();
        lines.Poll(); // confirms the alarm; the action throws on it

        _reading = Normal; // the loop heads back before the next poll
        _time.Advance(TimeSpan.FromMilliseconds(10)); // short of the poll timer's 50 ms
        lines.Poll(); // normal, not yet confirmed: the kept alarm is delivered anyway, stamped when it was seen
        Assert.Equal([false, true], _edges.Select(e => e.High));
        Assert.Equal(alarmed, _edges[1].Timestamp);

        _time.Advance(TimeSpan.FromMilliseconds(10)); // short of the poll timer's 50 ms
        lines.Poll(); // normal confirmed: its own edge
        lines.Poll();
        Assert.Equal([false, true, false], _edges.Select(e => e.High));
    }

    [Fact]
    public void A_noisy_loop_and_an_action_that_keeps_throwing_are_one_standing_fault()
    {
        using var lines = Started();
        _throwsLeft = int.MaxValue;
        int[] noisy = [Alarm, Alarm, Normal, Normal, Alarm, Normal, Alarm, Alarm, Normal];
        for (var i = 0; i < 40; i++)
        {
            _reading = noisy[i % noisy.Length];
            lines.Poll();
        }

        Assert.Equal(["fault.hardware"], _reported.Select(e => e.Type)); // no restore while edges wait

        _throwsLeft = 0;
        _reading = Normal;
        for (var i = 0; i < 4; i++)
        {
            lines.Poll();
        }

        Assert.Equal(["fault.hardware", "fault.hardware-restored"], _reported.Select(e => e.Type));
        Assert.False(_edges[^1].High); // every kept change arrived, in order, ending at the real level
        Assert.All(_edges.Zip(_edges.Skip(1)), pair => Assert.NotEqual(pair.First.High, pair.Second.High));
    }

    [Fact]
    public void A_change_dropped_from_a_full_queue_is_counted_lost_once_not_at_every_poll_that_finds_it()
    {
        using var lines = Started();
        _throwsLeft = int.MaxValue;
        for (var change = 0; change < EolLoopLines.MaxRefusedEdges; change++)
        {
            _reading = change % 2 == 0 ? Alarm : Normal; // 64 confirmed changes fill the queue, ending normal
            for (var i = 0; i < EolLoopLines.ConfirmingSamples; i++)
            {
                lines.Poll();
            }
        }

        Assert.Equal(0, lines.LostDeliveries);
        _reading = Alarm; // one change more: dropped, the loop put back to normal
        for (var i = 0; i < EolLoopLines.ConfirmingSamples + 5; i++)
        {
            lines.Poll(); // the alarm held: every poll finds the same change again
        }

        Assert.Equal(1, lines.LostDeliveries);

        _throwsLeft = 0;
        lines.Poll();
        // The start level, the kept changes, then the held alarm: the receiver ends at the real level.
        Assert.Equal(1 + EolLoopLines.MaxRefusedEdges + 1, _edges.Count);
        Assert.True(_edges[^1].High);
    }

    [Fact]
    public void A_held_key_whose_tamper_level_was_refused_still_gets_it_and_is_then_only_recorded()
    {
        _reading = Alarm; // the key held at start
        using var lines = Started(Key);
        _reading = Open; // the loop cut: the fail-safe level (inactive) is delivered, and refused
        _throwsLeft = 1;
        lines.Poll();
        lines.Poll();
        Assert.Equal(0, _throwsLeft);

        _reading = Alarm; // repaired before any retry, the key still held
        for (var i = 0; i < 4; i++)
        {
            lines.Poll();
        }

        // The tamper's inactive level reaches the receiver; the held key is then recorded, not a fresh turn.
        Assert.Equal([true, false], _edges.Select(e => e.High));
    }
}
