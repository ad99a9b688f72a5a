using Microsoft.Data.Sqlite;

namespace EdgeGuard.Testing;

/// <summary>Damage to a real SQLite file, as a card that lost a page gives it.</summary>
public static class SqlitePages
{
    /// <summary>
    /// Zeroes the b-tree page type of the root page of table or index <paramref name="name"/>,
    /// checkpointed into the main file first: every read of it is SQLITE_CORRUPT ("database disk
    /// image is malformed"). The header and the schema (page 1) stay whole, so SQLite opens the file.
    /// </summary>
    /// <param name="path">The database file, closed.</param>
    /// <param name="name">A table or index other than those on page 1.</param>
    public static void CorruptRootPage(string path, string name)
    {
        long root;
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            checkpoint.ExecuteNonQuery();
            using var find = connection.CreateCommand();
            find.CommandText = "SELECT rootpage FROM sqlite_schema WHERE name = $name;";
            find.Parameters.AddWithValue("$name", name);
            root = (long)find.ExecuteScalar()!;
        }

        if (root <= 1)
        {
            throw new InvalidOperationException($"{name} is on the first page, which holds the schema");
        }

        var bytes = File.ReadAllBytes(path);
        var pageSize = (bytes[16] << 8) | bytes[17];
        bytes[(root - 1) * pageSize] = 0;
        File.WriteAllBytes(path, bytes);
    }
}
