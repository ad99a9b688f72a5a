namespace EdgeGuard.Hardware.Tests;

/// <summary>
/// What the kernel does with the header's output lines while the gateway is stopped, read from the pin
/// controller's persist_gpio_outputs parameter (a dictionary stands in for sysfs).
/// </summary>
public sealed class ReleasedOutputsCheckTests
{
    private const string Bcm2835 = "/sys/module/pinctrl_bcm2835/parameters/persist_gpio_outputs";
    private const string Rp1 = "/sys/module/pinctrl_rp1/parameters/persist_gpio_outputs";

    private static Func<string, string?> Sysfs(params (string Path, string Text)[] files) =>
        path => files.FirstOrDefault(f => f.Path == path).Text;

    [Theory]
    [InlineData("pinctrl-bcm2835", Bcm2835)]
    [InlineData("pinctrl-bcm2711", Bcm2835)]
    [InlineData("pinctrl-rp1", Rp1)]
    public void A_Raspberry_Pi_chip_that_keeps_released_outputs_is_held(string label, string path)
    {
        var (outputs, explanation) = ReleasedOutputsCheck.Of(label, Sysfs((path, "Y\n")));

        Assert.Equal(ReleasedOutputs.Held, outputs);
        Assert.Contains(path, explanation, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("pinctrl-bcm2711", Bcm2835, "pinctrl_bcm2835.persist_gpio_outputs=n")]
    [InlineData("pinctrl-rp1", Rp1, "pinctrl_rp1.persist_gpio_outputs=n")]
    public void Outputs_that_fall_to_inputs_are_explained_with_what_to_undo(string label, string path, string setting)
    {
        var (outputs, explanation) = ReleasedOutputsCheck.Of(label, Sysfs((path, "N\n")));

        Assert.Equal(ReleasedOutputs.FallToInputs, outputs);
        Assert.Contains($"{path} is N", explanation, StringComparison.Ordinal);
        Assert.Contains("every relay on the GPIO header drops", explanation, StringComparison.Ordinal);
        Assert.Contains("dtparam=strict_gpiod", explanation, StringComparison.Ordinal);
        Assert.Contains(setting, explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_kernel_without_the_setting_is_unknown_and_says_how_to_check()
    {
        var (outputs, explanation) = ReleasedOutputsCheck.Of("pinctrl-bcm2711", Sysfs());

        Assert.Equal(ReleasedOutputs.Unknown, outputs);
        Assert.Contains($"{Bcm2835} does not exist", explanation, StringComparison.Ordinal);
        Assert.Contains("walk test", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_setting_that_is_neither_yes_nor_no_is_unknown_and_quoted()
    {
        var (outputs, explanation) = ReleasedOutputsCheck.Of("pinctrl-rp1", Sysfs((Rp1, "maybe")));

        Assert.Equal(ReleasedOutputs.Unknown, outputs);
        Assert.Contains("'maybe'", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_chip_is_unknown_without_reading_a_Raspberry_Pi_setting()
    {
        var read = new List<string>();
        var (outputs, explanation) = ReleasedOutputsCheck.Of("gpio-mockup-A", path =>
        {
            read.Add(path);
            return "N";
        });

        Assert.Equal(ReleasedOutputs.Unknown, outputs);
        Assert.Empty(read);
        Assert.Contains("'gpio-mockup-A' is not a Raspberry Pi pin controller", explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_sysfs_file_reads_as_null()
    {
        Assert.Null(ReleasedOutputsCheck.ReadSysfs("/sys/module/edgeguard_no_such_module/parameters/persist_gpio_outputs"));
    }
}
