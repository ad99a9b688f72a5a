using System.Device.Gpio;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Mcp23017;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Drivers;

/// <summary>The expander behind IInputLines/IOutputLines, with its INTA wired to line 17 of a simulated host chip.</summary>
public sealed class Mcp23017LinesTests : IDisposable
{
    private const int IntLine = 17;

    private static readonly ExpanderInput Panic = new("panic-annex", 0, LinePull.Up);       // A0
    private static readonly ExpanderInput Door = new("door-annex", 9, LinePull.None);       // B1
    private static readonly ExpanderOutput Lock = new("lock-annex", 4, InitialHigh: true);  // A4
    private static readonly ExpanderOutput Siren = new("siren-annex", 12, InitialHigh: false); // B4

    private readonly FakeMcp23017 _fake = new();
    private readonly SimulatedGpioDriver _host = new();
    private readonly GpioController _controller;
    private readonly FakeTimeProvider _time = new();
    private readonly List<RawEdge> _edges = [];
    private bool _wired = true;

    public Mcp23017LinesTests()
    {
        _controller = new GpioController(_host);
        _fake.SetPin(9, true); // the door contact's external pull-up holds B1 high at rest
        _fake.InterruptLevelChanged += level =>
        {
            if (_wired)
            {
                _host.SetInputLevel(IntLine, level);
            }
        };
    }

    public void Dispose() => _controller.Dispose();

    private Mcp23017Lines Open() =>
        new(_controller, IntLine, new Mcp23017(_fake), [Panic, Door], [Lock, Siren], _time);

    private Mcp23017Lines Started()
    {
        var lines = Open();
        lines.Start(_edges.Add);
        _fake.ClearTransactions();
        return lines;
    }

    [Fact]
    public void Opening_configures_inputs_outputs_and_unused_pins_and_opens_the_host_line_with_pull_up()
    {
        using var lines = Open();

        // Outputs A4 (initially high) and B4; interrupts on A0 and B1; pull-ups on A0 and every unused pin.
        Assert.Equal(
            ["W[0500]", "W[0A44]", "W[141000]", "W[020000]", "W[0CEFED]", "W[0600000000]", "W[00EFEF]", "W[040102]", "W[12] R[FFEF]"],
            _fake.Transactions.Select(t => t.ToString()));
        Assert.Equal(PinMode.InputPullUp, _host.ModeOf(IntLine));
        Assert.True(_fake.PinLevel(4));
        Assert.False(_fake.PinLevel(12));
    }

    [Fact]
    public void A_press_delivers_one_edge_from_one_burst_read_in_the_interrupt_callback()
    {
        using var lines = Started();
        _time.Advance(TimeSpan.FromSeconds(3));

        _fake.SetPin(0, false);

        Assert.Equal([new RawEdge("panic-annex", false, _time.GetTimestamp())], _edges);
        // INTFA = A0; INTCAP and GPIO: A0 low, A4 driven high, unused pins pulled up; B4 driven low.
        // INTFA = A0; INTCAPA and GPIO: A0 low, A4 driven high, unused pins pulled up; B4 driven low.
        Assert.Equal(["W[0E] R[0100FE00FEEF]"], _fake.Transactions.Select(t => t.ToString()));
        Assert.True(_fake.IntLevel);
        Assert.Equal(0, lines.CallbackFailures);
    }

    [Fact]
    public void A_press_released_before_the_read_delivers_both_edges_in_order()
    {
        using var lines = Started();
        _wired = false; // the host is busy: INT stays low while the button is pressed and released

        _fake.SetPin(0, false);
        _fake.SetPin(0, true);
        _wired = true;
        _host.SetInputLevel(IntLine, _fake.IntLevel);

        Assert.Equal([false, true], _edges.Select(e => e.High));
        Assert.All(_edges, e => Assert.Equal("panic-annex", e.PointId));
    }

    [Fact]
    public void Changes_on_both_ports_are_all_delivered_and_a_stale_capture_adds_nothing()
    {
        using var lines = Started();
        _wired = false;

        _fake.SetPin(9, false); // port B interrupts first and is captured
        _fake.SetPin(0, false); // port A interrupts too
        _wired = true;
        _host.SetInputLevel(IntLine, _fake.IntLevel);
        _fake.SetPin(9, true);  // only port B flags now; INTCAPA still holds the old capture

        Assert.Equal(
            [("panic-annex", false), ("door-annex", false), ("door-annex", true)],
            _edges.Select(e => (e.PointId, e.High)));
    }

    [Fact]
    public void Read_returns_the_pin_level_without_losing_the_edge_it_clears()
    {
        using var lines = Started();
        _wired = false;
        _fake.SetPin(9, false);

        Assert.False(lines.Read("door-annex"));
        Assert.True(lines.Read("panic-annex"));
        Assert.True(_fake.IntLevel); // reading GPIO cleared the interrupt

        _wired = true;
        _host.SetInputLevel(IntLine, false); // the falling edge the host did see
        Assert.Equal([("door-annex", false)], _edges.Select(e => (e.PointId, e.High)));
    }

