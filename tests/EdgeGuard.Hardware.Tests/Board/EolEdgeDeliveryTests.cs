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
    private const int Normal = 470, Alarm = 700;
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);
    private static readonly PointDefinition Fire =
        new("fire-annex", PointKind.FireAlarm, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH0" };

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<DomainEvent> _reported = [];
    private readonly List<RawEdge> _edges = [];
    private int _reading = Normal;
    private int _throwsLeft;

    private EolLoopLines Started()
    {
        var lines = new EolLoopLines("mcp3008@0.0", _ => _reading, TimeSpan.FromMilliseconds(50),
            [new SupervisedLoop(Fire, 0, new EolLoopClassifier(DoubleEol))], _time, _reported.AddRange);
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

        Assert.Equal([false], _edges.Select(e => e.High)); // at rest
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
}
