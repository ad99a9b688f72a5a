using System.Device.I2c;
using System.Device.Spi;
using EdgeGuard.Hardware.Board;

namespace EdgeGuard.Hardware.Tests.Board;

/// <summary>The board's buses as the expander tests wire them: each expander found by its address, no ADC.</summary>
internal sealed class FakeBuses(params I2cDevice[] expanders) : IBusDevices
{
    public I2cDevice OpenExpander(ExpanderOptions options) =>
        expanders.Single(e => e.ConnectionSettings.DeviceAddress == options.Address);

    public SpiDevice OpenAdc(AdcOptions adc) => throw new NotSupportedException("no ADC on this board");
}
