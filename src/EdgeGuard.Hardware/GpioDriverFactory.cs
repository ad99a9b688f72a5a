using System.Device.Gpio;
using System.Device.Gpio.Drivers;
using EdgeGuard.Hardware.Simulation;

namespace EdgeGuard.Hardware;

/// <summary>
/// Creates the <see cref="GpioDriver"/> named in configuration. Never the parameterless
/// <see cref="GpioController"/> or driver constructors: their board guessing picks the wrong chip on a
/// Pi 5 and would hide a missing library behind a different driver.
/// </summary>
public static class GpioDriverFactory
{
    /// <summary>Creates the configured driver on the configured chip.</summary>
    /// <exception cref="HardwareException">The native library is missing, or the chip is unknown or cannot be opened.</exception>
    public static GpioDriver Create(HardwareOptions options) => CreateOnChip(options).Driver;

    /// <summary>
    /// Creates the configured driver on the configured chip, and says which chip that is (null for the
    /// simulated driver): what the kernel does with its released outputs depends on it
    /// (<see cref="ReleasedOutputsCheck"/>).
    /// </summary>
    /// <exception cref="HardwareException">The native library is missing, or the chip is unknown or cannot be opened.</exception>
    public static (GpioDriver Driver, GpioChipInfo? Chip) CreateOnChip(HardwareOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Driver switch
        {
            GpioDriverKind.Simulated => (new SimulatedGpioDriver(), null),
            GpioDriverKind.LibGpiod => Open(options, LibGpiodDriver.GetAvailableChips, chip => new LibGpiodDriver(chip.Id)),
            GpioDriverKind.LibGpiodV2 => Open(options, LibGpiodV2Driver.GetAvailableChips, chip => Adapted(options.Driver, new LibGpiodV2Driver(chip.Id))),
            _ => throw new HardwareException($"Unknown GPIO driver '{options.Driver}'."),
        };
    }

    /// <summary>
    /// The driver as the gateway uses it: libgpiod v2's behind
    /// <see cref="SingleRequestOutputDriver"/>, which opens an output at its level in one request
    /// (the driver alone drives it low first).
    /// Internal so tests can check the choice without libgpiod.
    /// </summary>
    internal static GpioDriver Adapted(GpioDriverKind kind, GpioDriver driver) =>
        kind == GpioDriverKind.LibGpiodV2 ? new SingleRequestOutputDriver(driver) : driver;

    private static (GpioDriver, GpioChipInfo?) Open(
        HardwareOptions options, Func<IEnumerable<GpioChipInfo>> chips, Func<GpioChipInfo, GpioDriver> create)
    {
        GpioChipInfo? chip = null;
        var driver = Guard(options, () =>
        {
            chip = ChipResolver.Resolve(options.Chip, [.. chips()]);
            return create(chip);
        });
        return (driver, chip);
    }

    /// <summary>The shared library a driver kind loads.</summary>
    public static string NativeLibraryOf(GpioDriverKind kind) => kind switch
    {
        GpioDriverKind.LibGpiod => "libgpiod.so.2",
        GpioDriverKind.LibGpiodV2 => "libgpiod.so.3",
        _ => "none",
    };

    /// <summary>
    /// Runs a native driver's construction and turns its failures into one exception a technician can
    /// act on. Internal so tests can feed it the failures a real board produces.
    /// </summary>
    internal static GpioDriver Guard(HardwareOptions options, Func<GpioDriver> create)
    {
        try
        {
            return create();
        }
        catch (HardwareException)
        {
            throw;
        }
        catch (Exception ex) when (IsNativeLoadFailure(ex))
        {
            var (package, release) = options.Driver == GpioDriverKind.LibGpiod
                ? ("libgpiod2", "Raspberry Pi OS Bookworm")
                : ("libgpiod3", "Raspberry Pi OS Trixie");
            throw new HardwareException(
                $"GPIO driver {options.Driver} needs the native library {NativeLibraryOf(options.Driver)}, which could not be loaded " +
                $"({ex.Message.Split('\n')[0].Trim()}). Install package {package} ({release}), choose the other libgpiod driver in " +
                "configuration (LibGpiod = libgpiod.so.2, LibGpiodV2 = libgpiod.so.3), or run with --simulate.",
                ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new HardwareException(
                $"GPIO chip '{options.Chip}' could not be opened with driver {options.Driver}: {ex.Message} " +
                "Check that the chip exists and that the service user may open /dev/gpiochip* (group gpio).",
                ex);
        }
    }

    private static bool IsNativeLoadFailure(Exception ex)
    {
        // libgpiod v1 reports a missing library as PlatformNotSupportedException from the constructor and
        // as DllNotFoundException from GetAvailableChips; v2 wraps DllNotFoundException in GpiodException.
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException or PlatformNotSupportedException)
            {
                return true;
            }
        }

        return false;
    }
}
