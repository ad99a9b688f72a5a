using EdgeGuard.Configuration;
using EdgeGuard.Hosting;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Files;
using EdgeGuard.WalkTest;

namespace EdgeGuard.Cli;

// The walk test's locks: the gateway's own (in the state directory) and its second one in the fallback
// directory, so the walk test never drives lines a running gateway drives.
internal static partial class WalkTestVerb
{
    /// <summary>The gateway's lock, so the walk test never drives lines a running gateway drives.</summary>
    private static GatewayLock TakeGatewayLock(GatewayConfig config, IReadOnlyList<string> arguments)
    {
        var directory = config.StateDirectoryPath;
        if (!Directory.Exists(directory))
        {
            // A relative stateDirectory is the config file's folder's (GatewayConfigReader.Read), as for the gateway.
            throw new WalkTestRefusedException(
                $"the state directory {directory} does not exist: whether the site was left in lockdown cannot be checked. "
                + "Use the gateway's config; on a gateway that has never run, create the directory first");
        }

        // Before the lock: taking it creates edgeguard.lock and .pid on a gateway that never ran, and
        // the journal's read-only open its -wal and -shm; they must be the gateway's user's.
        if (GatewayFilesUser.Refusal(arguments, directory, Path.Combine(directory, JournalDatabase.FileName)) is { } refusal)
        {
            throw new WalkTestRefusedException(refusal);
        }

        try
        {
            return GatewayLock.Acquire(directory);
        }
        catch (GatewayLockedException ex)
        {
            throw new WalkTestRefusedException($"the gateway is running ({ex.Holder}); stop it first: systemctl stop edgeguard", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WalkTestRefusedException(
                $"cannot take the gateway lock {Path.Combine(directory, GatewayLock.FileName)} ({ex.Message}), so a running gateway cannot be ruled out; run as the gateway's user ({GatewayFilesUser.RunAgainAs("edgeguard", arguments)})", ex);
        }
    }

    /// <summary>
    /// The gateway's lock in the journal's volatile fallback directory too: a gateway whose state
    /// directory does not answer at its start takes its lock there (RunVerbHandler), so a free lock
    /// in the state directory does not prove it is stopped, nor keeps one started meanwhile waiting.
    /// Held for the walk test, so such a gateway waits as it would for the other.
    /// </summary>
    /// <param name="config">The gateway's config: its state and fallback directories.</param>
    /// <param name="simulate">Simulated lines, which no gateway can drive under the walk test.</param>
    /// <param name="tmpfilesEntry">Provisioning's tmpfiles.d entry, named as the fix when it makes the directory.</param>
    internal static GatewayLock? TakeFallbackLock(GatewayConfig config, bool simulate, string tmpfilesEntry = FallbackDirectoryFix.TmpfilesEntry)
    {
        var directory = config.Journal.FallbackDirectory;
        try
        {
            // Created when missing, not skipped: systemd creates it (RuntimeDirectory=) as the unit
            // starts, so a gateway started during the walk test would find it and its lock free.
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return simulate ? null : throw new WalkTestRefusedException(
                $"the gateway's fallback directory {directory} does not exist and cannot be created ({ex.Message}), so a gateway started during the walk test could take its lock there and drive the lines; create it ({FallbackDirectoryFix.For(directory, tmpfilesEntry)}) and walk-test again", ex);
        }

        // The state directory under another name (a quick start on /run, a link, a trailing /): its
        // lock is ours already; a second flock on it from this process would be refused as if a
        // gateway held it.
        if (OperatingSystem.IsLinux() && LinuxFile.Identity(directory) is { } fallback
            && fallback == LinuxFile.Identity(config.StateDirectoryPath))
        {
            return null;
        }

        try
        {
            return GatewayLock.Acquire(directory);
        }
        catch (GatewayLockedException ex)
        {
            throw new WalkTestRefusedException(
                $"the gateway is running, its lock in the fallback directory {directory} ({ex.Holder}); stop it first: systemctl stop edgeguard", ex);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new WalkTestRefusedException(
                $"cannot take the gateway lock {Path.Combine(directory, GatewayLock.FileName)} ({ex.Message}), so a running gateway cannot be ruled out", ex);
        }
    }
}
