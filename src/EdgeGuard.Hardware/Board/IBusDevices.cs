using System.Device.I2c;
using System.Device.Spi;

namespace EdgeGuard.Hardware.Board;

/// <summary>
/// Opens the bus devices the I/O board's chips sit on. The real implementation opens Linux
/// <c>/dev/i2c-N</c> and <c>/dev/spidevB.C</c>; simulate mode substitutes in-memory chips, so the same
/// drivers run in both.
/// </summary>
public interface IBusDevices
{
    /// <summary>The I2C device of an expander.</summary>
    /// <exception cref="HardwareException">The bus cannot be opened.</exception>
    I2cDevice OpenExpander(ExpanderOptions expander);

    /// <summary>The SPI device of an ADC, in mode 0 at its configured clock.</summary>
    /// <exception cref="HardwareException">The bus cannot be opened.</exception>
    SpiDevice OpenAdc(AdcOptions adc);
}

/// <summary>The gateway's real I2C and SPI buses.</summary>
public sealed class SystemBusDevices : IBusDevices
{
    /// <inheritdoc/>
    public I2cDevice OpenExpander(ExpanderOptions expander)
    {
        ArgumentNullException.ThrowIfNull(expander);
        return Guard($"I2C bus {expander.Bus} (/dev/i2c-{expander.Bus}) for {expander.Id}",
            () => I2cDevice.Create(new I2cConnectionSettings(expander.Bus, expander.Address)));
    }

    /// <inheritdoc/>
    public SpiDevice OpenAdc(AdcOptions adc)
    {
        ArgumentNullException.ThrowIfNull(adc);
        return Guard($"SPI device /dev/spidev{adc.Bus}.{adc.ChipSelect} for {adc.Id}",
            () => SpiDevice.Create(new SpiConnectionSettings(adc.Bus, adc.ChipSelect) { Mode = SpiMode.Mode0, ClockFrequency = adc.ClockHz }));
    }

    private static T Guard<T>(string what, Func<T> open)
    {
        try
        {
            return open();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PlatformNotSupportedException or InvalidOperationException)
        {
            throw new HardwareException(
                $"{what} could not be opened: {ex.Message} Enable the bus (raspi-config, dtparam=i2c_arm=on / spi=on) and check that the service user is in groups i2c and spi.",
                ex);
        }
    }
}
