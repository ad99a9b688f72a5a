using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal.Tests;

public sealed class JournalDatabaseTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void Open_creates_the_file_and_missing_directories()
    {
        var path = _temp.File(Path.Combine("var", "lib", "edgeguard", "journal.db"));

        using var database = JournalDatabase.Open(path);

        Assert.True(File.Exists(path));
        Assert.Equal(Path.GetFullPath(path), database.Path);
    }

    [Fact]
    public void Shared_connection_runs_WAL_with_synchronous_FULL_and_a_busy_timeout()
    {
        using var database = JournalDatabase.Open(_temp.File("journal.db"), TimeSpan.FromMilliseconds(1234));

        var (journalMode, synchronous, busyTimeout) = database.Read(connection =>
            (Pragma<string>(connection, "journal_mode"), Pragma<long>(connection, "synchronous"), Pragma<long>(connection, "busy_timeout")));

        Assert.Equal("wal", journalMode);
        Assert.Equal(2L, synchronous); // 2 = FULL
        Assert.Equal(1234L, busyTimeout);
    }

    [Fact]
    public void Connections_handed_out_are_configured_like_the_shared_one()
    {
        using var database = JournalDatabase.Open(_temp.File("journal.db"), TimeSpan.FromMilliseconds(1234));
        using var connection = database.OpenConnection();

        Assert.Equal("wal", Pragma<string>(connection, "journal_mode"));
        Assert.Equal(2L, Pragma<long>(connection, "synchronous"));
        Assert.Equal(1234L, Pragma<long>(connection, "busy_timeout"));
    }

    [Fact]
    public void WAL_mode_is_stored_in_the_file_itself()
    {
        var path = _temp.File("journal.db");
        JournalDatabase.Open(path).Dispose();

        // A plain connection that sets nothing still finds WAL: the mode survives a restart.
        using var raw = OpenRaw(path);
        Assert.Equal("wal", Pragma<string>(raw, "journal_mode"));
    }

    [Fact]
    public void Migrations_are_recorded_in_user_version_and_reopening_is_idempotent()
    {
        var path = _temp.File("journal.db");
        JournalDatabase.Open(path).Dispose();
        JournalDatabase.Open(path).Dispose();
        using var database = JournalDatabase.Open(path);

        var (version, tables) = database.Read(connection =>
            (Pragma<long>(connection, "user_version"),
             Scalar<long>(connection, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('safety_state', 'events', 'outbox', 'gateway_meta', 'retention_clock', 'retention_marks');")));

        Assert.Equal(20, JournalDatabase.SchemaVersion);
        Assert.Equal(JournalDatabase.SchemaVersion, version);
        Assert.Equal(6L, tables);
    }

    /// <summary>What takes a file back to version 17: the pending replace's and fault's columns dropped.</summary>
    internal const string DropMigration18 =
        "ALTER TABLE gateway_meta DROP COLUMN replace_pending; ALTER TABLE gateway_meta DROP COLUMN pending_fault_at; "
        + "ALTER TABLE gateway_meta DROP COLUMN pending_fault_kept_at; ALTER TABLE gateway_meta DROP COLUMN pending_fault_problem;";

    [Fact]
    public void A_version_17_file_is_upgraded_with_no_replace_pending_and_keeps_its_seqs()
    {
        var path = _temp.File("journal.db");
        JournalDatabase.Open(path).Dispose();
        using (var raw = OpenRaw(path))
        {
            Execute(raw, "UPDATE gateway_meta SET last_seq = 42, reserved_through = 42 WHERE id = 1; " + DropMigration20 + " " + DropMigration19 + " " + DropMigration18 + " PRAGMA user_version = 17;");
        }

        using var database = JournalDatabase.Open(path);

        var (version, lastSeq) = database.Read(connection =>
            (Pragma<long>(connection, "user_version"),
             Scalar<long>(connection, "SELECT last_seq FROM gateway_meta WHERE id = 1;")));
        Assert.Equal(20L, version);
        Assert.Equal(42L, lastSeq);
        Assert.False(database.ReplacePending());
        Assert.Null(database.PendingFault());
    }

    /// <summary>What takes a file back to version 16 (from 17): the journal-full episode's columns dropped.</summary>
    internal const string DropMigration17 =
        "ALTER TABLE gateway_meta DROP COLUMN full_dropped; ALTER TABLE gateway_meta DROP COLUMN full_reason; ALTER TABLE gateway_meta DROP COLUMN full_since;";

    /// <summary>Takes a file back from schema 19 to 18 (safety_state.held_panics).</summary>
    internal const string DropMigration19 = "ALTER TABLE safety_state DROP COLUMN held_panics;";

    /// <summary>Takes a file back from schema 20 to 19 (safety_state.fire_raised).</summary>
    internal const string DropMigration20 = "ALTER TABLE safety_state DROP COLUMN fire_raised;";

    [Fact]
    public void A_version_16_file_is_upgraded_with_no_journal_full_episode_open_and_keeps_its_seqs()
    {
        var path = _temp.File("journal.db");
        JournalDatabase.Open(path).Dispose();
        using (var raw = OpenRaw(path))
        {
            Execute(raw, "UPDATE gateway_meta SET last_seq = 42, reserved_through = 42 WHERE id = 1; " + DropMigration20 + " " + DropMigration19 + " " + DropMigration18 + " " + DropMigration17 + " PRAGMA user_version = 16;");
        }

        using var database = JournalDatabase.Open(path);

        var (version, lastSeq, episodes) = database.Read(connection =>
            (Pragma<long>(connection, "user_version"),
             Scalar<long>(connection, "SELECT last_seq FROM gateway_meta WHERE id = 1;"),
             Scalar<long>(connection, "SELECT count(*) FROM gateway_meta WHERE full_dropped IS NOT NULL OR full_reason IS NOT NULL OR full_since IS NOT NULL;")));
        Assert.Equal(20L, version);
        Assert.Equal(42L, lastSeq);
        Assert.Equal(0L, episodes);
    }

    [Fact]
    public void A_version_1_file_is_upgraded_in_place_keeping_its_safety_state()
    {
        var path = _temp.File("journal.db");
        using (var raw = OpenRaw(path))
        {
            // Exactly what version 1 created, with a saved lockdown in it.
            Execute(raw, """
                PRAGMA journal_mode = WAL;
                CREATE TABLE safety_state (
                    id          INTEGER PRIMARY KEY CHECK (id = 1),
                    mode        TEXT    NOT NULL,
                    cause       TEXT    NULL,
                    cause_point TEXT    NULL,
                    since       TEXT    NULL,
                    siren       INTEGER NOT NULL CHECK (siren IN (0, 1)),
                    updated_at  TEXT    NOT NULL,
                    revision    INTEGER NOT NULL CHECK (revision >= 1),
                    CHECK ((cause IS NULL) = (since IS NULL)),
                    CHECK (cause_point IS NULL OR cause IS NOT NULL)
                ) STRICT;
                INSERT INTO safety_state VALUES (1, 'lockdown', 'panic-button', 'lobby-panic-1', '2025-03-14T09:00:00.0000000+00:00', 1, '2025-03-14T09:00:00.0000000+00:00', 1);
                PRAGMA application_id = 1162299980;
                PRAGMA user_version = 1;
                """);
        }

        using var database = JournalDatabase.Open(path);

        var state = new SqliteSafetyStateStore(database).Load();
        Assert.Equal(EdgeGuard.Core.Lockdown.SiteMode.Lockdown, state.Mode);
        Assert.Equal("lobby-panic-1", state.Lockdown!.Point);
        var (version, delivered, session, lastSeq, events) = database.Read(connection =>
            (Pragma<long>(connection, "user_version"),
             Scalar<long>(connection, "SELECT delivered_through FROM outbox WHERE id = 1;"),
             Scalar<long>(connection, "SELECT session FROM gateway_meta WHERE id = 1;"),
             Scalar<long>(connection, "SELECT last_seq FROM gateway_meta WHERE id = 1;"),
             Scalar<long>(connection, "SELECT count(*) FROM events;")));
        Assert.Equal((long)JournalDatabase.SchemaVersion, version);
        Assert.Equal(0L, delivered);
        Assert.Equal(0L, session);
        Assert.Equal(0L, lastSeq);
        Assert.Equal(0L, events);
    }

    [Theory]
    [InlineData(16)]
    [InlineData(8192)]
    public void A_file_that_is_not_SQLite_is_refused_naming_the_path(int size)
    {
        var path = _temp.File("journal.db");
        var garbage = new byte[size];
        new Random(42).NextBytes(garbage);
        File.WriteAllBytes(path, garbage);

        var ex = Assert.Throws<JournalException>(() => JournalDatabase.Open(path));

        Assert.Contains(Path.GetFullPath(path), ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a SQLite database", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Path.GetFullPath(path), ex.DatabasePath);
        Assert.Equal(garbage, File.ReadAllBytes(path)); // refused, not "repaired"
    }

    [Fact]
    public void A_newer_schema_version_is_refused_naming_the_path_and_version()
    {
        var path = _temp.File("journal.db");
        JournalDatabase.Open(path).Dispose();
        using (var raw = OpenRaw(path))
        {
            Execute(raw, "PRAGMA user_version = 99;");
        }

        var ex = Assert.Throws<JournalException>(() => JournalDatabase.Open(path));

        Assert.Contains(Path.GetFullPath(path), ex.Message, StringComparison.Ordinal);
        Assert.Contains("schema version 99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_applications_SQLite_file_is_refused_and_left_untouched()
    {
        var path = _temp.File("other.db");
        using (var raw = OpenRaw(path))
        {
            Execute(raw, "CREATE TABLE customers (id INTEGER PRIMARY KEY);");
        }

        var ex = Assert.Throws<JournalException>(() => JournalDatabase.Open(path));

        Assert.Contains(Path.GetFullPath(path), ex.Message, StringComparison.Ordinal);
        using var check = OpenRaw(path);
        Assert.Equal(0L, Scalar<long>(check, "SELECT count(*) FROM sqlite_schema WHERE name = 'safety_state';"));
    }

    [Fact]
    public void A_transaction_whose_work_throws_leaves_nothing_behind()
    {
        using var database = JournalDatabase.Open(_temp.File("journal.db"));

        Assert.Throws<InvalidOperationException>(() => database.InTransaction(transaction =>
        {
            using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "CREATE TABLE scratch (x INTEGER);";
            command.ExecuteNonQuery();
            throw new InvalidOperationException("boom");
        }));

        var tables = database.Read(connection => Scalar<long>(connection, "SELECT count(*) FROM sqlite_schema WHERE name = 'scratch';"));
        Assert.Equal(0L, tables);
    }

    [Fact]
    public void SQLite_errors_in_a_transaction_surface_as_JournalException()
    {
        using var database = JournalDatabase.Open(_temp.File("journal.db"));

        var ex = Assert.Throws<JournalException>(() => database.InTransaction(transaction =>
        {
            using var command = transaction.Connection!.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = "INSERT INTO no_such_table VALUES (1);";
            command.ExecuteNonQuery();
        }));

        Assert.IsType<SqliteException>(ex.InnerException);
        Assert.Contains(database.Path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_disposed_database_refuses_work()
    {
        var database = JournalDatabase.Open(_temp.File("journal.db"));
        database.Dispose();

        Assert.Throws<ObjectDisposedException>(() => database.Read(_ => 0));
        Assert.Throws<ObjectDisposedException>(() => database.InTransaction(_ => { }));
        Assert.Throws<ObjectDisposedException>(database.OpenConnection);
    }

    internal static SqliteConnection OpenRaw(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }

    internal static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    internal static T Scalar<T>(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return (T)command.ExecuteScalar()!;
    }

    private static T Pragma<T>(SqliteConnection connection, string name) => Scalar<T>(connection, $"PRAGMA {name};");
}