    [Fact]
    public void A_failed_read_is_counted_and_Poll_recovers_the_stuck_interrupt()
    {
        using var lines = Started();
        _fake.FailNext = new IOException("Remote I/O error");

        _fake.SetPin(0, false);

        Assert.Empty(_edges);
        Assert.Equal(1, lines.CallbackFailures);
        Assert.IsType<HardwareException>(lines.LastCallbackFailure);
        Assert.False(_fake.IntLevel); // still asserted: no new falling edge will come

        Assert.True(lines.Poll());
        Assert.Equal([("panic-annex", false)], _edges.Select(e => (e.PointId, e.High)));
        Assert.False(lines.Poll());
    }

    [Fact]
    public void A_change_between_opening_and_Start_is_delivered_by_Start()
    {
        using var lines = Open();
        _fake.SetPin(0, false);

        lines.Start(_edges.Add);

        Assert.Equal([("panic-annex", false)], _edges.Select(e => (e.PointId, e.High)));
        Assert.True(_fake.IntLevel);
    }

    [Fact]
    public void Outputs_write_only_changes_to_their_ports_latch()
    {
        using var lines = Started();

        lines.Write("lock-annex", high: true);   // already high: nothing sent
        lines.Write("siren-annex", high: true);
        lines.Write("siren-annex", high: true);
        lines.Write("lock-annex", high: false);

        Assert.Equal(["W[1510]", "W[1400]"], _fake.Transactions.Select(t => t.ToString()));
        Assert.True(lines.ReadBack("siren-annex"));
        Assert.False(lines.ReadBack("lock-annex"));
        Assert.True(_fake.PinLevel(12));
        Assert.False(_fake.PinLevel(4));
    }

    [Fact]
    public void Dispose_closes_the_host_line_and_leaves_the_outputs_driven()
    {
        var lines = Started();
        lines.Write("siren-annex", high: true);

        lines.Dispose();

        Assert.False(_host.IsOpen(IntLine));
        Assert.True(_fake.PinLevel(12));
        Assert.True(_fake.PinLevel(4));
        Assert.Throws<ObjectDisposedException>(() => lines.Read("panic-annex"));
    }

