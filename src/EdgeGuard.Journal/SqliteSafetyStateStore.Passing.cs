using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// Which load failures are worth a second try. The boot reads the row once and, if that throws,
// boots in normal mode: a lockdown in force before the restart is dropped. A database another
// connection holds for a moment, or a read the card fails once after a power cut, says nothing
// about the row; a damaged row (a field no release writes) or a damaged file says the same at
// every try.
public sealed partial class SqliteSafetyStateStore
{
    // SQLITE_LOCKED needs a shared cache or a conflict on one connection; the journal uses
    // neither (a private cache, Pooling=false, and the shared connection is used by one caller at
    // a time), so it cannot happen here: kept in case that ever changes. SQLITE_PROTOCOL is what a
    // WAL reader gets when another connection holds the WAL index's read locks for long.
    private const int Busy = 5, Locked = 6, NoMemory = 7, Protocol = 15;

    // Another connection's lock held the read out: busy, locked, or the WAL locking protocol.
    private static bool IsLock(SqliteException ex) => SqliteCodes.Primary(ex) is Busy or Locked or Protocol;

    /// <summary>
    /// Whether <paramref name="failure"/>, thrown by <see cref="Load"/>, may pass if the load is
    /// tried again: SQLite reported the database busy or locked (another connection's write), an
    /// I/O error, no memory, or a locking protocol error; wrapped in a
    /// <see cref="JournalException"/> as the journal wraps it. A row the store cannot read
    /// (<see cref="JournalException"/> without a SQLite cause) or a damaged file (SQLITE_CORRUPT,
    /// SQLITE_NOTADB) is final.
    /// </summary>
    /// <param name="failure">What <see cref="Load"/> threw.</param>
    /// <returns>True when another try may read the row.</returns>
    public static bool IsPassingLoadFailure(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        for (var ex = failure; ex is not null; ex = ex.InnerException)
        {
            if (ex is SqliteException sqlite)
            {
                return SqliteCodes.Primary(sqlite) is Busy or Locked or NoMemory or SqliteCodes.IoError or Protocol;
            }
        }

        return false;
    }
}
