using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

/// <summary>
/// What schema a journal file has and whether this build can open it, read without creating
/// anything beside the file: <c>journal verify --schema-only</c>, which provisioning runs with the
/// release it is about to switch to. A release refuses a journal a newer one migrated, and the
/// gateway then exits 2 at start, which systemd never restarts: the site would have no controller.
/// </summary>
/// <param name="Path">Full path of the database file.</param>
/// <param name="Version">The file's schema version (<c>PRAGMA user_version</c>); 0 for an empty file.</param>
/// <param name="IsEdgeGuard">False for a SQLite file of something else (another <c>application_id</c>).</param>
public sealed record JournalFileSchema(string Path, int Version, bool IsEdgeGuard)
{
    // The SQLite file header (https://www.sqlite.org/fileformat.html#the_database_header).
    private const int HeaderLength = 100;
    private const int UserVersionOffset = 60;
    private const int ApplicationIdOffset = 68;
    private static readonly byte[] Magic = "SQLite format 3\0"u8.ToArray();

    /// <summary>The newest schema this build opens; an older one the gateway upgrades at its start.</summary>
    public static int SupportedVersion => JournalSchema.CurrentVersion;

    /// <summary>True when the file was migrated by a newer build: this build's gateway refuses it.</summary>
    public bool IsNewer => IsEdgeGuard && Version > SupportedVersion;

    /// <summary>
    /// Reads the schema of <paramref name="path"/>. With the journal's <c>-wal</c> and <c>-shm</c>
    /// there (a gateway running, or stopped uncleanly) through SQLite read-only, which then creates
    /// nothing and sees a migration not yet checkpointed; else from the file's header, which is then
    /// complete. A SQLite open without them would create them, owned by whoever runs this.
    /// </summary>
    /// <param name="path">The journal database (<c>edgeguard.db</c>).</param>
    /// <returns>The file's schema.</returns>
    /// <exception cref="JournalException">The file does not exist, cannot be read or is not a SQLite database.</exception>
    public static JournalFileSchema Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw JournalException.For(fullPath, "does not exist.");
        }

        JournalDatabase.RefuseOrphanedWal(fullPath); // SQLite would delete the WAL: JournalDatabase.OrphanedWal.cs

        try
        {
            return File.Exists(fullPath + "-wal") && File.Exists(fullPath + "-shm") ? FromSqlite(fullPath) : FromHeader(fullPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or SqliteException)
        {
            throw JournalException.For(fullPath, $"cannot be read: {ex.Message}", ex);
        }
    }

    private static JournalFileSchema FromHeader(string fullPath)
    {
        var header = new byte[HeaderLength];
        int read;
        using (var file = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        {
            read = file.ReadAtLeast(header, HeaderLength, throwOnEndOfStream: false);
        }

        if (read == 0)
        {
            // SQLite takes an empty file as an empty database; the gateway makes it a journal.
            return new JournalFileSchema(fullPath, 0, IsEdgeGuard: true);
        }

        if (read < HeaderLength || !header.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw JournalException.For(fullPath, "is not a SQLite database.");
        }

        var version = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(UserVersionOffset));
        var applicationId = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(ApplicationIdOffset));
        return Of(fullPath, applicationId, version);
    }

    private static JournalFileSchema FromSqlite(string fullPath)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        // A running gateway may hold the write lock for a batch; wait for it, briefly.
        command.CommandText = "PRAGMA busy_timeout=5000;";
        command.ExecuteNonQuery();
        command.CommandText = "PRAGMA application_id;";
        var applicationId = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        command.CommandText = "PRAGMA user_version;";
        var version = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        return Of(fullPath, applicationId, version);
    }

    // A database nobody wrote to yet (both 0) is what the gateway makes a journal of.
    private static JournalFileSchema Of(string fullPath, int applicationId, int version) =>
        new(fullPath, version, applicationId == JournalSchema.ApplicationId || (applicationId == 0 && version == 0));
}
