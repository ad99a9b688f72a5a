using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The gateway's own database on storage it cannot write: an SD card the kernel remounted read-only
// after errors (the commonest Raspberry Pi failure), found so at boot. The gateway must still arm
// from the state it last saved, so the file is opened read-only, and every write then fails with
// SQLITE_READONLY exactly as when the card goes read-only while the gateway runs.
//
// What SQLite needs to read a WAL database it cannot write (checked by hand on a read-only tmpfs
// mount, with the sqlite3 shell and with the real gateway; src/EdgeGuard.Journal/README.md):
// - the -wal and -shm files present (a crash or a remount while running leaves both): mode=ro
//   reads the WAL. The -shm cannot be written, so SQLite rebuilds the wal-index in private memory
//   from the WAL (SQLITE_READONLY_CANTINIT, internally): no committed frame is lost.
// - no -wal (a clean stop checkpoints it into the file and deletes it): mode=ro fails with
//   SQLITE_CANTOPEN, because it cannot create the -wal. immutable=1 reads the file alone, and with
//   no WAL there is nothing it could miss.
// - a -wal but no -shm (rare: deleted by hand): mode=ro fails too, and immutable=1 IGNORES the WAL,
//   where the newest commits are (the safety-state save never checkpoints, so the last saved state
//   is usually there: a lockdown before the reboot would come back as the state before it). The
//   unix-none VFS (no file locks) with locking_mode=EXCLUSIVE keeps the wal-index in private memory
//   and needs no -shm at all, so it reads every committed frame. No locks are safe here: nothing can
//   write to a read-only file system.
public sealed partial class JournalDatabase
{
    // A WAL this long or shorter holds no frame: its header only.
    private const int WalHeaderBytes = 32;

    /// <summary>
    /// How the file was opened when it cannot be written (read-only storage), or null when it can. While
    /// it is set every write fails with <c>SQLITE_READONLY</c>, and nothing changes the file.
    /// </summary>
    public JournalReadOnlyAccess? ReadOnlyAccess { get; }

    /// <summary>True when the file cannot be written (<see cref="ReadOnlyAccess"/>): nothing is saved.</summary>
    public bool IsReadOnly => ReadOnlyAccess is not null;

    /// <summary>
    /// Opens the existing file read-only the way its storage allows (see the file's comment): mode=ro;
    /// when SQLite cannot open its WAL so, a private wal-index if there is a WAL to read, else the file alone.
    /// </summary>
    /// <param name="fullPath">The database file.</param>
    /// <param name="timeout">The busy timeout.</param>
    /// <param name="only">Just this way, or none: a test's choice, on a file system that is not read-only.</param>
    /// <returns>The open database, <see cref="IsReadOnly"/>.</returns>
    /// <exception cref="JournalException">It cannot be read, or its schema is not exactly this build's.</exception>
    internal static JournalDatabase OpenOnReadOnlyStorage(string fullPath, TimeSpan timeout, JournalReadOnlyAccess? only = null)
    {
        if (only is null or JournalReadOnlyAccess.SharedWalIndex)
        {
            try
            {
                return OpenReadOnlyAs(fullPath, timeout, JournalReadOnlyAccess.SharedWalIndex);
            }
            catch (SqliteException ex) when (only is null && SqliteCodes.Primary(ex) == SqliteCodes.CantOpen)
            {
                // The -wal or -shm is missing and cannot be created: below.
            }
            catch (SqliteException ex)
            {
                throw Translate(fullPath, ex, "could not be opened read-only");
            }
        }

        var access = only ?? (HasWalFrames(fullPath) ? JournalReadOnlyAccess.PrivateWalIndex : JournalReadOnlyAccess.FileOnly);
        try
        {
            return OpenReadOnlyAs(fullPath, timeout, access);
        }
        catch (SqliteException ex)
        {
            throw Translate(fullPath, ex, "could not be opened read-only");
        }
    }

