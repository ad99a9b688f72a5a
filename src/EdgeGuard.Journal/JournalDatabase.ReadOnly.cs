using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The read-only open, for a tool that must see the gateway's persisted state without changing the file.
public sealed partial class JournalDatabase
{
    /// <summary>
    /// Opens an existing database read-only: it never creates the file or its directory, never switches the
    /// journal mode and never migrates, so a tool reading the persisted safety state cannot change it. Only
    /// <see cref="Read{T}"/> is meant to be used; a write fails in SQLite.
    /// </summary>
    /// <param name="path">The database file.</param>
    /// <returns>The open database; dispose it to close the file.</returns>
    /// <exception cref="JournalException">
    /// The file does not exist or cannot be read, is not an EdgeGuard journal, or its schema version is not
    /// exactly this build's: an older one is upgraded only by the gateway, and a newer one may hold state
    /// this build would misread.
    /// </exception>
    public static JournalDatabase OpenReadOnly(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw JournalException.For(fullPath, "does not exist.");
        }

        RefuseOrphanedWal(fullPath);

        var busyTimeoutMs = (int)DefaultBusyTimeout.TotalMilliseconds;
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = (int)DefaultBusyTimeout.TotalSeconds,
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                // Not Configure: synchronous=FULL is about writing, and this connection never writes.
                pragma.CommandText = string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout={busyTimeoutMs};");
                pragma.ExecuteNonQuery();
            }

            var applicationId = Convert.ToInt32(Scalar<long>(connection, "PRAGMA application_id;"), CultureInfo.InvariantCulture);
            var version = Convert.ToInt32(Scalar<long>(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
            if (applicationId != JournalSchema.ApplicationId)
            {
                throw JournalException.For(fullPath, "is not an EdgeGuard journal (wrong application_id).");
            }

            if (version != JournalSchema.CurrentVersion)
            {
                var why = version < JournalSchema.CurrentVersion
                    ? "older than this build's; start the gateway of this build once (it upgrades the file), then try again"
                    : "newer than this build's; use the edgeguard that wrote it";
                throw JournalException.For(fullPath, string.Create(CultureInfo.InvariantCulture,
                    $"has schema version {version}, {why} (this build: {JournalSchema.CurrentVersion}; read-only tools never migrate)."));
            }

            return new JournalDatabase(fullPath, connectionString, busyTimeoutMs, connection);
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw Translate(fullPath, ex, "could not be opened read-only");
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
