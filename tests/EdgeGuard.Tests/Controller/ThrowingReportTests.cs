using EdgeGuard.Core;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A report that throws after its decision was taken (an event sink, or a logger provider, which
/// Microsoft.Extensions.Logging rethrows from). Out of the loop's message, it ended the loop: the
/// site decided nothing more. Out of an edge decided on its GPIO thread, it reached the input
/// lines, which took the decided edge as refused: counted lost, and the line set back to the level
/// delivered before, as if the decider had not seen it.
/// </summary>
public sealed class ThrowingReportTests : IAsyncDisposable
{
    private static readonly SiteDefinition Site = new(
        "site-r", "gw-r",
        [new("a", "A")],
        [
            new("door", PointKind.DoorContact, 1, ActiveHigh: true, LinePull.Up, TimeSpan.Zero, "a"),
            new("panic", PointKind.PanicButton, 2, ActiveHigh: false, LinePull.Up, TimeSpan.Zero, "a"),
        ],
        [new("lock", OutputKind.Lock, 10, ActiveHigh: true, "a", LockFailMode.FailSafe, Egress: true)],
        new LockdownPolicy([], TimeSpan.FromMinutes(10), []));

    private readonly ThrowingSink _sink = new();
    private readonly ControllerHarness _h;
    private GpioInputLines? _lines;

    public ThrowingReportTests() =>
        _h = new ControllerHarness(Site, _ => new GatedStore(), _sink, openInputs: (gpio, time) => _lines = new GpioInputLines(gpio, Site.Points, time));

    [Fact]
    public async Task A_report_that_throws_on_the_loop_leaves_the_loop_deciding()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _sink.ThrowOnceFor = e => e is LockdownStarted;

        // A lockdown is saved first, so it is decided and reported on the loop.
        _h.Set("panic", true);
        await _h.SettleAsync(saved: true);
        _h.Set("door", true);
        await _h.SettleAsync();

        Assert.Equal(1, _sink.Thrown);
        Assert.Equal(SiteMode.Lockdown, _h.Controller.Current!.Mode);
        Assert.True(_h.Controller.Current.IsActive("door"), "nothing was decided after the report threw");
        Assert.Single(_h.Events.Events, e => e is PointActivated { PointId: "door" });
    }

    [Fact]
    public async Task A_report_that_throws_on_the_gpio_thread_does_not_reach_the_input_lines()
    {
        await _h.BootAsync();
        await _h.SettleAsync();
        _sink.ThrowOnceFor = e => e is PointActivated { PointId: "door" };

        // A door opening changes nothing to save: decided on the GPIO thread that saw it.
        _h.Set("door", true);
        await _h.SettleAsync();
        _h.Set("door", false);
        await _h.SettleAsync();

        Assert.Equal(1, _sink.Thrown);
        Assert.Equal(0, _lines!.CallbackFailures);
        Assert.False(_h.Controller.Current!.IsActive("door"), "the door's closing was lost");
        Assert.Single(_h.Events.Events, e => e is PointActivated { PointId: "door" });
        Assert.Single(_h.Events.Events, e => e is PointRestored { PointId: "door" });
    }

    public ValueTask DisposeAsync() => _h.DisposeAsync();

    private sealed class ThrowingSink : IEventSink
    {
        private int _thrown;

        public Func<DomainEvent, bool>? ThrowOnceFor { get; set; }

        public int Thrown => Volatile.Read(ref _thrown);

        public void Publish(IReadOnlyList<DomainEvent> events)
        {
            if (ThrowOnceFor is { } throws && events.Any(throws) && Interlocked.CompareExchange(ref _thrown, 1, 0) == 0)
            {
                throw new InvalidOperationException("the sink failed");
            }
        }
    }
}
