using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests;

/// <summary>
/// The native lines' resync: a level whose edge was lost (the action threw, the kernel dropped the event, the
/// event thread stopped) is re-read, delivered once and reported as a fault of its line, restored after a clean pass.
/// </summary>
public sealed partial class GpioInputResyncTests : IDisposable
{
    private const int DoorLine = 6;

    private static readonly PointDefinition Door =
        new("door-lobby", PointKind.DoorContact, DoorLine, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(25), "lobby");

    private static readonly PointDefinition Panic =
        new("panic-lobby", PointKind.PanicButton, 5, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(200), "lobby");

    private readonly SimulatedGpioDriver _driver = new();
    private readonly GpioController _controller;
    private readonly FakeTimeProvider _time = new();
    private readonly List<DomainEvent> _reported = [];
    private readonly List<RawEdge> _edges = [];

    public GpioInputResyncTests() => _controller = new GpioController(_driver);

    public void Dispose() => _controller.Dispose();

    private GpioInputLines Lines() => new(_controller, [Panic, Door], _time, _reported.AddRange);

    private void Pass() => _time.Advance(GpioInputLines.ResyncInterval);

    [Fact]
    public void An_edge_lost_to_a_throwing_action_is_delivered_by_the_next_pass_and_reported_once_then_restored()
    {
        using var lines = Lines();
        var calls = 0;
        lines.Start(edge =>
        {
            if (++calls == 1)
            {
                throw new InvalidOperationException("channel closed");
            }

            _edges.Add(edge);
        });

        _driver.SetInputLevel(DoorLine, high: true); // the door opens; its edge is lost in the action
        Assert.Empty(_edges);

        Pass();

        Assert.Equal([new RawEdge("door-lobby", High: true, _time.GetTimestamp())], _edges);
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Assert.Equal("gpio6", fault.Device);
        Assert.Equal("door-lobby: 1 edge lost: channel closed; level re-read (high)", fault.Reason);

        Pass();

        Assert.Equal("gpio6", Assert.IsType<HardwareFaultRestored>(_reported[1]).Device);
        Pass();
        Pass();
        Assert.Equal(2, _reported.Count);
        Assert.Single(_edges);
    }

    [Fact]
    public void A_silently_dropped_edge_is_delivered_once_two_passes_agree_and_is_reported()
    {
        using var lines = Lines();
        lines.Start(_edges.Add);

        _driver.SetInputLevelSilently(DoorLine, high: true); // the kernel dropped the event

        Pass();
        Assert.Empty(_edges); // could be an event still on its way: wait for the next pass to agree
        Assert.Empty(_reported);

        Pass();
        Assert.Equal([new RawEdge("door-lobby", High: true, _time.GetTimestamp())], _edges);
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Assert.Equal(("gpio6", "door-lobby: level high differed from the last edge delivered (an edge event was lost); re-read"), (fault.Device, fault.Reason));

        Pass();
        Assert.IsType<HardwareFaultRestored>(_reported[1]);

        // The next real edge is delivered as usual.
        _driver.SetInputLevel(DoorLine, high: false);
        Assert.Equal([true, false], _edges.Select(e => e.High));
    }

    [Fact]
    public void A_panic_press_whose_edge_was_dropped_is_delivered_by_the_first_pass_that_sees_it()
    {
        using var lines = Lines();
        lines.Start(_edges.Add);

        _driver.SetInputLevelSilently(Panic.Line, high: false); // pressed; the kernel dropped the event

        Pass();
        Assert.Equal([new RawEdge("panic-lobby", High: false, _time.GetTimestamp())], _edges);
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Assert.Equal("gpio5", fault.Device);
    }

    [Fact]
    public void When_nothing_differs_a_pass_delivers_and_reports_nothing()
    {
        using var lines = Lines();
        lines.Start(_edges.Add);

        _driver.SetInputLevel(DoorLine, high: true);
        Pass();
        _driver.SetInputLevel(5, high: false);
        _driver.SetInputLevel(5, high: true);
        for (var i = 0; i < 5; i++)
        {
            Pass();
        }

        Assert.Equal([("door-lobby", true), ("panic-lobby", false), ("panic-lobby", true)], _edges.Select(e => (e.PointId, e.High)));
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_late_event_of_a_change_the_resync_delivered_is_not_delivered_again()
    {
        using var lines = Lines();
        lines.Start(_edges.Add);

        _driver.HoldEvents(); // the event thread is late
        _driver.SetInputLevel(DoorLine, high: true);
        lines.Resync();
        _time.Advance(TimeSpan.FromMilliseconds(10));
        lines.Resync();
        var resyncedAt = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(10));
        _driver.ReleaseEvents(); // its Rising arrives after the resync delivered high

        Assert.Equal([new RawEdge("door-lobby", High: true, resyncedAt)], _edges);

        _driver.SetInputLevel(DoorLine, high: false);
        Assert.Equal([true, false], _edges.Select(e => e.High));
        Assert.True(_edges[1].Timestamp > _edges[0].Timestamp);
    }