    // Whether SQLite fell back to a read-only open of the main file (it does so by itself when the
    // read-write open fails: EROFS, or no write permission).
    private static bool OpenedReadOnly(SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_db_readonly(connection.Handle, "main") == 1;

    private static bool HasWalFrames(string fullPath)
    {
        var wal = new FileInfo(fullPath + "-wal");
        return wal.Exists && wal.Length > WalHeaderBytes;
    }

    // Set before anything reads the file: exclusive locking mode is what keeps the wal-index in
    // private memory, and only if it is set before the WAL is first opened.
    private static string ReadOnlyPragmas(JournalReadOnlyAccess access) =>
        access == JournalReadOnlyAccess.PrivateWalIndex ? "PRAGMA locking_mode=EXCLUSIVE; " : string.Empty;

    // One attempt. Reads the schema stamps, so a file SQLite cannot read fails here, not later.
    // olderSchema: a schema older than this build's is read too (JournalDatabase.Salvage.cs reads
    // only the safety-state row, whose columns every migration added with a default).
    private static JournalDatabase OpenReadOnlyAs(string fullPath, TimeSpan timeout, JournalReadOnlyAccess access, bool olderSchema = false)
    {
        RefuseOrphanedWal(fullPath);
        var dataSource = access switch
        {
            JournalReadOnlyAccess.PrivateWalIndex => UriFor(fullPath, "vfs=unix-none"),
            JournalReadOnlyAccess.FileOnly => UriFor(fullPath, "immutable=1"),
            _ => fullPath,
        };
        var connectionString = ConnectionString(dataSource, SqliteOpenMode.ReadOnly, timeout);
        var busyTimeoutMs = (int)timeout.TotalMilliseconds;
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            Configure(connection, busyTimeoutMs, access);
            var applicationId = Convert.ToInt32(Scalar<long>(connection, "PRAGMA application_id;"), CultureInfo.InvariantCulture);
            var version = Convert.ToInt32(Scalar<long>(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
            if (applicationId != JournalSchema.ApplicationId)
            {
                throw JournalException.For(fullPath, "cannot be written (read-only storage) and is not an EdgeGuard journal (wrong application_id).");
            }

            if (version > JournalSchema.CurrentVersion)
            {
                throw JournalException.NewerSchema(fullPath, string.Create(CultureInfo.InvariantCulture,
                    $"has schema version {version}, newer than the {JournalSchema.CurrentVersion} this build understands; it was written by a newer EdgeGuard. Update the gateway rather than downgrade the file."));
            }

            if (version < JournalSchema.CurrentVersion && !olderSchema)
            {
                throw JournalException.For(fullPath, string.Create(CultureInfo.InvariantCulture,
                    $"has schema version {version}, older than this build's {JournalSchema.CurrentVersion}, and cannot be written (read-only storage), so it cannot be upgraded: remount the file system read-write or replace the card, or run the release that wrote it."));
            }

            return new JournalDatabase(fullPath, connectionString, busyTimeoutMs, connection, access);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // A URI filename (Microsoft.Data.Sqlite opens "file:" names as URIs): the characters a URI gives a
    // meaning to are escaped in the path.
    private static string UriFor(string fullPath, string query) =>
        "file:" + fullPath.Replace("%", "%25", StringComparison.Ordinal).Replace("?", "%3f", StringComparison.Ordinal).Replace("#", "%23", StringComparison.Ordinal)
        + "?" + query;
}

/// <summary>How a journal database that cannot be written was opened (<see cref="JournalDatabase.ReadOnlyAccess"/>).</summary>
public enum JournalReadOnlyAccess
{
    /// <summary><c>mode=ro</c>, the WAL read through its existing <c>-shm</c> (rebuilt in memory when stale).</summary>
    SharedWalIndex,

    /// <summary>No <c>-shm</c>: the WAL's index is built in private memory (<c>unix-none</c> VFS, exclusive locking mode).</summary>
    PrivateWalIndex,

    /// <summary>No WAL to read: the file alone (<c>immutable=1</c>).</summary>
    FileOnly,
}
