using System.Device.Gpio;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware.Simulation;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Hardware.Tests;

public sealed partial class GpioInputLinesTests : IDisposable
{
    private static readonly PointDefinition Panic =
        new("panic-lobby", PointKind.PanicButton, 5, ActiveHigh: false, LinePull.Up, TimeSpan.FromMilliseconds(200), "lobby");

    private static readonly PointDefinition Door =
        new("door-lobby", PointKind.DoorContact, 6, ActiveHigh: true, LinePull.Down, TimeSpan.FromMilliseconds(25), "lobby");

    private static readonly PointDefinition Beam =
        new("beam-north", PointKind.Perimeter, 7, ActiveHigh: true, LinePull.None, TimeSpan.FromMilliseconds(25), "perimeter");

    private readonly SimulatedGpioDriver _driver = new();
    private readonly GpioController _controller;
    private readonly FakeTimeProvider _time = new();

    public GpioInputLinesTests() => _controller = new GpioController(_driver);

    public void Dispose() => _controller.Dispose();

    [Fact]
    public void Lines_open_with_the_mode_of_their_pull()
    {
        using var inputs = new GpioInputLines(_controller, [Panic, Door, Beam], _time);

        Assert.Equal(PinMode.InputPullUp, _driver.ModeOf(5));
        Assert.Equal(PinMode.InputPullDown, _driver.ModeOf(6));
        Assert.Equal(PinMode.Input, _driver.ModeOf(7));
    }

    [Fact]
    public void A_pulled_up_line_reads_high_until_something_pulls_it_low()
    {
        using var inputs = new GpioInputLines(_controller, [Panic, Door], _time);

        Assert.True(inputs.Read("panic-lobby"));
        Assert.False(inputs.Read("door-lobby"));

        _driver.SetInputLevel(5, high: false);

        Assert.False(inputs.Read("panic-lobby"));
    }

    [Fact]
    public void An_edge_becomes_a_raw_edge_with_point_level_and_callback_timestamp()
    {
        using var inputs = new GpioInputLines(_controller, [Panic, Door], _time);
        var edges = new List<RawEdge>();
        inputs.Start(edges.Add);
        _time.Advance(TimeSpan.FromSeconds(3));
        var pressedAt = _time.GetTimestamp();

        _driver.SetInputLevel(5, high: false);
        _time.Advance(TimeSpan.FromMilliseconds(40));
        _driver.SetInputLevel(5, high: true);

        Assert.Equal(
            [
                new RawEdge("panic-lobby", High: false, pressedAt),
                new RawEdge("panic-lobby", High: true, _time.GetTimestamp()),
            ],
            edges);
    }

    [Fact]
    public void Levels_are_electrical_whatever_the_point_polarity()
    {
        // Panic is active-low, the door active-high: both report the wire, Core applies polarity.
        using var inputs = new GpioInputLines(_controller, [Panic, Door], _time);
        var edges = new List<RawEdge>();
        inputs.Start(edges.Add);

        _driver.SetInputLevel(6, high: true);
        _driver.SetInputLevel(5, high: false);

        Assert.Equal([("door-lobby", true), ("panic-lobby", false)], edges.Select(e => (e.PointId, e.High)));
    }

    [Fact]
    public void A_throwing_edge_action_is_counted_and_later_edges_still_arrive()
    {
        using var inputs = new GpioInputLines(_controller, [Door], _time);
        var delivered = new List<bool>();
        var calls = 0;
        inputs.Start(edge =>
        {
            if (++calls == 1)
            {
                throw new InvalidOperationException("channel closed");
            }

            delivered.Add(edge.High);
        });

        _driver.SetInputLevel(6, high: true);
        _driver.SetInputLevel(6, high: false);
        _driver.SetInputLevel(6, high: true);

        Assert.Equal([false, true], delivered);
        Assert.Equal(1, inputs.CallbackFailures);
        Assert.IsType<InvalidOperationException>(inputs.LastCallbackFailure);
        Assert.Null(_driver.EventThreadFault);
    }

    [Fact]
    public void An_unknown_point_is_named_in_the_error()
    {
        using var inputs = new GpioInputLines(_controller, [Door], _time);

        var error = Assert.Throws<KeyNotFoundException>(() => inputs.Read("door-vault"));

        Assert.Contains("door-vault", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_unregisters_callbacks_and_closes_the_lines()
    {
        var inputs = new GpioInputLines(_controller, [Panic, Door], _time);
        var edges = 0;
        inputs.Start(_ => edges++);

        inputs.Dispose();
        _driver.SetInputLevel(6, high: true);

        Assert.Equal(0, edges);
        Assert.Equal(0, _driver.CallbackCount(5) + _driver.CallbackCount(6));
        Assert.False(_driver.IsOpen(5) || _driver.IsOpen(6));
        Assert.False(_controller.IsPinOpen(5) || _controller.IsPinOpen(6));
        Assert.Throws<ObjectDisposedException>(() => inputs.Read("door-lobby"));
    }

    [Fact]
    public void Starting_twice_is_refused()
    {
        using var inputs = new GpioInputLines(_controller, [Door], _time);
        inputs.Start(_ => { });

        Assert.Throws<InvalidOperationException>(() => inputs.Start(_ => { }));
        Assert.Equal(1, _driver.CallbackCount(6));
    }

    [Fact]
    public void Two_points_on_one_line_are_refused_before_any_line_opens()
    {
        var twin = Door with { Id = "door-twin" };

        var error = Assert.Throws<ArgumentException>(() => new GpioInputLines(_controller, [Door, twin], _time));

        Assert.Contains("door-lobby", error.Message, StringComparison.Ordinal);
        Assert.Contains("door-twin", error.Message, StringComparison.Ordinal);
        Assert.False(_driver.IsOpen(6));
    }

    [Fact]
    public void A_line_an_output_of_this_process_uses_is_refused_before_any_line_opens()
    {
        _controller.OpenPin(7, PinMode.Output); // a lamp configured on the beam's line

        var error = Assert.Throws<HardwareException>(() => new GpioInputLines(_controller, [Panic, Door, Beam], _time));

        Assert.Contains("beam-north", error.Message, StringComparison.Ordinal);
        Assert.Contains("already in use", error.Message, StringComparison.Ordinal);
        Assert.False(_driver.IsOpen(5) || _driver.IsOpen(6));
    }
}
