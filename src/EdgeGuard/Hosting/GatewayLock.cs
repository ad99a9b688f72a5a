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
/// <para>
/// A read-only file system (EROFS: an SD card the kernel remounted after errors) is not a holder. flock works on
/// a read-only descriptor, so the existing lock file is opened read-only and locked, and a real second holder is
/// still refused; the pid file is not written. With no lock file to open, the gateway goes on without the lock
/// and says so (<see cref="Warning"/>), while the walk test refuses (<see cref="Acquire(string)"/>).
/// </para>
/// <para>
/// Only flock's EWOULDBLOCK is a holder (<see cref="GatewayLockedException"/>). Every other error opening the
/// lock file, EIO from a failing card above all, is thrown as it is: the storage failing, for which the gateway
/// takes its lock in the fallback directory (RunVerbHandler). Taken for a holder, it kept the gateway waiting,
/// its start timeout renewed, for good.
/// </para>
/// </remarks>
public sealed class GatewayLock : IDisposable
{
    /// <summary>The lock file's name in the state directory.</summary>
    public const string FileName = "edgeguard.lock";

    /// <summary>The file naming the holder's pid, in the state directory.</summary>
    public const string PidFileName = "edgeguard.pid";

    // Null when the file system is read-only and had no lock file to open.
    private readonly FileStream? _file;

    // readOnlyDirectory: the state directory when it is on a read-only file system, else null.
    private GatewayLock(FileStream? file, string? readOnlyDirectory)
    {
        _file = file;
        OnReadOnlyFileSystem = readOnlyDirectory is not null;
        WithoutLockFile = OnReadOnlyFileSystem && file is null;
        Warning = readOnlyDirectory is null ? null
            : file is null
                ? $"{readOnlyDirectory} is on a read-only file system and its lock file {Path.Combine(readOnlyDirectory, FileName)} cannot be created: this gateway runs without the lock, so a walk test or a second gateway on this directory is not refused"
                : $"{readOnlyDirectory} is on a read-only file system: the gateway lock is held on the existing lock file, opened read-only";
    }

    /// <summary>
    /// Takes the lock in <paramref name="stateDirectory"/> (which must exist) without waiting.
    /// </summary>
    /// <param name="stateDirectory">The gateway's state directory, as a full path.</param>
    /// <returns>The held lock; dispose it to release.</returns>
    /// <exception cref="GatewayLockedException">Another process (or holder) has it.</exception>
    /// <exception cref="IOException">The lock file cannot be created or opened.</exception>
    /// <exception cref="UnauthorizedAccessException">No permission to open the lock file.</exception>
    /// <remarks>
    /// On a read-only file system the existing lock file is locked read-only; with no lock file there this
    /// throws the <see cref="IOException"/> (EROFS): the walk test must not run when a gateway cannot be ruled out.
    /// </remarks>
    public static GatewayLock Acquire(string stateDirectory) => Acquire(stateDirectory, OpenLocked, goOnWithoutFile: false);

