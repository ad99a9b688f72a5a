using System.Diagnostics;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

/// <summary>
/// The gateway's SQLite file: safety state, event journal, outbox cursor. It owns one
/// shared connection that every writer goes through, so writes are serialised in-process and
/// never fight over SQLite's write lock; readers on other threads open their own connections,
/// which WAL lets run alongside the writer.
/// </summary>
/// <remarks>
/// Every connection runs with <c>synchronous=FULL</c>: in WAL mode that fsyncs the log on each
/// commit, so a committed safety state survives a power cut. That is the contract of
/// <see cref="EdgeGuard.Core.Ports.ISafetyStateStore.Save"/> ("on disk before it takes effect").
/// </remarks>
public sealed partial class JournalDatabase : IDisposable
{
    /// <summary>The database's file name in the gateway's <c>stateDirectory</c>; the journal tools find it there too.</summary>
    public const string FileName = "edgeguard.db";

    /// <summary>
    /// Bytes of WAL kept after a checkpoint resets it (<c>PRAGMA journal_size_limit</c>): a WAL
    /// that grew while a reader held an old snapshot shrinks back to this instead of keeping its size.
    /// Twice the automatic checkpoint's 1,000 pages of 4 KiB: a normal WAL is never truncated.
    /// </summary>
    public const long WalSizeLimit = 8L * 1024 * 1024;

    /// <summary>How long a connection waits for another one's lock unless told otherwise.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(5);

    private readonly string _connectionString;
    private readonly int _busyTimeoutMs;
    private readonly Lock _gate = new();
    private SqliteConnection? _shared;

    // How long a transaction holds the shared connection (its work and its commit), smoothed (1/8 per
    // transaction), in Stopwatch ticks; 0 until one ran. What the safety-state save's wait is sized by.
    private long _typicalHold;

    private JournalDatabase(string path, string connectionString, int busyTimeoutMs, SqliteConnection shared, JournalReadOnlyAccess? readOnly = null)
    {
        Path = path;
        _connectionString = connectionString;
        _busyTimeoutMs = busyTimeoutMs;
        _shared = shared;
        ReadOnlyAccess = readOnly;
        FreeSpace = FreeBytes;
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>The schema version (<c>PRAGMA user_version</c>) this build creates and understands.</summary>
    public static int SchemaVersion => JournalSchema.CurrentVersion;

    /// <summary>
    /// Opens the database at <paramref name="path"/>, creating the file and its directory when
    /// missing, switching it to WAL and bringing its schema up to <see cref="SchemaVersion"/>.
    /// </summary>
    /// <param name="path">The database file.</param>
    /// <param name="busyTimeout">How long to wait for another connection's lock; default 5 s.</param>
    /// <returns>The open database; dispose it to close the file.</returns>
    /// <remarks>
    /// When the file can only be opened read-only (the file system is read-only, as on an SD card
    /// the kernel remounted after errors, or the file's permissions forbid writing), it is opened
    /// so that everything already saved is read, the WAL's newest commits included, and every
    /// write fails with <c>SQLITE_READONLY</c>: <see cref="IsReadOnly"/> (JournalDatabase.ReadOnlyStorage.cs).
    /// </remarks>
    /// <exception cref="JournalException">
    /// The file cannot be created or opened, is not a SQLite database, belongs to another
    /// application, or has a newer schema than this build (or, read-only, an older one).
    /// </exception>
    public static JournalDatabase Open(string path, TimeSpan? busyTimeout = null) =>
        Open(path, busyTimeout, SqliteOpenMode.ReadWriteCreate);

    /// <summary>
    /// As <see cref="Open(string, TimeSpan?)"/>, asking SQLite for <paramref name="openMode"/>. A test passes
    /// <see cref="SqliteOpenMode.ReadOnly"/> to get what SQLite does by itself on a read-only file system: it
    /// retries the read-write open read-only (unixOpen), on the real file.
    /// </summary>
    internal static JournalDatabase Open(string path, TimeSpan? busyTimeout, SqliteOpenMode openMode)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var timeout = busyTimeout ?? DefaultBusyTimeout;
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero, nameof(busyTimeout));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(timeout, TimeSpan.FromMilliseconds(int.MaxValue), nameof(busyTimeout));

        var fullPath = System.IO.Path.GetFullPath(path);
        EnsureDirectory(fullPath);
        RefuseOrphanedWal(fullPath); // before SQLite deletes it: JournalDatabase.OrphanedWal.cs

        var connectionString = ConnectionString(fullPath, openMode, timeout);
        var busyTimeoutMs = (int)timeout.TotalMilliseconds;

        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            if (OpenedReadOnly(connection))
            {
                // Before anything reads the file: the WAL needs a read-only open of its own.
                connection.Dispose();
                return OpenOnReadOnlyStorage(fullPath, timeout);
            }

            Configure(connection, busyTimeoutMs);

