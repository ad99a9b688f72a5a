namespace EdgeGuard.Hardware;

/// <summary>
/// What the kernel does with a GPIO chip's output lines when the gateway lets go of them: at every
/// stop, update, crash and restart of the service, for the second or so until it drives them again.
/// </summary>
public enum ReleasedOutputs
{
    /// <summary>They keep their last level: the Raspberry Pi kernels' default.</summary>
    Held,

    /// <summary>They become inputs: every relay on the chip drops until the gateway is back.</summary>
    FallToInputs,

    /// <summary>The kernel does not say (no such setting for this chip's driver, or an older kernel).</summary>
    Unknown,
}

/// <summary>
/// Reads <see cref="ReleasedOutputs"/> for the gateway's GPIO chip from the pin controller's
/// <c>persist_gpio_outputs</c> kernel parameter, and explains it to a technician.
/// </summary>
/// <remarks>
/// The design keeps every output at its level across a restart (hardware/README.md, "Output state
/// when the process stops"): a service restart must not unlock an embassy in lockdown. That rests on
/// the kernel. Raspberry Pi OS kernels keep a released output line as it was; upstream Linux returned
/// it to an input, and since mid-2024 both follow <c>persist_gpio_outputs</c> (off upstream), which
/// <c>dtparam=strict_gpiod</c> in config.txt or <c>pinctrl_bcm2835.persist_gpio_outputs=n</c> on the
/// kernel command line turn off. Nothing in the gateway can hold a line the kernel takes back, so it
/// can only tell: at each start, as a critical <c>fault.hardware</c> to the office.
/// </remarks>
public static class ReleasedOutputsCheck
{
    // Chip labels as libgpiod reports them, and the kernel module (built in or not) whose parameter
    // decides for that chip.
    private static readonly Dictionary<string, string> ModuleByChipLabel = new(StringComparer.Ordinal)
    {
        ["pinctrl-bcm2835"] = "pinctrl_bcm2835", // Pi 1-3, Zero
        ["pinctrl-bcm2711"] = "pinctrl_bcm2835", // Pi 4, 400, CM4: the same driver
        ["pinctrl-rp1"] = "pinctrl_rp1", // Pi 5's header, on the RP1
    };

    /// <summary>Where the kernel shows a pin controller module's setting.</summary>
    public static string ParameterPath(string module) => $"/sys/module/{module}/parameters/persist_gpio_outputs";

    /// <summary>
    /// What happens to the output lines of the chip labelled <paramref name="chipLabel"/> when they
    /// are released, and a sentence that says so and what to do about it.
    /// </summary>
    /// <param name="chipLabel">The chip's label (<c>pinctrl-bcm2711</c>).</param>
    /// <param name="readText">Reads a file's text; null when it does not exist or cannot be read.</param>
    public static (ReleasedOutputs Outputs, string Explanation) Of(string chipLabel, Func<string, string?> readText)
    {
        ArgumentNullException.ThrowIfNull(readText);
        if (!ModuleByChipLabel.TryGetValue(chipLabel ?? string.Empty, out var module))
        {
            return (ReleasedOutputs.Unknown,
                $"GPIO chip '{chipLabel}' is not a Raspberry Pi pin controller, so whether its outputs keep their level while the " +
                "gateway restarts is not known: stop the service during the walk test and check that the relays stay as they were.");
        }

        var path = ParameterPath(module);
        switch (readText(path)?.Trim())
        {
            case "Y" or "y" or "1":
                return (ReleasedOutputs.Held, $"{path} is Y: output lines keep their level while the gateway restarts.");
            case "N" or "n" or "0":
                return (ReleasedOutputs.FallToInputs,
                    $"The kernel turns released output lines into inputs ({path} is N): each time the gateway stops or restarts, " +
                    "every relay on the GPIO header drops until it is back (fail-safe locks open, a lockdown's doors unlock, sirens stop). " +
                    $"Remove dtparam=strict_gpiod from config.txt and {module}.persist_gpio_outputs=n from cmdline.txt, then reboot.");
            case null:
                return (ReleasedOutputs.Unknown,
                    $"{path} does not exist, so whether output lines keep their level while the gateway restarts is not known: " +
                    "Raspberry Pi OS kernels keep it, older upstream kernels do not. Check it in the walk test " +
                    "(stop the service and watch the relays), or use a Raspberry Pi OS kernel.");
            case var other:
                return (ReleasedOutputs.Unknown, $"{path} reads '{other}', which is neither Y nor N.");
        }
    }

    /// <summary>Reads a sysfs file, or null: the production <c>readText</c> for <see cref="Of"/>.</summary>
    public static string? ReadSysfs(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