    /// <summary>
    /// As <see cref="Acquire(string)"/>, opening the lock file with <paramref name="open"/>: the one place a test
    /// can make the file system answer as a read-only one would, without mounting anything.
    /// </summary>
    /// <param name="stateDirectory">The gateway's state directory, as a full path.</param>
    /// <param name="open">Opens the lock file with its flock taken.</param>
    /// <param name="goOnWithoutFile">
    /// On a read-only file system with no lock file, return a lock that holds nothing (<see cref="WithoutLockFile"/>)
    /// instead of throwing: the gateway's choice, which must arm.
    /// </param>
    internal static GatewayLock Acquire(string stateDirectory, LockFileOpener open, bool goOnWithoutFile)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(stateDirectory);
        ArgumentNullException.ThrowIfNull(open);
        var path = Path.Combine(stateDirectory, FileName);
        FileStream? file;
        var readOnly = false;
        try
        {
            file = open(path, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        }
        catch (IOException ex) when (IsReadOnlyFileSystem(ex))
        {
            // A read-only file system (an SD card the kernel remounted after errors) is not a holder: waiting
            // for it would keep the gateway from ever arming. flock works on a read-only descriptor, so the
            // existing file is still locked for real and a second gateway or walk test is still refused.
            readOnly = true;
            file = OpenReadOnly(stateDirectory, path, open);
            if (file is null && !goOnWithoutFile)
            {
                throw;
            }
        }
        catch (IOException ex) when (IsHeld(ex))
        {
            // EWOULDBLOCK from flock: held. Any other error (EIO from a failing card, a missing directory) is
            // the storage's, the caller's to explain: taken for "held", it kept the gateway waiting for good.
            throw new GatewayLockedException(path, HolderPid(stateDirectory), ex);
        }

        if (readOnly)
        {
            // Nothing can be written there, the pid file included.
            return new GatewayLock(file, stateDirectory);
        }

        try
        {
            File.WriteAllText(Path.Combine(stateDirectory, PidFileName), Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only messages use it; the lock itself is held.
        }

        return new GatewayLock(file, null);
    }

    /// <summary>How often <see cref="AcquireWaitingAsync(string, Action{GatewayLockedException}, TimeProvider, CancellationToken)"/> tries again.</summary>
    public static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Takes the lock, waiting for the holder to let go: what the gateway does when a walk test runs.
    /// Exiting instead would make systemd restart it every few seconds and, after its start limit, reboot
    /// the gateway under the technician; waiting lets it start the moment the walk test ends.
    /// </summary>
    /// <remarks>
    /// A read-only file system is not a holder: the existing lock file is locked read-only, and with none the
    /// gateway goes on without the lock (<see cref="WithoutLockFile"/>, <see cref="Warning"/>) rather than
    /// never arm. Nor is any other error but flock's EWOULDBLOCK (EIO from a failing card): it is thrown, not
    /// waited on.
    /// </remarks>
    /// <param name="stateDirectory">The gateway's state directory, as a full path.</param>
    /// <param name="onWaiting">Called once, when the first attempt finds the lock held.</param>
    /// <param name="time">The clock the retries wait on.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The held lock.</returns>
    public static Task<GatewayLock> AcquireWaitingAsync(string stateDirectory, Action<GatewayLockedException> onWaiting, TimeProvider time, CancellationToken cancellationToken) =>
        AcquireWaitingAsync(stateDirectory, onWaiting, _ => { }, time, cancellationToken);

    /// <summary>
    /// As the overload without <paramref name="whileHeld"/>, which is called on every attempt that finds the lock
    /// held, the first one included: the gateway keeps systemd's start timeout from running out meanwhile.
    /// </summary>
    /// <param name="stateDirectory">The gateway's state directory, as a full path.</param>
    /// <param name="onWaiting">Called once, when the first attempt finds the lock held.</param>
    /// <param name="whileHeld">Called on each attempt that finds it held, once every <see cref="RetryInterval"/>.</param>
    /// <param name="time">The clock the retries wait on.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The held lock.</returns>
    public static Task<GatewayLock> AcquireWaitingAsync(string stateDirectory, Action<GatewayLockedException> onWaiting,
        Action<GatewayLockedException> whileHeld, TimeProvider time, CancellationToken cancellationToken) =>
        AcquireWaitingAsync(stateDirectory, onWaiting, time, cancellationToken, OpenLocked, whileHeld);

    /// <summary>As the public overloads, opening the lock file with <paramref name="open"/> (tests).</summary>
    internal static async Task<GatewayLock> AcquireWaitingAsync(string stateDirectory, Action<GatewayLockedException> onWaiting, TimeProvider time,
        CancellationToken cancellationToken, LockFileOpener open, Action<GatewayLockedException>? whileHeld = null)
    {
        ArgumentNullException.ThrowIfNull(onWaiting);
        var told = false;
        while (true)
        {
            try
            {
                return Acquire(stateDirectory, open, goOnWithoutFile: true);
            }
            catch (GatewayLockedException ex)
            {
                if (!told)
                {
                    told = true;
                    onWaiting(ex);
                }

                // Still held: try again after the interval.
                whileHeld?.Invoke(ex);
            }

            await Task.Delay(RetryInterval, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>True when the state directory is on a read-only file system (EROFS).</summary>
    internal bool OnReadOnlyFileSystem { get; }

    /// <summary>True when no lock file could be created (read-only file system): nothing is locked.</summary>
    internal bool WithoutLockFile { get; }

    /// <summary>What the holder should tell people about the lock, or null when it is held normally.</summary>
    public string? Warning { get; }

    /// <inheritdoc/>
    public void Dispose() => _file?.Dispose();

    // EROFS: the open could write or create, and the file system is mounted read-only. .NET puts the errno
    // of an error it has no exception type for in HResult.
    private const int ReadOnlyFileSystemErrno = 30;

    private static bool IsReadOnlyFileSystem(IOException ex) => ex.HResult == ReadOnlyFileSystemErrno;

    // EWOULDBLOCK (EAGAIN, 11 on Linux): the only error .NET raises from the flock it takes on open (it ignores
    // the others), "because it is being used by another process". Only it means a holder; EIO (5) from a
    // failing card, ENOSPC, EACCES and the like are the storage's.
    private const int WouldBlockErrno = 11;

    internal static bool IsHeld(IOException ex) => ex.HResult == WouldBlockErrno;

    // The lock on a read-only file system: the existing file, opened read-only, flock taken; null when there is
    // no lock file (it cannot be created). Still held elsewhere: GatewayLockedException, as on a writable one.
    private static FileStream? OpenReadOnly(string stateDirectory, string path, LockFileOpener open)
    {
        try
        {
            return open(path, FileMode.Open, FileAccess.Read);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (IOException ex) when (IsHeld(ex))
        {
            throw new GatewayLockedException(path, HolderPid(stateDirectory), ex);
        }
    }

    // FileShare.None is what makes .NET take flock(LOCK_EX | LOCK_NB) on the descriptor.
    internal static FileStream OpenLocked(string path, FileMode mode, FileAccess access) => new(path, mode, access, FileShare.None);

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

/// <summary>Opens the lock file with the exclusive advisory lock (<see cref="FileShare.None"/>) taken.</summary>
internal delegate FileStream LockFileOpener(string path, FileMode mode, FileAccess access);

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
