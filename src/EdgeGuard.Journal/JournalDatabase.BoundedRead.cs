using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// A read that must give up on another process's lock soon, so its caller can try again within its
// own deadline: the boot's read of the saved safety state (SqliteSafetyStateStore.Load). The shared
// connection's busy timeout (DefaultBusyTimeout, 5 s) would keep one such read in SQLite's busy
// handler for as long as the boot waits in all.
public sealed partial class JournalDatabase
{
    /// <summary>
    /// Like <see cref="Read{T}"/>, but SQLite waits at most <paramref name="busyTimeout"/> for
    /// another connection's lock (its busy handler) before it reports SQLITE_BUSY; the shared
    /// connection's own busy timeout is set back afterwards, for the journal's writers. Commands
    /// <paramref name="query"/> makes should set <see cref="SqliteCommand.CommandTimeout"/> to
    /// <see cref="BoundedCommandTimeoutSeconds"/>: Microsoft.Data.Sqlite retries a busy step by
    /// itself until then. Still waits for this process's other users of the connection.
    /// </summary>
    /// <exception cref="JournalException">SQLite reported an error, a lock that outlasted the wait included.</exception>
    internal T ReadWaitingAtMost<T>(TimeSpan busyTimeout, Func<SqliteConnection, T> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        return Read(connection =>
        {
            SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, (int)busyTimeout.TotalMilliseconds);
            try
            {
                return query(connection);
            }
            finally
            {
                SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, _busyTimeoutMs);
            }
        });
    }

    /// <summary>
    /// The command timeout, in seconds, for a <see cref="ReadWaitingAtMost{T}"/> query: the least
    /// Microsoft.Data.Sqlite allows short of none (0 retries a busy step for ever).
    /// </summary>
    internal const int BoundedCommandTimeoutSeconds = 1;

    /// <summary>
    /// Opens a connection of the caller's own, as <see cref="OpenConnection"/>, whose SQLite busy
    /// handler gives up after <paramref name="busyTimeout"/>. In WAL mode it reads the committed
    /// rows while the shared connection's writer is inside a commit, however long the disk takes
    /// (a reader waits for no writer); the caller owns and disposes it.
    /// </summary>
    /// <exception cref="JournalException">It could not be opened.</exception>
    internal SqliteConnection OpenBoundedReader(TimeSpan busyTimeout)
    {
        var connection = OpenConnection();
        SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, (int)busyTimeout.TotalMilliseconds);
        return connection;
    }

    /// <summary>The error a failed read on a connection of <see cref="OpenBoundedReader"/> becomes.</summary>
    internal JournalException ReadFailed(SqliteException ex) => Translate(Path, ex, "read failed");
}