    [Fact]
    public void An_event_that_arrives_before_the_confirming_pass_is_delivered_once_and_raises_no_fault()
    {
        using var lines = Lines();
        lines.Start(_edges.Add);

        _driver.HoldEvents();
        _driver.SetInputLevel(DoorLine, high: true);
        lines.Resync(); // reads high before the event arrives
        _driver.ReleaseEvents();
        lines.Resync();
        lines.Resync();

        Assert.Equal([true], _edges.Select(e => e.High));
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_line_that_keeps_losing_edges_is_one_fault_until_a_clean_pass()
    {
        using var lines = Lines();
        var failing = true;
        lines.Start(edge =>
        {
            if (failing)
            {
                throw new InvalidOperationException("queue full");
            }

            _edges.Add(edge);
        });

        var high = false;
        for (var i = 1; i <= 9; i++)
        {
            _driver.SetInputLevel(DoorLine, high = !high);
            if (i % 3 == 0)
            {
                Pass(); // the door ends open, closed, open: the resync tries to deliver after the first and last
            }
        }

        Assert.Equal("door-lobby: 3 edges lost: queue full; level re-read (high); delivering it failed: queue full", Assert.IsType<HardwareFault>(Assert.Single(_reported)).Reason);
        Assert.Equal(9 + 2, lines.CallbackFailures); // every edge, and every resync delivery that threw too

        failing = false;
        Pass(); // the resync now delivers the level the line has
        Assert.Equal([true], _edges.Select(e => e.High));
        Assert.Single(_reported);
        Pass();
        Assert.IsType<HardwareFaultRestored>(_reported[1]);
    }

    [Fact]
    public void No_pass_runs_before_start_or_after_dispose()
    {
        var lines = Lines();
        _driver.SetInputLevelSilently(DoorLine, high: true);
        lines.Resync();
        Pass();
        Pass();
        Assert.Empty(_reported);

        // Started with the door already open: that is its starting level, not a lost edge.
        lines.Start(_edges.Add);
        Pass();
        Pass();
        Assert.Empty(_edges);
        Assert.Empty(_reported);

        _driver.SetInputLevelSilently(DoorLine, high: false);
        Pass(); // a mismatch waiting for its confirming pass
        lines.Dispose();
        Pass();
        Pass();
        lines.Resync();

        Assert.Empty(_edges);
        Assert.Empty(_reported);
    }

    [Fact]
    public void A_line_that_cannot_be_read_is_a_fault_restored_once_it_reads_again()
    {
        using var lines = Lines();
        lines.Start(_edges.Add);
        // Closing the line under the resync makes its read throw, as a failed ioctl would.
        _controller.ClosePin(DoorLine);

        Pass();
        var fault = Assert.IsType<HardwareFault>(Assert.Single(_reported));
        Assert.StartsWith("door-lobby: the line could not be read: ", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(["door-lobby"], fault.Points); // unread until restored (an egress door's exit button: released)
        Pass();
        Assert.Single(_reported);

        _controller.OpenPin(DoorLine, PinMode.InputPullDown);
        Pass();
        Assert.IsType<HardwareFaultRestored>(_reported[1]);
        Assert.Empty(_edges);
    }

    [Fact]
    public void A_line_whose_boot_read_failed_has_its_level_delivered_by_the_first_pass_that_reads_it()
    {
        using var lines = Lines();
        lines.Start(_edges.Add); // the door read closed when edges started
        _controller.ClosePin(DoorLine);
        Assert.ThrowsAny<Exception>(() => lines.Read("door-lobby")); // the receiver takes the fail-safe level
        Pass();
        Assert.Empty(_edges); // still unreadable: nothing to deliver, and its fault is the reader's, not raised again
        Assert.Empty(_reported);

        _controller.OpenPin(DoorLine, PinMode.InputPullDown);
        Pass();

        // Delivered although it is the level read at start: what the receiver holds is not known here.
        Assert.Equal([new RawEdge("door-lobby", High: false, _time.GetTimestamp())], _edges);
        Assert.Equal("gpio6", Assert.IsType<HardwareFaultRestored>(Assert.Single(_reported)).Device);
        Pass();
        Pass();
        Assert.Single(_edges);
        Assert.Single(_reported);
    }

    [Fact]
    public void A_pass_between_a_failed_boot_read_and_its_successful_retry_restores_nothing()
    {
        using var lines = Lines();
        lines.Start(_edges.Add);
        _controller.ClosePin(DoorLine);
        Assert.ThrowsAny<Exception>(() => lines.Read("door-lobby")); // the controller reads once more at once
        _controller.OpenPin(DoorLine, PinMode.InputPullDown);
        Pass(); // the timer's pass comes between the two reads
        Assert.False(lines.Read("door-lobby")); // the retry reads: the controller raises no fault.hardware

        Pass();
        Pass();

        // No fault was raised for gpio6, so no restore may follow (the office pairs them).
        Assert.Empty(_reported);
        Assert.Empty(_edges);
    }

    [Fact]
    public void A_pass_between_a_failed_boot_read_and_its_failed_retry_restores_only_after_that()
    {
        using var lines = Lines();
        lines.Start(_edges.Add);
        _controller.ClosePin(DoorLine);
        Assert.ThrowsAny<Exception>(() => lines.Read("door-lobby"));
        Pass(); // between the two reads, the line still unreadable
        Assert.ThrowsAny<Exception>(() => lines.Read("door-lobby")); // the controller raises fault.hardware now
        Assert.Empty(_reported); // the reader's fault, not raised twice

        _controller.OpenPin(DoorLine, PinMode.InputPullDown);
        Pass();
        Pass();

        Assert.Equal("gpio6", Assert.IsType<HardwareFaultRestored>(Assert.Single(_reported)).Device);
        Assert.Equal([new RawEdge("door-lobby", High: false, _edges[0].Timestamp)], _edges);
    }

    [Fact]
    public void A_boot_read_that_succeeds_leaves_nothing_for_the_resync_to_deliver()
    {
        using var lines = Lines();
        lines.Start(_edges.Add);
        Assert.False(lines.Read("door-lobby"));
        Assert.False(lines.ReadBeforeOutputs("door-lobby"));

        Pass();
        Pass();

        Assert.Empty(_edges);
        Assert.Empty(_reported);
    }

    [Fact]
    public async Task Edges_and_resyncs_racing_deliver_each_level_once_in_order_and_end_at_the_wire()
    {
        var delivered = new List<bool>();
        var resynced = 0;
        using var lines = new GpioInputLines(_controller, [Door], _time, events => Interlocked.Add(ref resynced, events.Count(e => e is HardwareFault)));
        lines.Start(edge => delivered.Add(edge.High)); // one line: deliveries are serialised by its gate
        using var stop = new CancellationTokenSource();
        long passes = 0;
        var resyncs = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                lines.Resync();
                Interlocked.Increment(ref passes);
            }
        });

