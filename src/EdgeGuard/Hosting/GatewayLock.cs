using System.Globalization;

namespace EdgeGuard.Hosting;

/// <summary>
/// The exclusive advisory lock on <c>stateDirectory/edgeguard.lock</c> that the gateway (<c>run</c>) holds for
/// its lifetime and the walk test takes before it touches any hardware: the two must never drive the same
/// lines. On real hardware the walk test would otherwise initialise the expander — rewriting its output
/// latches under a running gateway — before its interrupt line request failed with EBUSY.
/// </summary>
/// <remarks>
/// .NET takes the lock with <c>flock(LOCK_EX | LOCK_NB)</c> when a file is opened with
/// <see cref="FileShare.None"/> on Linux. The kernel drops it when the process dies, however it dies, so a
/// crashed gateway never leaves a stale lock. The holder's pid goes into a separate file
/// (<c>edgeguard.pid</c>), because the locked file cannot be opened, even to read, by anyone else; it only
/// names the holder in messages and decides nothing.
/// </remarks>
public sealed class GatewayLock : IDisposable
{
    /// <summary>The lock file's name in the state directory.</summary>
    public const string FileName = "edgeguard.lock";

    /// <summary>The file naming the holder's pid, in the state directory.</summary>
    public const string PidFileName = "edgeguard.pid";

    private readonly FileStream _file;

    private GatewayLock(FileStream file) => _file = file;

    /// <summary>
    /// Takes the lock in <paramref name="stateDirectory"/> (which must exist) without waiting.
    /// </summary>
    /// <param name="stateDirectory">The gateway's state directory, as a full path.</param>
    /// <returns>The held lock; dispose it to release.</returns>
    /// <exception cref="GatewayLockedException">Another process (or holder) has it.</exception>
    /// <exception cref="IOException">The lock file cannot be created or opened.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to open the lock file.</exception>
    public static GatewayLock Acquire(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        var path = Path.Combine(stateDirectory, FileName);
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex) when (ex is not (FileNotFoundException or DirectoryNotFoundException) && File.Exists(path))
        {
            // EWOULDBLOCK from flock: held. (A missing directory is the caller's to explain.)
            throw new GatewayLockedException(path, HolderPid(stateDirectory), ex);
        }

        try
        {
            File.WriteAllText(Path.Combine(stateDirectory, PidFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only messages use it; the lock itself is held.
        }

        return new GatewayLock(file);
    }

    /// <summary>How often <see cref="AcquireWaitingAsync"/> tries again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Takes the lock, waiting for the holder to let go: what the gateway does when a walk test runs.
    /// Exiting instead would make systemd restart it every few seconds and, after its start limit, reboot
    /// the gateway under the technician; waiting lets it start the moment the walk test ends.
    /// </summary>
    /// <param name="stateDirectory">The gateway's state directory, as a full path.</param>
    /// <param name="onWaiting">Called once, when the first attempt finds the lock held.</param>
    /// <param name="time">The clock the retries wait on.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The held lock.</returns>
    public static async Task<GatewayLock> AcquireWaitingAsync(string stateDirectory, Action<GatewayLockedException> onWaiting, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(onWaiting);
        var told = false;
        while (true)
        {
            try
            {
                return Acquire(stateDirectory);
            }
            catch (GatewayLockedException ex) when (!told)
            {
                told = true;
                onWaiting(ex);
            }
            catch (GatewayLockedException)
            {
                // Still held: try again after the interval.
            }

            await Task.Delay(RetryInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _file.Dispose();

    private static int? HolderPid(string stateDirectory)
    {
        try
        {
            return int.TryParse(File.ReadAllText(Path.Combine(stateDirectory, PidFileName)).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>The gateway lock is held by another process (or another holder in this one).</summary>
public sealed class GatewayLockedException : IOException
{
    /// <summary>Creates the exception for the lock file at <paramref name="path"/>.</summary>
    public GatewayLockedException(string path, int? holderPid, Exception? inner = null)
        : base($"{path} is locked by {(holderPid is { } pid ? string.Create(CultureInfo.InvariantCulture, $"pid {pid}") : "another process")}", inner)
    {
        LockPath = path;
        HolderPid = holderPid;
    }

    /// <summary>The lock file.</summary>
    public string LockPath { get; }

    /// <summary>The holder's pid as it recorded it, or null when unknown.</summary>
    public int? HolderPid { get; }

    /// <summary>The holder as messages name it: <c>pid 1234</c>.</summary>
    public string Holder => HolderPid is { } pid ? string.Create(CultureInfo.InvariantCulture, $"pid {pid}") : "pid unknown";
}
