using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Board;
using EdgeGuard.Hardware.Drivers.Supervision;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>
/// Disposing the loops is the stop: no edge may reach the action once it has returned, as with the expander
/// and native lines. A poll under way when it is called finishes its deliveries first.
/// </summary>
public sealed class EolDisposeTests
{
    private const int Normal = 470;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private static readonly EolThresholds DoubleEol = new(EolWiring.Double, 341, 599, 818);

    private static SupervisedLoop Loop(string id, int channel) =>
        new(new PointDefinition(id, PointKind.PanicButton, -1, true, LinePull.None, TimeSpan.Zero, "annex") { LineAddress = $"mcp3008@0.0:CH{channel}" },
            channel, new EolLoopClassifier(DoubleEol));

    [Fact]
    public async Task No_edge_of_a_poll_under_way_is_delivered_after_dispose_returned()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero));
        var lines = new EolLoopLines("mcp3008@0.0", _ => Normal, TimeSpan.FromHours(1), [Loop("p1", 0), Loop("p2", 1)], time, _ => { });
        var disposed = 0;
        var afterStop = new List<string>();
        using var delivering = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        lines.Start(edge =>
        {
            if (Volatile.Read(ref disposed) == 1)
            {
                afterStop.Add(edge.PointId);
            }

            if (!delivering.IsSet)
            {
                // The first of the poll's two edges: the action takes its time (decides inline, journals).
                delivering.Set();
                release.Wait(Bound);
            }
        });
        lines.Poll();
        var poll = Task.Run(lines.Poll); // both loops confirmed normal: two edges, the first one slow
        Assert.True(delivering.Wait(Bound), "the poll never delivered");

        var dispose = Task.Run(() =>
        {
            lines.Dispose();
            Volatile.Write(ref disposed, 1);
        });
        // Disposing returns at once without waiting for the poll (the bug), or waits for it: either way,
        // let the action go on after a moment.
        await Task.WhenAny(dispose, Task.Delay(TimeSpan.FromMilliseconds(300)));
        release.Set();
        await poll.WaitAsync(Bound);
        await dispose.WaitAsync(Bound);

        Assert.Empty(afterStop);
    }
}
