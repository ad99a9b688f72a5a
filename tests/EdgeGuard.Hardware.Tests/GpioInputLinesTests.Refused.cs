using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Hardware.Tests;

// A line the kernel refuses (EBUSY from a leftover gpiomon, EIO, no edge events) is one point's
// fault, not a gateway that does not start: it is left closed, reads as a line that cannot be
// read, and opens with its callback at a later read (GpioInputLines.Open.cs).
public sealed partial class GpioInputLinesTests
{
    [Fact]
    public void A_line_another_process_holds_is_left_closed_and_the_other_lines_open()
    {
        _driver.HoldElsewhere(6, "gpiomon");

        using var inputs = new GpioInputLines(_controller, [Panic, Door, Beam], _time);

        Assert.True(_driver.IsOpen(5) && _driver.IsOpen(7));
        Assert.False(_driver.IsOpen(6));
        Assert.True(inputs.Read("panic-lobby"));
        var error = Assert.Throws<HardwareException>(() => inputs.Read("door-lobby"));
        Assert.Contains("Line 6 for 'door-lobby'", error.Message, StringComparison.Ordinal);
        Assert.Contains("gpiomon", error.Message, StringComparison.Ordinal);
        Assert.Contains("tried again every 1 s", error.Message, StringComparison.Ordinal);
        Assert.Throws<HardwareException>(() => inputs.ReadBeforeOutputs("door-lobby"));
    }

    [Fact]
    public void A_line_refused_at_start_as_the_v1_driver_does_at_its_mode_is_left_closed_too()
    {
        _driver.HoldElsewhere(6, "overlay", refusedAtMode: true);

        using var inputs = new GpioInputLines(_controller, [Panic, Door], _time);

        Assert.False(_controller.IsPinOpen(6)); // GpioController counted it open; it is closed again
        Assert.True(_driver.IsOpen(5));
        Assert.Throws<HardwareException>(() => inputs.Read("door-lobby"));
    }

    [Fact]
    public void A_refused_line_opens_with_its_callback_at_the_first_read_after_it_is_free()
    {
        _driver.HoldElsewhere(6, "gpiomon");
        using var inputs = new GpioInputLines(_controller, [Panic, Door], _time);
        var edges = new List<RawEdge>();
        inputs.Start(edges.Add);
        Assert.Equal(0, _driver.CallbackCount(6));

        _driver.ReleaseElsewhere(6);

        Assert.False(inputs.Read("door-lobby"));
        Assert.Equal(PinMode.InputPullDown, _driver.ModeOf(6));
        Assert.Equal(1, _driver.CallbackCount(6));
        _driver.SetInputLevel(6, high: true);
        Assert.Equal([new RawEdge("door-lobby", High: true, _time.GetTimestamp())], edges);
    }

    [Fact]
    public void A_line_whose_edge_events_are_refused_is_closed_and_the_other_lines_still_start()
    {
        _driver.RefuseEdgeEvents(6);
        using var inputs = new GpioInputLines(_controller, [Panic, Door], _time);
        var edges = new List<RawEdge>();

        inputs.Start(edges.Add);

        Assert.False(_driver.IsOpen(6));
        var error = Assert.Throws<HardwareException>(() => inputs.Read("door-lobby"));
        Assert.Contains("gives no edge events", error.Message, StringComparison.Ordinal);
        _driver.SetInputLevel(5, high: false); // the panic button's line has its callback
        Assert.Equal("panic-lobby", Assert.Single(edges).PointId);

        _driver.RefuseEdgeEvents(6, refuse: false);

        Assert.False(inputs.Read("door-lobby"));
        Assert.Equal(1, _driver.CallbackCount(6));
    }

    [Fact]
    public void A_line_free_only_after_the_boot_read_failed_is_delivered_by_the_resync_and_its_fault_restored()
    {
        _driver.HoldElsewhere(6, "gpiomon");
        var reported = new List<DomainEvent>();
        using var inputs = new GpioInputLines(_controller, [Panic, Door], _time, reported.AddRange);
        var edges = new List<RawEdge>();
        inputs.Start(edges.Add);
        // The controller's settled boot read: twice, then the point's fail-safe level and its fault.
        Assert.Throws<HardwareException>(() => inputs.Read("door-lobby"));
        Assert.Throws<HardwareException>(() => inputs.Read("door-lobby"));
        _time.Advance(GpioInputLines.ResyncInterval);
        Assert.Empty(reported); // the reader raised the fault already
        Assert.Empty(edges);

        _driver.ReleaseElsewhere(6);
        _driver.SetInputLevelSilently(6, high: true); // the door is open
        _time.Advance(GpioInputLines.ResyncInterval);

        Assert.Equal([new RawEdge("door-lobby", High: true, _time.GetTimestamp())], edges);
        Assert.Equal("gpio6", Assert.IsType<HardwareFaultRestored>(Assert.Single(reported)).Device);
        _driver.SetInputLevel(6, high: false); // and its edges come from now on
        Assert.False(edges[^1].High);
    }

    [Fact]
    public void Dispose_closes_a_line_opened_late_and_leaves_a_refused_one_alone()
    {
        _driver.HoldElsewhere(6, "gpiomon");
        _driver.HoldElsewhere(7, "gpiomon");
        var inputs = new GpioInputLines(_controller, [Panic, Door, Beam], _time);
        inputs.Start(_ => { });
        _driver.ReleaseElsewhere(6);
        inputs.Read("door-lobby");

        inputs.Dispose();

        Assert.False(_driver.IsOpen(5) || _driver.IsOpen(6) || _driver.IsOpen(7));
        Assert.Equal(0, _driver.CallbackCount(6));
    }
}
