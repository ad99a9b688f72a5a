using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// <see cref="JournalFileSchema"/>, which provisioning asks (through <c>journal verify
/// --schema-only</c>) before switching to a release: it must see a newer schema wherever the
/// migration sits, and create nothing beside the file.
/// </summary>
public sealed class JournalFileSchemaTests
{
    [Fact]
    public void A_journal_this_build_made_is_its_own_schema_and_the_check_leaves_no_wal_behind()
    {
        using var directory = new TempDirectory();
        var path = directory.File("edgeguard.db");
        using (JournalDatabase.Open(path))
        {
        }

        SqliteConnection.ClearAllPools();
        Assert.False(File.Exists(path + "-wal"), "precondition: a clean close removes the -wal");

        var schema = JournalFileSchema.Read(path);

        Assert.Equal(JournalFileSchema.SupportedVersion, schema.Version);
        Assert.True(schema.IsEdgeGuard);
        Assert.False(schema.IsNewer);
        Assert.False(File.Exists(path + "-wal"));
        Assert.False(File.Exists(path + "-shm"));
    }

    [Fact]
    public void A_newer_schema_still_only_in_the_wal_of_a_running_gateway_is_seen()
    {
        using var directory = new TempDirectory();
        var path = directory.File("edgeguard.db");
        using var writer = new SqliteConnection($"Data Source={path};Pooling=False");
        writer.Open();
        Execute(writer, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA application_id=1162299980; CREATE TABLE t(x);");
        Execute(writer, "PRAGMA wal_checkpoint(TRUNCATE);");
        // The migration's commit, not yet checkpointed: the file's header still says 0.
        Execute(writer, $"PRAGMA user_version={JournalFileSchema.SupportedVersion + 1};");

        var schema = JournalFileSchema.Read(path);

        Assert.Equal(JournalFileSchema.SupportedVersion + 1, schema.Version);
        Assert.True(schema.IsNewer);
    }

    [Fact]
    public void An_empty_file_is_a_journal_to_be_made_and_another_programs_database_is_not_a_journal()
    {
        using var directory = new TempDirectory();
        var empty = directory.File("empty.db");
        File.WriteAllBytes(empty, []);
        var other = directory.File("other.db");
        using (var connection = new SqliteConnection($"Data Source={other};Pooling=False"))
        {
            connection.Open();
            Execute(connection, "PRAGMA user_version=99; CREATE TABLE t(x);");
        }

        Assert.True(JournalFileSchema.Read(empty) is { Version: 0, IsEdgeGuard: true, IsNewer: false });
        Assert.True(JournalFileSchema.Read(other) is { IsEdgeGuard: false, IsNewer: false });
        Assert.Throws<JournalException>(() => JournalFileSchema.Read(directory.File("missing.db")));
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
