using System.Globalization;

namespace EdgeGuard.Journal;

// The ballast: a file of BallastBytes next to the database (stateDirectory/edgeguard.ballast),
// written at open and emptied by the first commit that fails with SQLITE_FULL. The safety state
// shares this file and its WAL with the journal, so a disk the journal (or anything else on the
// card) fills up also stops the lockdown's save: a power cut then brings the site back in the
// state before it. Emptying the ballast gives that space back at once, so the journal's
// fault.journal-full (tried right after the failed batch) and the controller's next safety-save
// attempt (within a second) commit. The journal keeps its full episode going until the ballast is
// back, so the freed space goes to what the full policy keeps (critical events, the fault) and to
// the safety saves, not to door contacts: checked by hand on a 16 MiB tmpfs, a burst of 10,000
// events took all 4 MiB again within the episode's first commits and the safety save failed. The
// journal writer puts the ballast back once the disk has room for it twice over
// (EventJournal.Ballast.cs), so the next time the card fills up it works again.
// The volatile journal in /run (JournalOpener) keeps its ballast too, though it costs 4 MiB of RAM:
// /run is a small tmpfs (a fifth of RAM or less) that the journal's limit (about 300 MB) outgrows
// in a long office outage, and RuntimeDirectoryPreserve keeps the journal across restarts, so a
// lockdown whose save a full /run refused would be lost at the next restart of the process. On a
// /run with less than twice the ballast free it is not written at all (TryWriteBallast).
public sealed partial class JournalDatabase
{
    /// <summary>The ballast's file name, in the database's directory.</summary>
    public const string BallastFileName = "edgeguard.ballast";

    /// <summary>
    /// The ballast's size: room for hundreds of safety-state saves and journal-full faults with
    /// their WAL frames (each a few 4 KiB pages), small next to the journal's hundreds of MB.
    /// </summary>
    public const int BallastBytes = 4 * 1024 * 1024;

    // Where the ballast is: on disk (0), not written for lack of room at open (1), or freed by a
    // commit that found the disk full (2).
    private int _ballast;

    /// <summary>
    /// True while the ballast is not on disk: a commit found the disk full and released it, or
    /// there was no room to write it. Always false on read-only storage, which has none.
    /// </summary>
    public bool BallastOut => Volatile.Read(ref _ballast) != 0;

    /// <summary>
    /// True from the commit that found the disk full and freed the ballast until the ballast is
    /// back: the journal keeps its full episode going meanwhile (EventJournal.Ballast.cs).
    /// </summary>
    public bool BallastFreed => Volatile.Read(ref _ballast) == 2;

    /// <summary>Full path of the ballast file.</summary>
    public string BallastPath =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path) ?? ".", BallastFileName);

    /// <summary>
    /// Writes the ballast again if it is out and the disk has room for it twice over (so that
    /// writing it cannot itself fill the disk up; the same rule at open). Never throws.
    /// </summary>
    /// <returns>True when the ballast is on disk after the call.</returns>
    public bool TryRestoreBallast()
    {
        if (!BallastOut)
        {
            return true;
        }

        if (!TryWriteBallast())
        {
            return false;
        }

        Volatile.Write(ref _ballast, 0);
        return true;
    }

    // At open, read-write: an existing ballast of the right size is kept (no write at boot). An
    // empty one is one a full disk freed (ReleaseBallastIfFull) and no run has put back since: with
    // no room for it now, it is still freed, and the full episode it keeps open goes on. Without
    // the mark a restart on the full card (a power cut, the watchdog) said journal.recovered at its
    // first commit, and door contacts took the space kept for the lockdown's safety save.
    private void PlaceBallast()
    {
        var freed = new FileInfo(BallastPath) is { Exists: true, Length: 0 };
        if (!TryWriteBallast())
        {
            Volatile.Write(ref _ballast, freed ? 2 : 1);
        }
    }

    // A commit failed: with SQLITE_FULL, give the ballast's space back (once). Never throws.
    private void ReleaseBallastIfFull(Microsoft.Data.Sqlite.SqliteException failure)
    {
        // Only from on disk: without a ballast (no room at open) a full disk behaves as before.
        if (SqliteCodes.Primary(failure) != SqliteCodes.Full
            || Interlocked.CompareExchange(ref _ballast, 2, 0) != 0)
        {
            return;
        }

        try
        {
            // Emptied, not deleted: its blocks are freed all the same, and the empty file tells the
            // next open that a full disk freed it (PlaceBallast).
            using var emptied = new FileStream(BallastPath, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Nothing more to free.
        }
    }

    private bool TryWriteBallast()
    {
        var path = BallastPath;
        var temp = path + ".new";
        try
        {
            if (new FileInfo(path) is { Exists: true, Length: BallastBytes })
            {
                return true;
            }

            if (FreeSpace() is { } free && free < 2L * BallastBytes)
            {
                return false; // no write at all: a card is not worn by writes that cannot succeed
            }

            using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                // Written, not preallocated or truncated to size: a sparse file would free nothing
                // when deleted. Once per gateway, and after each episode that used it.
                var zeros = new byte[64 * 1024];
                for (var written = 0; written < BallastBytes; written += zeros.Length)
                {
                    file.Write(zeros);
                }

                file.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
            return false;
        }
    }

    /// <summary>Free bytes on the database's file system (null: unknown); a test replaces it.</summary>
    internal Func<long?> FreeSpace { get; set; }

    private long? FreeBytes()
    {
        try
        {
            return new DriveInfo(System.IO.Path.GetDirectoryName(Path) ?? ".").AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover .new file is overwritten by the next attempt.
        }
    }

    // For the host's log when the ballast goes or comes back.
    internal string BallastText(bool released) => released
        ? string.Create(CultureInfo.InvariantCulture, $"the disk is full: the ballast ({BallastBytes / (1024 * 1024)} MiB, {BallastPath}) was emptied so the safety state and the journal's fault can still be saved; free space on the card")
        : string.Create(CultureInfo.InvariantCulture, $"the disk has room again: the ballast ({BallastPath}) is back");
}