            // journal_mode is stored in the file, so setting it once here is enough for every
            // connection; it cannot be changed inside a transaction, hence before migrating.
            var mode = Scalar<string>(connection, "PRAGMA journal_mode=WAL;");
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw JournalException.For(fullPath, $"could not switch to WAL journal mode (it stays '{mode}'); the file system may not support it.");
            }

            Migrate(connection, fullPath);
            var database = new JournalDatabase(fullPath, connectionString, busyTimeoutMs, connection);
            database.PlaceBallast(); // JournalDatabase.Ballast.cs
            return database;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Translate(fullPath, ex, "could not be opened");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens a new connection to the database, configured like the shared one (busy timeout,
    /// <c>synchronous=FULL</c>). For readers on other threads, such as the outbox publisher;
    /// the caller owns and disposes it. Writes belong in <see cref="InTransaction{T}"/>.
    /// </summary>
    /// <returns>An open connection.</returns>
    public SqliteConnection OpenConnection()
    {
        ObjectDisposedException.ThrowIf(_shared is null, this);
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            Configure(connection, _busyTimeoutMs, ReadOnlyAccess);
            return connection;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Translate(Path, ex, "could not be opened");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs <paramref name="query"/> on the shared connection, outside any transaction, while no
    /// other caller uses it.
    /// </summary>
    /// <typeparam name="T">What the query produces.</typeparam>
    /// <param name="query">Work that only reads; it must not keep the connection.</param>
    /// <returns>What <paramref name="query"/> returned.</returns>
    /// <exception cref="JournalException">SQLite reported an error.</exception>
    public T Read<T>(Func<SqliteConnection, T> query)
    {
        ArgumentNullException.ThrowIfNull(query);
        EnterGate();
        try
        {
            var connection = Shared();
            return query(connection);
        }
        catch (SqliteException ex)
        {
            throw Translate(Path, ex, "read failed");
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> in an immediate (write-locking) transaction on the shared
    /// connection and commits it. Returns only after the commit, which <c>synchronous=FULL</c>
    /// makes durable; if <paramref name="work"/> throws, everything it did is rolled back.
    /// </summary>
    /// <typeparam name="T">What the work produces.</typeparam>
    /// <param name="work">
    /// Work to do; commands it creates from <c>transaction.Connection</c> must use
    /// <paramref name="work"/>'s transaction.
    /// </param>
    /// <returns>What <paramref name="work"/> returned.</returns>
    /// <exception cref="JournalException">SQLite reported an error; nothing was committed.</exception>
    public T InTransaction<T>(Func<SqliteTransaction, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        EnterGate();
        try
        {
            return Commit(work);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <inheritdoc cref="InTransaction{T}(Func{SqliteTransaction, T})"/>
    public void InTransaction(Action<SqliteTransaction> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        InTransaction<bool>(transaction =>
        {
            work(transaction);
            return true;
        });
    }

    /// <summary>Closes the shared connection. Connections from <see cref="OpenConnection"/> stay with their owners.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _shared?.Dispose();
            _shared = null;
        }
    }

    /// <summary>Creates a command bound to <paramref name="transaction"/>, as SQLite requires inside one.</summary>
    internal static SqliteCommand Command(SqliteTransaction transaction, string sql)
    {
        var command = transaction.Connection!.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>
    /// How long a transaction typically holds the shared connection here (smoothed; zero until one
    /// ran): a millisecond on a fast disk, tens to hundreds on an SD card.
    /// </summary>
    internal TimeSpan TypicalHold => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _typicalHold));

    // The transaction itself; the caller holds _gate.
    private T Commit<T>(Func<SqliteTransaction, T> work)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return CommitOnce(work);
        }
        finally
        {
            var held = Stopwatch.GetTimestamp() - started;
            var typical = _typicalHold; // written only here, under _gate
            Volatile.Write(ref _typicalHold, typical == 0 ? held : typical + ((held - typical) / 8));
        }
    }

    private T CommitOnce<T>(Func<SqliteTransaction, T> work)
    {
        var connection = Shared();
        try
        {
            // Immediate, not deferred: take the write lock up front so a read-then-write
            // never fails half way with SQLITE_BUSY when another connection wrote meanwhile.
            using var transaction = connection.BeginTransaction(deferred: false);
            var result = work(transaction);
            transaction.Commit();
            return result;
        }
        catch (SqliteException ex)
        {
            ReleaseBallastIfFull(ex); // room for the safety save (JournalDatabase.Ballast.cs)
            throw Translate(Path, ex, "write failed");
        }
    }

    private SqliteConnection Shared()
    {
        ObjectDisposedException.ThrowIf(_shared is null, this);
        return _shared;
    }

    private static JournalException Translate(string fullPath, SqliteException ex, string action)
    {
        var problem = SqliteCodes.Primary(ex) switch
        {
            SqliteCodes.NotADatabase => "is not a SQLite database (the file exists but its header is not SQLite's).",
            SqliteCodes.Corrupt => $"is corrupt: {ex.Message}",
            SqliteCodes.CantOpen => $"cannot be opened (missing permission, or the path is a directory): {ex.Message}",
            _ => $"{action}: {ex.Message}",
        };
        return JournalException.For(fullPath, problem, ex);
    }
}
