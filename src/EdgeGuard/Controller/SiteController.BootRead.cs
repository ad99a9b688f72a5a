using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Hardware;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Controller;

// The settled boot read of one point. A native line whose read throws (EIO from the character
// device) made StartAsync throw: the host stopped with the outputs open at the boot plan, systemd
// restarted it into the same failure, and every other point, the panic and fire inputs included,
// went unprotected. A read that fails is read as the I/O board reads a dead chip's point: its
// fail-safe level, the tamper level (TamperedLoop.ReadsActive: a fire input active, so egress is
// released and latched as for a dead ADC; a keyswitch inactive), and a fault.hardware naming the
// line. The line's resync delivers its real level once it reads again (GpioInputLines.Resync).
// A native line is read twice before that, as the I/O board's lines are (ReadSettled).
public sealed partial class SiteController
{
    /// <summary>
    /// The point's level at the settled boot read; its fail-safe level when the read throws, with a
    /// <see cref="HardwareFault"/> for its line added to <paramref name="events"/>. A native line's
    /// read that throws is read once more at once: one EIO is a glitch, as one failed transaction
    /// is at the expander's boot read and one failed transfer at the ADC's, and a fire line's one
    /// glitch taken as its fail-safe level latched the egress release (a person must reset it).
    /// The I/O board's lines retry themselves (two reads of an expander, samples of an ADC until
    /// two agree), so their failure here is the line's last word: reading again would only double
    /// a hung bus's 1 s timeout.
    /// </summary>
    private bool ReadSettled(PointDefinition point, DateTimeOffset now, List<DomainEvent> events)
    {
        try
        {
            return ReadNativeTwice(point);
        }
#pragma warning disable CA1031 // A line that cannot be read is one point's fault, not a failed start.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            var level = TamperedLoop.LevelOf(point);
            var active = point.IsActive(level);
            LogBootReadFailed(point.Id, ex.Message, active);
            events.Add(new HardwareFault(now, DeviceOf(point),
                $"{point.Id}: the line could not be read at boot ({ex.Message}); it reads {(active ? "active" : "inactive")} (fail-safe) until it reads again")
            {
                Points = [point.Id],
            });
            return level;
        }
    }

    // A native line's read, tried a second time when the first throws; the second's failure stands.
    private bool ReadNativeTwice(PointDefinition point)
    {
        if (point.LineAddress is null)
        {
            try
            {
                return inputs.Read(point.Id);
            }
#pragma warning disable CA1031 // Any failure of the first read may be a glitch: the second decides.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogBootReadRetried(point.Id, ex.Message);
            }
        }

        return inputs.Read(point.Id);
    }

    /// <summary>The device a point's fault names: <c>gpio17</c> for a native line, else its chip (<c>mcp3008@0.0</c>).</summary>
    private static string DeviceOf(PointDefinition point) =>
        point.LineAddress is { } address
            ? address[..Math.Max(0, address.LastIndexOf(':'))] is { Length: > 0 } chip ? chip : address
            : GpioInputLines.DeviceOf(point.Line);

    [LoggerMessage(EventId = 16, Level = LogLevel.Error, Message = "The input {Point} could not be read at the settled boot read ({Failure}); it reads its fail-safe level (active: {Active}) until its line reads again")]
    private partial void LogBootReadFailed(string point, string failure, bool active);

    [LoggerMessage(EventId = 17, Level = LogLevel.Warning, Message = "The input {Point} could not be read at the settled boot read ({Failure}); reading it again")]
    private partial void LogBootReadRetried(string point, string failure);
}