        var high = false;
        var random = new Random(17);
        for (var batch = 0; batch < 200; batch++)
        {
            // Every other batch, the event thread is late long enough for the resync to confirm and deliver.
            var late = batch % 2 == 0;
            if (late)
            {
                _driver.HoldEvents();
            }

            for (var i = random.Next(1, 4); i > 0; i--)
            {
                _driver.SetInputLevel(DoorLine, high = !high);
            }

            if (late)
            {
                var seen = Interlocked.Read(ref passes);
                Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref passes) >= seen + 3, TimeSpan.FromSeconds(10)));
                _driver.ReleaseEvents();
            }
        }

        await stop.CancelAsync();
        await resyncs;
        lines.Resync();
        lines.Resync();

        // The simulated driver loses no event: whatever the resync delivered, no level may come twice in a
        // row (the late event of a change the resync delivered is absorbed) and the last one is the wire's.
        Assert.True(resynced > 0, "the resync never delivered: the race was not exercised");
        for (var i = 1; i < delivered.Count; i++)
        {
            Assert.True(delivered[i] != delivered[i - 1], $"level {delivered[i]} delivered twice in a row at {i} of {delivered.Count}");
        }

        Assert.Equal(high, delivered[^1]);
        Assert.Equal(0, lines.CallbackFailures);
    }
}
