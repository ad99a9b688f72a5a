using System.Runtime.InteropServices;

namespace EdgeGuard.Testing;

/// <summary>
/// Stands in for another process running WAL recovery on a SQLite file (a journal tool or a
/// sqlite3 session opening it after a crash): holds the WAL index's recover lock (byte 122 of the
/// <c>-shm</c> file: the locks start at 120, the recover lock is the third) and makes the WAL
/// index header unreliable (its two copies differ), so a reader of the file must recover the index
/// itself, finds the lock taken and gets SQLITE_BUSY_RECOVERY once its busy handler gives up, as
/// while the other process recovers. An open file description lock (Linux): unlike the process's
/// own record locks (FileStream.Lock), it conflicts with SQLite's locks in this process too.
/// Released on dispose; the next reader then recovers the index.
/// </summary>
public sealed class WalRecoveryLock : IDisposable
{
    private const long RecoverLockByte = 122;

    // The second copy of the 48-byte header, at its change counter (iChange).
    private const long SecondHeaderChange = 48 + 8;

    private const int OfdSetLock = 37; // F_OFD_SETLK
    private const short WriteLock = 1, Unlock = 2; // F_WRLCK, F_UNLCK

    private readonly FileStream _shm;
    private readonly Lock _gate = new();
    private bool _released;

    /// <summary>Takes the lock on the WAL index of <paramref name="databasePath"/>, which must be in WAL mode and open.</summary>
    public WalRecoveryLock(string databasePath)
    {
        _shm = new FileStream(databasePath + "-shm", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
        SetLock(WriteLock);
        _shm.Position = SecondHeaderChange;
        _shm.Write([0xFF, 0xFF, 0xFF, 0xFF]);
        _shm.Flush();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_released)
            {
                return;
            }

            _released = true;
            SetLock(Unlock);
            _shm.Dispose();
        }
    }

    private void SetLock(short type)
    {
        var region = new NativeMethods.Flock { Type = type, Whence = 0, Start = RecoverLockByte, Length = 1 };
        var fd = (int)_shm.SafeFileHandle.DangerousGetHandle();
        if (NativeMethods.Fcntl(fd, OfdSetLock, ref region) != 0)
        {
            throw new IOException($"fcntl(F_OFD_SETLK) on {_shm.Name} failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private static class NativeMethods
    {
        // struct flock on 64-bit Linux (x86-64, arm64).
        [StructLayout(LayoutKind.Sequential)]
        internal struct Flock
        {
            public short Type;
            public short Whence;
            public long Start;
            public long Length;
            public int Pid;
        }

        [DllImport("libc", EntryPoint = "fcntl", SetLastError = true)]
        internal static extern int Fcntl(int fd, int command, ref Flock region);
    }
}
