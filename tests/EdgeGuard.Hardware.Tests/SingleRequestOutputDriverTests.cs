using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using System.Reflection;
using EdgeGuard.Core.Site;

namespace EdgeGuard.Hardware.Tests;

public sealed class SingleRequestOutputDriverTests
{
    private static readonly OutputDefinition Lock =
        new("lock-lobby", OutputKind.Lock, 20, ActiveHigh: true, "lobby", LockFailMode.FailSafe, Egress: true, NormallyLocked: true);

    private static readonly OutputDefinition Siren = new("siren-lobby", OutputKind.Siren, 21, ActiveHigh: true, "lobby");

    private static readonly Dictionary<string, bool> LockedQuiet = new(StringComparer.Ordinal)
    {
        ["lock-lobby"] = true,
        ["siren-lobby"] = false,
    };

    [Fact]
    public void The_v2_driver_in_the_package_leaves_the_three_argument_SetPinMode_to_the_base_class()
    {
        // The evidence for the wrapper: when an upgrade overrides it, the wrapper can go.
        Assert.Equal(typeof(GpioDriver), ThreeArgumentSetPinModeOf(typeof(LibGpiodV2Driver)).DeclaringType);
        Assert.Equal(typeof(LibGpiodDriver), ThreeArgumentSetPinModeOf(typeof(LibGpiodDriver)).DeclaringType);
        Assert.Equal(typeof(GpioDriver), ThreeArgumentSetPinModeOf(typeof(LibGpiodV2LikeDriver)).DeclaringType);
    }

    [Fact]
    public void Without_the_wrapper_a_v2_like_driver_drops_a_held_lock_at_boot()
    {
        // Reproduces the hazard, so the test below proves the wrapper and not the recording driver.
        var driver = new LibGpiodV2LikeDriver();
        using var controller = new GpioController(driver);

        using var outputs = new GpioOutputLines(controller, [Lock, Siren], LockedQuiet);

        Assert.Equal([false, true], driver.DrivenLevels(20));
    }

    [Fact]
    public void Through_the_wrapper_outputs_open_at_their_level_in_one_request()
    {
        var driver = new LibGpiodV2LikeDriver();
        using var controller = new GpioController(new SingleRequestOutputDriver(driver));

        using var outputs = new GpioOutputLines(controller, [Lock, Siren], LockedQuiet);

        Assert.Equal([true], driver.DrivenLevels(20));
        Assert.Equal([false], driver.DrivenLevels(21));
        Assert.Equal(PinMode.Output, driver.ModeOf(20));
        Assert.Equal(PinMode.Output, controller.GetPinMode(20));
    }

    [Fact]
    public void Later_writes_reach_the_driver_and_closing_releases_the_lines()
    {
        var driver = new LibGpiodV2LikeDriver();
        using var controller = new GpioController(new SingleRequestOutputDriver(driver));
        var outputs = new GpioOutputLines(controller, [Lock, Siren], LockedQuiet);

        outputs.Write("siren-lobby", high: true);
        outputs.Write("lock-lobby", high: false);
        outputs.Dispose();

        Assert.Equal([false, true], driver.DrivenLevels(21));
        Assert.Equal([true, false], driver.DrivenLevels(20));
        Assert.False(driver.IsOpen(20));
        Assert.False(driver.IsOpen(21));
    }

    [Fact]
    public void Inputs_pass_through_unchanged()
    {
        var driver = new LibGpiodV2LikeDriver();
        using var controller = new GpioController(new SingleRequestOutputDriver(driver));
        driver.SetInputLevel(5, PinValue.High);
        PinChangeEventHandler handler = (_, _) => { };

        controller.OpenPin(5, PinMode.InputPullUp);
        controller.RegisterCallbackForPinValueChangedEvent(5, PinEventTypes.Falling, handler);

        Assert.Equal(PinMode.InputPullUp, driver.ModeOf(5));
        Assert.Equal(PinValue.High, controller.Read(5));
        Assert.Equal(1, driver.CallbackCount(5));
        Assert.Empty(driver.DrivenLevels(5));

        controller.UnregisterCallbackForPinValueChangedEvent(5, handler);
        Assert.Equal(0, driver.CallbackCount(5));
    }

    [Fact]
    public void Disposing_the_controller_disposes_the_wrapped_driver()
    {
        var driver = new LibGpiodV2LikeDriver();
        var controller = new GpioController(new SingleRequestOutputDriver(driver));
        controller.OpenPin(20, PinMode.Output, PinValue.High);

        controller.Dispose();

        Assert.False(driver.IsOpen(20));
        Assert.True(driver.Disposed);
    }

    [Fact]
    public void The_factory_wraps_the_v2_driver_only()
    {
        using var v2 = GpioDriverFactory.Adapted(GpioDriverKind.LibGpiodV2, new LibGpiodV2LikeDriver());
        using var v1 = new LibGpiodV2LikeDriver();

        Assert.IsType<SingleRequestOutputDriver>(v2);
        Assert.Same(v1, GpioDriverFactory.Adapted(GpioDriverKind.LibGpiod, v1));
        Assert.Same(v1, GpioDriverFactory.Adapted(GpioDriverKind.Simulated, v1));
    }

    private static MethodInfo ThreeArgumentSetPinModeOf(Type driver) =>
        driver.GetMethod(
            "SetPinMode",
            BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic,
            [typeof(int), typeof(PinMode), typeof(PinValue)])!;
}
