using System.Device.Gpio;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Drivers.Mcp23017;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests.Drivers;

/// <summary>
/// INT still asserted after the interrupt callback's four passes (a pin that keeps changing): the chip latches
/// nothing new and no new falling edge comes, so the expander must read it again within milliseconds.
/// </summary>
public sealed class Mcp23017LinesReserviceTests : IDisposable
{
    private const int IntLine = 17;

    private static readonly ExpanderInput Panic = new("panic-annex", 0, LinePull.Up);         // A0
    private static readonly ExpanderInput Vibration = new("vibration-annex", 2, LinePull.Up); // A2, same port

    private readonly FakeMcp23017 _fake = new();
    private readonly SimulatedGpioDriver _host = new();
    private readonly GpioController _controller;
    private readonly FakeTimeProvider _time = new();
    private readonly List<RawEdge> _edges = [];
    private int _chatter;
    private bool _wired = true;

    public Mcp23017LinesReserviceTests()
    {
        _controller = new GpioController(_host);
        _host.SetInputLevel(IntLine, true);
        _fake.InterruptLevelChanged += level =>
        {
            // A chattering pin: each read releases INT and the pin has already changed again, so INT is asserted
            // anew before the host sees it high (no new falling edge; the host line just stays low).
            if (level && _chatter > 0)
            {
                _chatter--;
                _fake.SetPin(Vibration.Pin, !_fake.PinLevel(Vibration.Pin));
            }

            if (_wired)
            {
                _host.SetInputLevel(IntLine, _fake.IntLevel);
            }
        };
    }

    public void Dispose() => _controller.Dispose();

    private Mcp23017Lines Started()
    {
        var lines = new Mcp23017Lines(_controller, IntLine, new Mcp23017(_fake), [Panic, Vibration], [], _time);
        lines.Start(_edges.Add);
        _fake.ClearTransactions();
        return lines;
    }

    [Fact]
    public void A_short_press_while_a_chattering_pin_holds_INT_past_the_callbacks_passes_is_delivered_within_milliseconds()
    {
        using var lines = Started();
        _chatter = 4; // one change per service pass: the callback runs out of passes with INT still asserted
        _fake.SetPin(Vibration.Pin, false);
        Assert.Equal(4, _fake.Transactions.Count);
        Assert.False(_fake.IntLevel, "still asserted after the fourth pass");
        Assert.Equal(PinValue.Low, _controller.Read(IntLine));

        // Port A already flagged: the chip latches nothing for the press, and INT does not move.
        _fake.SetPin(Panic.Pin, false);
        var pressed = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(10));
        _fake.SetPin(Panic.Pin, true); // released 10 ms later: a new falling edge only if the chip was read meanwhile

        var panic = _edges.Where(e => e.PointId == Panic.PointId).ToList();
        Assert.Equal([false, true], panic.Select(e => e.High));
        Assert.InRange(_time.GetElapsedTime(pressed, panic[0].Timestamp), TimeSpan.Zero, TimeSpan.FromMilliseconds(10));
        Assert.True(_fake.IntLevel);
        Assert.Equal(0, lines.CallbackFailures);
    }

    [Fact]
    public void A_pin_that_keeps_chattering_is_read_again_until_it_settles_and_its_last_level_is_delivered()
    {
        using var lines = Started();
        _chatter = 11; // outlasts the first service and the first re-service
        _fake.SetPin(Vibration.Pin, false);

        _time.Advance(TimeSpan.FromMilliseconds(10));
        _time.Advance(TimeSpan.FromMilliseconds(10));
        _time.Advance(TimeSpan.FromMilliseconds(10));

        Assert.True(_fake.IntLevel, "settled and released");
        Assert.Equal(_fake.PinLevel(Vibration.Pin), _edges[^1].High);
        Assert.Equal(12, _edges.Count); // the first change and each of the eleven that followed
    }

    [Fact]
    public void A_host_line_held_low_with_nothing_pending_is_not_re_serviced_in_a_loop()
    {
        using var lines = Started();
        _wired = false;

        _host.SetInputLevel(IntLine, false); // INTA shorted to ground: a falling edge with nothing behind it
        _time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(4, _fake.Transactions.Count); // the callback's passes, then nothing: supervision judges the line
        Assert.Empty(_edges);
    }
}
