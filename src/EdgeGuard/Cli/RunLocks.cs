using EdgeGuard.Configuration;
using EdgeGuard.Hardware;
using EdgeGuard.Hosting;
using EdgeGuard.Mqtt.Files;

namespace EdgeGuard.Cli;

/// <summary>
/// The gateway locks `run` holds for its lifetime: the one in the state directory, or in the fallback
/// directory when the state directory cannot be used (<see cref="Main"/>), and on real lines the one in
/// the fallback directory as well (<see cref="Fallback"/>), as the walk test holds both.
/// </summary>
/// <remarks>
/// A gateway whose card did not answer at its start holds only the fallback directory's lock. A second
/// `run` whose card answered took the state directory's, started, and wrote its boot plan (a Normal
/// from a journal older than the first one's lockdown) to the I²C expander's outputs under the first:
/// the kernel keeps native GPIO lines to one holder, but not an expander. Every gateway on real lines
/// now holds the fallback directory's lock too, on tmpfs, which always answers, so any two contend
/// there. Taken after the state directory's, as the walk test takes them, and only ever waited for
/// in that order: a gateway that waits for the fallback lock holds the state lock, and no gateway or
/// walk test holding the fallback lock ever waits for the state lock, so no two wait on each other.
/// </remarks>
internal sealed class RunLocks : IDisposable
{
    /// <summary>Creates the set; <paramref name="fallback"/> is null when not taken.</summary>
    public RunLocks(GatewayLock main, GatewayLock? fallback)
    {
        Main = main;
        Fallback = fallback;
    }

    /// <summary>The lock in the state directory, or in the fallback directory when the state directory cannot be used.</summary>
    public GatewayLock Main { get; }

    /// <summary>The second lock, in the fallback directory, beside one in the state directory; null when not taken.</summary>
    public GatewayLock? Fallback { get; }

    /// <summary>What the holder should tell people about the locks (<see cref="GatewayLock.Warning"/>).</summary>
    public IEnumerable<string> Warnings => new[] { Main.Warning, Fallback?.Warning }.OfType<string>();

    /// <inheritdoc/>
    public void Dispose()
    {
        Fallback?.Dispose();
        Main.Dispose();
    }

    /// <summary>
    /// The fallback directory's lock beside the state directory's, which the caller holds: null on simulated
    /// lines (nothing to drive twice; simulated gateways on one machine share the default fallback directory),
    /// when the fallback directory is the state directory, and when it cannot be created or locked, saying so:
    /// the gateway must arm.
    /// </summary>
    /// <param name="config">The gateway's config: its lines, state and fallback directories.</param>
    /// <param name="error">Where the warning goes.</param>
    /// <param name="acquireWaiting">Takes the lock in a directory, waiting while another holder has it.</param>
    public static async Task<GatewayLock?> TakeFallbackAsync(GatewayConfig config, TextWriter error, Func<string, Task<GatewayLock>> acquireWaiting)
    {
        if (config.Hardware.Driver == GpioDriverKind.Simulated)
        {
            return null;
        }

        var directory = config.Journal.FallbackDirectory;
        try
        {
            // tmpfs: it answers. systemd made it (RuntimeDirectory=); by hand it may not exist yet.
            Directory.CreateDirectory(directory);

            // The state directory under another name: its lock is ours already, and a second flock on it
            // from this process would be waited for as if another gateway held it, for good.
            // By path too: with no identity to compare (statx failed) the same directory was waited on.
            if (string.Equals(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)),
                    Path.TrimEndingDirectorySeparator(Path.GetFullPath(config.StateDirectoryPath)), StringComparison.Ordinal)
                || (OperatingSystem.IsLinux() && LinuxFile.Identity(directory) is { } fallback
                    && fallback == LinuxFile.Identity(config.StateDirectoryPath)))
            {
                return null;
            }

            return await acquireWaiting(directory).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync(
                $"edgeguard: warning: the gateway lock cannot be taken in the fallback directory {directory} ({ex.Message}): "
                + $"this gateway holds only its lock in {config.StateDirectoryPath}, so a gateway whose state directory did not answer at its start, "
                + "holding its lock in the fallback directory, is not seen").ConfigureAwait(false);
            return null;
        }
    }
}
