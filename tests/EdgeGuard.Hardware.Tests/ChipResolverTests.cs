using System.Device.Gpio;

namespace EdgeGuard.Hardware.Tests;

public sealed class ChipResolverTests
{
    // What a Raspberry Pi 5 on Bookworm reports: the header is gpiochip4 with label pinctrl-rp1.
    private static readonly GpioChipInfo[] Pi5 =
    [
        new(0, "gpiochip0", "gpio-brcmstb@107d508500", 32),
        new(1, "gpiochip1", "gpio-brcmstb@107d508500", 4),
        new(4, "gpiochip4", "pinctrl-rp1", 54),
        new(10, "gpiochip10", "rp1-firmware-gpio", 2),
    ];

    [Theory]
    [InlineData("4")]
    [InlineData("gpiochip4")]
    [InlineData("/dev/gpiochip4")]
    [InlineData("pinctrl-rp1")]
    [InlineData(" pinctrl-rp1 ")]
    public void Finds_the_header_chip_by_number_name_or_label(string chip)
    {
        var resolved = ChipResolver.Resolve(chip, Pi5);

        Assert.Equal(4, resolved.Id);
        Assert.Equal(54, resolved.NumLines);
    }

    [Fact]
    public void A_number_is_the_chip_id_not_a_list_position()
    {
        Assert.Equal("gpiochip10", ChipResolver.Resolve("10", Pi5).Name);
        Assert.Throws<HardwareException>(() => ChipResolver.Resolve("2", Pi5));
    }

    [Fact]
    public void An_unknown_chip_names_itself_and_lists_the_available_ones()
    {
        var error = Assert.Throws<HardwareException>(() => ChipResolver.Resolve("gpiochip9", Pi5));

        Assert.Contains("'gpiochip9'", error.Message, StringComparison.Ordinal);
        Assert.Contains("4 = gpiochip4 'pinctrl-rp1' (54 lines)", error.Message, StringComparison.Ordinal);
        Assert.Contains("0 = gpiochip0", error.Message, StringComparison.Ordinal);
        Assert.Contains("10 = gpiochip10", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_label_shared_by_two_chips_is_refused_rather_than_guessed()
    {
        var error = Assert.Throws<HardwareException>(() => ChipResolver.Resolve("gpio-brcmstb@107d508500", Pi5));

        Assert.Contains("2 chips", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_chips_at_all_says_so()
    {
        var error = Assert.Throws<HardwareException>(() => ChipResolver.Resolve("0", []));

        Assert.Contains("'0'", error.Message, StringComparison.Ordinal);
        Assert.Contains("No GPIO chips were found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_chip_setting_is_refused()
    {
        var error = Assert.Throws<HardwareException>(() => ChipResolver.Resolve("  ", Pi5));

        Assert.Contains("No GPIO chip is configured", error.Message, StringComparison.Ordinal);
    }
}
