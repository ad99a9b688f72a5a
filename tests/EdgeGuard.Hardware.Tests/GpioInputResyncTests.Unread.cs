using System.Device.Gpio;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Hardware.Tests;

// A native line's fault names the point unread exactly while the resync cannot read the line
// (HardwareFault.Points): an egress door whose only exit button it is is released meanwhile.
public sealed partial class GpioInputResyncTests
{
    [Fact]
    public void A_line_that_stops_reading_under_a_fault_is_named_unread_and_no_longer_once_it_reads_again()
    {
        using var lines = Lines();
        lines.Start(_ => throw new InvalidOperationException("channel closed")); // every delivery is refused
        _driver.SetInputLevel(DoorLine, high: true); // the door opens; its edge is lost in the action
        Pass();
        Assert.Empty(Assert.IsType<HardwareFault>(Assert.Single(_reported)).Points); // read: lost edges only

        _controller.ClosePin(DoorLine); // now it cannot be read either, under that fault
        Pass();

        Assert.Equal(["fault.hardware", "fault.hardware-restored", "fault.hardware"], _reported.Select(e => e.Type));
        Assert.Equal(["door-lobby"], Assert.IsType<HardwareFault>(_reported[^1]).Points);

        _controller.OpenPin(DoorLine, PinMode.InputPullDown); // read again; its deliveries still refused
        Pass();

        Assert.Equal(5, _reported.Count);
        Assert.IsType<HardwareFaultRestored>(_reported[3]);
        Assert.Empty(Assert.IsType<HardwareFault>(_reported[4]).Points);
    }
}
