namespace EdgeGuard.Hardware;

/// <summary>Which <see cref="System.Device.Gpio.GpioDriver"/> talks to the lines.</summary>
public enum GpioDriverKind
{
    /// <summary>In-process simulated lines (<see cref="Simulation.SimulatedGpioDriver"/>); runs anywhere.</summary>
    Simulated,
    /// <summary>libgpiod v1 (libgpiod.so.2, Raspberry Pi OS Bookworm).</summary>
    LibGpiod,
    /// <summary>libgpiod v2 (libgpiod.so.3, Raspberry Pi OS Trixie).</summary>
    LibGpiodV2,
}

/// <summary>How to reach the GPIO lines.</summary>
/// <param name="Driver">The driver to use; never guessed by a parameterless constructor.</param>
/// <param name="Chip">Chip number (<c>0</c>), device name (<c>gpiochip4</c>) or label (<c>pinctrl-rp1</c>).</param>
public sealed record HardwareOptions(GpioDriverKind Driver, string Chip);
