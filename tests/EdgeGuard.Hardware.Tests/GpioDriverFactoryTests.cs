using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Hardware.Tests;

public sealed class GpioDriverFactoryTests
{
    [Fact]
    public void Simulated_gives_a_simulated_chip_that_a_controller_drives()
    {
        using var driver = GpioDriverFactory.Create(new HardwareOptions(GpioDriverKind.Simulated, "0"));
        var simulated = Assert.IsType<SimulatedGpioDriver>(driver);
        using var controller = new GpioController(driver);

        controller.OpenPin(3, PinMode.Output, PinValue.High);

        Assert.True(simulated.GetOutputLevel(3));
        Assert.Equal(SimulatedGpioDriver.DefaultLineCount, controller.PinCount);
    }

    [Theory]
    [InlineData(GpioDriverKind.LibGpiod, "libgpiod.so.2", "libgpiod2")]
    [InlineData(GpioDriverKind.LibGpiodV2, "libgpiod.so.3", "libgpiod3")]
    public void A_missing_library_is_named_with_the_way_out(GpioDriverKind kind, string library, string package)
    {
        var options = new HardwareOptions(kind, "gpiochip4");

        var error = Assert.Throws<HardwareException>(() => GpioDriverFactory.Guard(options, () =>
            throw new DllNotFoundException($"Unable to load shared library '{library}' or one of its dependencies.\n/usr/lib: not found")));

        Assert.Contains(library, error.Message, StringComparison.Ordinal);
        Assert.Contains(package, error.Message, StringComparison.Ordinal);
        Assert.Contains("--simulate", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("/usr/lib", error.Message, StringComparison.Ordinal);
        Assert.IsType<DllNotFoundException>(error.InnerException);
    }

    [Fact]
    public void A_library_failure_wrapped_by_the_driver_is_still_recognised()
    {
        // libgpiod v2 reports a missing library as GpiodException around DllNotFoundException,
        // libgpiod v1 as PlatformNotSupportedException.
        var options = new HardwareOptions(GpioDriverKind.LibGpiodV2, "0");

        var v2 = Assert.Throws<HardwareException>(() => GpioDriverFactory.Guard(options, () =>
            throw new GpiodException("Exception while calling libgpiod", new DllNotFoundException("libgpiod.so.3"))));
        var v1 = Assert.Throws<HardwareException>(() => GpioDriverFactory.Guard(options with { Driver = GpioDriverKind.LibGpiod }, () =>
            throw new PlatformNotSupportedException("Libgpiod driver not installed.")));

        Assert.Contains("libgpiod.so.3", v2.Message, StringComparison.Ordinal);
        Assert.Contains("libgpiod.so.2", v1.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_chip_that_cannot_be_opened_points_at_permissions()
    {
        var options = new HardwareOptions(GpioDriverKind.LibGpiodV2, "gpiochip4");

        var error = Assert.Throws<HardwareException>(() => GpioDriverFactory.Guard(options, () =>
            throw new GpiodException("Permission denied")));

        Assert.Contains("gpiochip4", error.Message, StringComparison.Ordinal);
        Assert.Contains("group gpio", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_resolution_error_passes_through_unchanged()
    {
        var options = new HardwareOptions(GpioDriverKind.LibGpiod, "gpiochip9");

        var error = Assert.Throws<HardwareException>(() => GpioDriverFactory.Guard(options, () =>
            new LibGpiodDriver(ChipResolver.Resolve(options.Chip, [new GpioChipInfo(0, "gpiochip0", "pinctrl-bcm2835", 54)]).Id)));

        Assert.Contains("'gpiochip9' was not found", error.Message, StringComparison.Ordinal);
        Assert.Null(error.InnerException);
    }
}