    [Fact]
    public void A_pull_down_is_refused_because_the_chip_has_none()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new Mcp23017Lines(_controller, IntLine, new Mcp23017(_fake), [Panic with { Pull = LinePull.Down }], [], _time));

        Assert.StartsWith("mcp23017@0x20: point 'panic-annex' on A0 asks for a pull-down", ex.Message, StringComparison.Ordinal);
        Assert.Empty(_fake.Transactions);
    }

    [Fact]
    public void Two_uses_of_one_pin_are_refused_naming_both()
    {
        var ex = Assert.Throws<ArgumentException>(() =>
            new Mcp23017Lines(_controller, IntLine, new Mcp23017(_fake), [Panic], [Lock with { Pin = 0 }], _time));

        Assert.Equal("mcp23017@0x20: 'panic-annex' and 'lock-annex' both use A0.", ex.Message);
    }

    [Fact]
    public void A_host_line_already_in_use_fails_with_a_hardware_exception()
    {
        _controller.OpenPin(IntLine, PinMode.Input);

        var ex = Assert.Throws<HardwareException>(Open);

        Assert.Contains("mcp23017@0x20 INT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_host_line_another_process_holds_leaves_the_chip_configured_and_read_every_fast_poll()
    {
        _host.HoldElsewhere(IntLine, "gpiomon");

        using var lines = Open();

        Assert.True(_fake.PinLevel(4), "the chip was not configured");
        Assert.False(_host.IsOpen(IntLine));
        Assert.Equal(
            "its interrupt line (host GPIO 17) could not be requested as an input with pull-up: Line 17 is busy: it is requested by 'gpiomon' (EBUSY); "
            + "supervision reads the chip every 25 ms instead, and requests the line again at every supervision sweep",
            lines.InterruptLineFault);
        lines.Start(_edges.Add);
        _fake.SetPin(0, false);
        Assert.Empty(_edges);
        _time.Advance(Mcp23017Lines.FastPollInterval);
        Assert.Equal([("panic-annex", false)], _edges.Select(e => (e.PointId, e.High)));
        lines.Write("siren-annex", high: true);
        Assert.True(_fake.PinLevel(12));
    }

    [Fact]
    public void A_host_line_let_go_of_is_requested_by_the_next_sweep_announces_changes_and_is_closed_at_dispose()
    {
        _host.HoldElsewhere(IntLine, "gpiomon");
        var lines = Started();
        lines.Sweep();
        Assert.NotNull(lines.InterruptLineFault);

        _host.ReleaseElsewhere(IntLine);
        lines.Sweep();

        AssertListening(lines);
        _fake.ClearTransactions();
        _time.Advance(Mcp23017Lines.FastPollInterval * 4);
        Assert.Empty(_fake.Transactions); // the fast poll stopped with the fault
        lines.Dispose();
        Assert.False(_host.IsOpen(IntLine));
    }

    [Fact]
    public void A_host_line_refused_when_its_mode_is_set_is_closed_again_and_requested_by_a_later_sweep()
    {
        // libgpiod v1 refuses only at SetPinMode, after GpioController has counted the pin open.
        _host.HoldElsewhere(IntLine, "gpiomon", refusedAtMode: true);
        var lines = Started();

        Assert.Contains("requested by 'gpiomon' (EBUSY)", lines.InterruptLineFault, StringComparison.Ordinal);
        Assert.False(_controller.IsPinOpen(IntLine), "the half-opened line was left counted open");
        Assert.False(_host.IsOpen(IntLine), "the half-opened line was left open in the driver");
        lines.Sweep();
        Assert.False(_controller.IsPinOpen(IntLine));

        _host.ReleaseElsewhere(IntLine);
        lines.Sweep();

        AssertListening(lines);
        lines.Dispose();
        Assert.False(_host.IsOpen(IntLine));
    }

    // The line got at last: held with pull-up, listened to once, and a pin change arrives by it.
    private void AssertListening(Mcp23017Lines lines)
    {
        Assert.Null(lines.InterruptLineFault);
        Assert.Equal(PinMode.InputPullUp, _host.ModeOf(IntLine));
        Assert.Equal(1, _host.CallbackCount(IntLine));
        _fake.SetPin(0, false);
        Assert.Equal([("panic-annex", false)], _edges.Select(e => (e.PointId, e.High)));
    }

    [Fact]
    public void A_chip_with_outputs_only_never_requests_its_host_line_nor_polls_so_a_held_line_is_no_fault()
    {
        _host.HoldElsewhere(IntLine, "gpiomon");
        using var held = new Mcp23017Lines(_controller, IntLine, new Mcp23017(_fake), [], [Lock, Siren], _time);

        Assert.Null(held.InterruptLineFault);
        Assert.True(_fake.PinLevel(4), "the chip was not configured");
        _fake.ClearTransactions();
        _time.Advance(Mcp23017Lines.FastPollInterval * 4);
        Assert.Empty(_fake.Transactions); // no fast poll for a line it has no use for
        held.Sweep();
        Assert.Null(held.InterruptLineFault);
        held.Write("siren-annex", high: true);
        Assert.True(_fake.PinLevel(12));

        // Free, the line is not requested either: nothing on the chip interrupts.
        _host.ReleaseElsewhere(IntLine);
        using var free = new Mcp23017Lines(_controller, IntLine, new Mcp23017(_fake), [], [Lock, Siren], _time);
        free.Sweep();
        Assert.False(_host.IsOpen(IntLine));
        Assert.Null(free.InterruptLineFault);
    }

    [Fact]
    public void A_fast_poll_tick_that_raced_dispose_reads_and_delivers_nothing_after_the_stop()
    {
        _host.HoldElsewhere(IntLine, "gpiomon"); // read by the fast poll
        var lines = Open();
        using var inside = new ManualResetEventSlim();
        using var go = new ManualResetEventSlim();
        var edges = new List<RawEdge>();
        lines.Start(edge =>
        {
            edges.Add(edge);
            if (edges.Count == 1)
            {
                // Holding the lines' lock (edges are delivered under it): the tick waits for it, past its
                // own _disposed check, and gets it only after Dispose below.
                inside.Set();
                go.Wait(TimeSpan.FromSeconds(10));
                lines.Dispose();
            }
        });
        _fake.SetPin(0, false);
        var deliverer = new Thread(lines.DeliverChanges) { IsBackground = true };
        deliverer.Start();
        Assert.True(inside.Wait(TimeSpan.FromSeconds(10)));

        _fake.SetPin(0, true); // a change the raced tick would otherwise read and deliver after the stop
        var ticker = new Thread(() => _time.Advance(Mcp23017Lines.FastPollInterval)) { IsBackground = true };
        ticker.Start();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((ticker.ThreadState & ThreadState.WaitSleepJoin) == 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            Thread.Sleep(1);
        }

        Assert.True((ticker.ThreadState & ThreadState.WaitSleepJoin) != 0, "the tick never waited for the lock");
        _fake.ClearTransactions();
        go.Set();
        Assert.True(deliverer.Join(TimeSpan.FromSeconds(10)));
        Assert.True(ticker.Join(TimeSpan.FromSeconds(10)));

        Assert.Equal([false], edges.Select(e => e.High));
        Assert.Empty(_fake.Transactions); // the chip is not read after the stop
    }

    [Fact]
    public void Unknown_ids_are_named()
    {
        using var lines = Open();

        Assert.Equal("Point 'door-lobby' is not on mcp23017@0x20.", Assert.Throws<KeyNotFoundException>(() => lines.Read("door-lobby")).Message);
        Assert.Equal("Output 'lock-lobby' is not on mcp23017@0x20.", Assert.Throws<KeyNotFoundException>(() => lines.Write("lock-lobby", true)).Message);
    }
}
