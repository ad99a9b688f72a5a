namespace EdgeGuard.Tests.Hosting;

/// <summary>
/// systemd resolves <c>DeviceAllow=char-i2c</c> and <c>char-spi</c> against <c>/proc/devices</c> once, as the
/// unit starts: a module not loaded by then (i2c-dev, spidev on Raspberry Pi OS) is left off the allow-list
/// and the gateway's start fails on EPERM. The unit loads every module whose devices it allows before it starts.
/// </summary>
public sealed class UnitDeviceModulesTests
{
    [Theory]
    [InlineData("char-i2c", "modprobe@i2c_dev.service")]
    [InlineData("char-spi", "modprobe@spidev.service")]
    public void Each_bus_the_unit_allows_has_its_module_loaded_before_the_start(string device, string module)
    {
        var unit = SystemdUnit.Text();

        Assert.Contains($"DeviceAllow={device} rw", unit, StringComparison.Ordinal);
        Assert.Contains(module, SystemdUnit.Setting(unit, "Wants").Split(' '));
        Assert.Contains(module, SystemdUnit.Setting(unit, "After").Split(' '));
    }
}
