using System.Globalization;

namespace EdgeGuard.Journal;

// A -wal beside a database file that is missing or empty. Every commit since the last checkpoint
// is in the WAL: the undelivered events, the seq counter, the saved safety state (its save never
// checkpoints). SQLite takes such a WAL for a leftover of an empty database and DELETES it at the
// first read (pagerOpenWalIfPresent, checked with the sqlite3 library here), so the open went on
// as a first boot: seqs from 1 again under new ids, the session counter from 0, the lockdown gone,
// and no fault. A clean stop checkpoints and deletes the WAL, so only a crash followed by the main
// file's loss leaves one: a technician deleting edgeguard.db to "reset" a gateway, or a file system
// repair that emptied it. Every open refuses it as damage before SQLite sees it: the boot's opener
// then moves the files aside, WAL included, for a technician (never deleted), and starts a new
// journal above every seq and session the office saw, with fault.journal-replaced.
public sealed partial class JournalDatabase
{
    /// <summary>
    /// Throws when <paramref name="fullPath"/> is missing or empty while its <c>-wal</c> holds
    /// frames (see the file's comment): opening it would delete them.
    /// </summary>
    /// <param name="fullPath">The database file.</param>
    /// <exception cref="JournalException">The WAL is orphaned; <see cref="JournalException.Damaged"/> is set.</exception>
    internal static void RefuseOrphanedWal(string fullPath)
    {
        var database = new FileInfo(fullPath);
        var wal = new FileInfo(fullPath + "-wal");
        if (!wal.Exists || wal.Length <= WalHeaderBytes || (database.Exists && database.Length > 0))
        {
            return;
        }

        var state = database.Exists ? "is empty (0 bytes)" : "is missing";
        throw JournalException.DamagedFile(fullPath, string.Create(CultureInfo.InvariantCulture,
            $"{state}, but its write-ahead log '{wal.FullName}' holds {wal.Length} bytes of commits (events, the seq counter, the saved safety state): the database file was lost after a crash. SQLite would delete that log at the first read, so it is not opened."));
    }
}
