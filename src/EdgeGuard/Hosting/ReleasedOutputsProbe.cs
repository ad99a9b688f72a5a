using EdgeGuard.Core.Lockdown;
using EdgeGuard.Hardware;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>
/// Asks the kernel, when the outputs are opened at each start, whether the GPIO chip's output lines
/// keep their level while the gateway is stopped (<see cref="ReleasedOutputsCheck"/>). Registered
/// for a real chip only; the simulated one has no kernel behind it.
/// </summary>
/// <param name="chipName">The chip's device name (<c>gpiochip0</c>): the fault's device.</param>
/// <param name="chipLabel">The chip's label, which names its pin controller.</param>
/// <param name="readText">Reads a sysfs file (<see cref="ReleasedOutputsCheck.ReadSysfs"/>).</param>
internal sealed partial class ReleasedOutputsProbe(string chipName, string chipLabel, Func<string, string?> readText)
{
    /// <summary>
    /// Checks the chip when it drives outputs. Lines that fall to inputs are a critical
    /// <c>fault.hardware</c>, since every restart then drops the relays; a setting that cannot be read
    /// is a warning in the host's log, so that no start raises a fault the site cannot clear.
    /// </summary>
    public void Check(int nativeOutputs, TimeProvider time, HardwareFaultReporter reporter, ILogger logger)
    {
        if (nativeOutputs == 0)
        {
            return;
        }

        var (outputs, explanation) = ReleasedOutputsCheck.Of(chipLabel, readText);
        switch (outputs)
        {
            case ReleasedOutputs.FallToInputs:
                LogFallToInputs(logger, chipName, explanation);
                reporter.Report([new HardwareFault(time.GetUtcNow(), chipName, explanation)]);
                break;
            case ReleasedOutputs.Unknown:
                LogUnknown(logger, chipName, explanation);
                break;
            default:
                LogHeld(logger, chipName, explanation);
                break;
        }
    }

    [LoggerMessage(EventId = 140, Level = LogLevel.Critical, Message = "GPIO chip {Chip}: {Explanation}")]
    private static partial void LogFallToInputs(ILogger logger, string chip, string explanation);

    [LoggerMessage(EventId = 141, Level = LogLevel.Warning, Message = "GPIO chip {Chip}: {Explanation}")]
    private static partial void LogUnknown(ILogger logger, string chip, string explanation);

    [LoggerMessage(EventId = 142, Level = LogLevel.Information, Message = "GPIO chip {Chip}: {Explanation}")]
    private static partial void LogHeld(ILogger logger, string chip, string explanation);
}
