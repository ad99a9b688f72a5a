using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Mcp3008;
using EdgeGuard.Hardware.Drivers.Supervision;
using EdgeGuard.Hardware.Tests.Drivers;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// One double-EOL supervised loop, point "p" of a chosen kind on channel 0 of a fake MCP3008,
/// polled every 25 ms on a fake clock: what it reports and the edges it delivers are recorded.
/// </summary>
internal sealed class OneEolLoop
{
    public const int Normal = 470, Alarm = 700, Cut = 1000;
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));

    public FakeMcp3008 Adc { get; } = new();

    public List<DomainEvent> Reported { get; } = [];

    public List<RawEdge> Edges { get; } = [];

    /// <summary>The loop's lines (not started).</summary>
    public EolLoopLines Lines(PointKind kind)
    {
        var point = new PointDefinition("p", kind, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = "mcp3008@0.0:CH0" };
        return new EolLoopLines("mcp3008@0.0", new Mcp3008(Adc).Read, Poll,
            [new SupervisedLoop(point, 0, new EolLoopClassifier(DoubleEol))], Time, Reported.AddRange);
    }

    public void Polls(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Time.Advance(Poll);
        }
    }
}
