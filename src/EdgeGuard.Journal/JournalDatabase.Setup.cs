using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// How the file and every connection to it are set up before anyone uses them: its directory, the
// connection string, the per-connection pragmas and the schema's migration (JournalDatabase.Open).
public sealed partial class JournalDatabase
{
    private static void EnsureDirectory(string fullPath)
    {
        var directory = System.IO.Path.GetDirectoryName(fullPath);
        if (string.IsNullOrEmpty(directory))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw JournalException.For(fullPath, $"its directory could not be created: {ex.Message}", ex);
        }
    }

    // The journal's connection string, read-write or read-only (JournalDatabase.ReadOnlyStorage.cs).
    private static string ConnectionString(string dataSource, SqliteOpenMode mode, TimeSpan timeout) => new SqliteConnectionStringBuilder
    {
        DataSource = dataSource,
        Mode = mode,
        // No pooling: closing the database must really close the file, so a restart (or a
        // test standing in for one) sees exactly what is on disk, and nothing keeps it open.
        Pooling = false,
        // Microsoft.Data.Sqlite retries SQLITE_BUSY on its own for the command timeout; keep
        // that in line with busy_timeout so a stuck lock fails in bounded time.
        DefaultTimeout = Math.Max(1, (int)Math.Ceiling(timeout.TotalSeconds)),
    }.ToString();

    // busy_timeout, synchronous and journal_size_limit are per connection, unlike journal_mode, so
    // every connection we hand out gets them before anyone can use it. On read-only storage the
    // last two are moot (they are about writing), and what the access needs comes first: PRAGMA
    // synchronous already opens the WAL.
    private static void Configure(SqliteConnection connection, int busyTimeoutMs, JournalReadOnlyAccess? readOnly = null)
    {
        using var command = connection.CreateCommand();
        command.CommandText = readOnly is null
            ? string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout={busyTimeoutMs}; PRAGMA synchronous=FULL; PRAGMA journal_size_limit={WalSizeLimit};")
            : string.Create(CultureInfo.InvariantCulture, $"{ReadOnlyPragmas(readOnly.Value)}PRAGMA busy_timeout={busyTimeoutMs};");
        command.ExecuteNonQuery();
    }

    private static void Migrate(SqliteConnection connection, string fullPath)
    {
        // The version is read inside the immediate transaction so that two processes opening a
        // fresh file at once cannot both run migration 1.
        using var transaction = connection.BeginTransaction(deferred: false);
        var applicationId = Convert.ToInt32(Scalar<long>(connection, "PRAGMA application_id;"), CultureInfo.InvariantCulture);
        var version = Convert.ToInt32(Scalar<long>(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);

        if (applicationId != 0 && applicationId != JournalSchema.ApplicationId)
        {
            throw JournalException.For(fullPath, string.Create(CultureInfo.InvariantCulture, $"is a SQLite database of another application (application_id 0x{applicationId:X8}), not an EdgeGuard journal."));
        }

        if (version > JournalSchema.CurrentVersion)
        {
            throw JournalException.NewerSchema(fullPath, string.Create(CultureInfo.InvariantCulture, $"has schema version {version}, newer than the {JournalSchema.CurrentVersion} this build understands; it was written by a newer EdgeGuard. Update the gateway rather than downgrade the file."));
        }

        if (version < 0)
        {
            throw JournalException.For(fullPath, string.Create(CultureInfo.InvariantCulture, $"has an invalid schema version {version}."));
        }

        if (version == 0 && Scalar<long>(connection, "SELECT count(*) FROM sqlite_schema;") > 0)
        {
            // An unversioned file with tables is someone else's database: adding ours to it
            // would mix the safety state into data we do not understand.
            throw JournalException.For(fullPath, "is a SQLite database that already holds tables but is not an EdgeGuard journal.");
        }

        for (var from = version; from < JournalSchema.CurrentVersion; from++)
        {
            Execute(connection, JournalSchema.MigrationFrom(from));
        }

        if (version < JournalSchema.CurrentVersion)
        {
            Execute(connection, string.Create(
                CultureInfo.InvariantCulture,
                $"PRAGMA application_id={JournalSchema.ApplicationId}; PRAGMA user_version={JournalSchema.CurrentVersion};"));
        }

        transaction.Commit();
    }

    private static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
