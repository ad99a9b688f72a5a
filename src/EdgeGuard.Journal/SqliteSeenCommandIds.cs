using EdgeGuard.Core.Commands;

namespace EdgeGuard.Journal;

/// <summary>
/// <see cref="ISeenCommandIds"/> in the journal database (<c>seen_commands</c>, schema 9): an id
/// recorded here is refused as a replay after a restart or a power cut too, because
/// <see cref="TryRecord"/> returns only after a durable commit. Rows past their
/// <c>forgetAfter</c> are pruned in the same transaction as each insert, so the table holds at
/// most the commands of the last <see cref="CommandVerifierOptions.MaxLifetime"/> plus skew.
/// </summary>
/// <remarks>
/// Goes through the database's shared connection, so it is serialised with the journal writer.
/// A failure throws <see cref="JournalException"/>: the caller must then refuse the command, since
/// an id that could not be remembered could be replayed.
/// </remarks>
public sealed class SqliteSeenCommandIds : ISeenCommandIds
{
    private const string PruneSql = "DELETE FROM seen_commands WHERE forget_after < $now;";
    private const string InsertSql = "INSERT INTO seen_commands (id, forget_after) VALUES ($id, $forget_after) ON CONFLICT (id) DO NOTHING;";

    private readonly JournalDatabase _database;

    /// <summary>Creates the store over an open journal database.</summary>
    public SqliteSeenCommandIds(JournalDatabase database)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
    }

    /// <summary>How many ids are remembered (tests and diagnostics).</summary>
    public long Count => _database.Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM seen_commands;";
        return (long)command.ExecuteScalar()!;
    });

    /// <inheritdoc />
    /// <exception cref="JournalException">The database could not be written.</exception>
    public bool TryRecord(string id, DateTimeOffset forgetAfter, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return _database.InTransaction(transaction =>
        {
            // Pruned first, with the same rule as the in-memory store: an id whose time is up
            // may be recorded afresh (the verifier has refused it as expired before asking).
            using (var prune = JournalDatabase.Command(transaction, PruneSql))
            {
                prune.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                prune.ExecuteNonQuery();
            }

            using var insert = JournalDatabase.Command(transaction, InsertSql);
            insert.Parameters.AddWithValue("$id", id);
            insert.Parameters.AddWithValue("$forget_after", forgetAfter.ToUnixTimeMilliseconds());
            return insert.ExecuteNonQuery() == 1;
        });
    }
}
