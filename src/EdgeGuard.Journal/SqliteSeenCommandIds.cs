using EdgeGuard.Core.Commands;

namespace EdgeGuard.Journal;

/// <summary>
/// <see cref="ISeenCommandIds"/> in the journal database (<c>seen_commands</c>, schema 9, with the
/// payload hash and final result since schema 12): what is recorded here survives a restart or a
/// power cut, because <see cref="Record"/> and <see cref="Finish"/> return only after a durable
/// commit. Rows past their <c>forgetAfter</c> are pruned in the same transaction as each record,
/// so the table holds at most the commands of the last <see cref="CommandVerifierOptions.MaxLifetime"/> plus skew.
/// </summary>
/// <remarks>
/// Goes through the database's shared connection, so it is serialised with the journal writer.
/// A failure throws <see cref="JournalException"/>: the caller must then refuse the command, since
/// an id that could not be remembered could be replayed.
/// </remarks>
public sealed class SqliteSeenCommandIds : ISeenCommandIds
{
    private const string PruneSql = "DELETE FROM seen_commands WHERE forget_after < $now;";
    private const string SelectSql = "SELECT payload_sha256, result, reason FROM seen_commands WHERE id = $id;";
    private const string InsertSql = "INSERT INTO seen_commands (id, forget_after, payload_sha256, result, reason) VALUES ($id, $forget_after, $hash, $result, $reason);";
    private const string FinishSql = "UPDATE seen_commands SET result = $result, reason = $reason WHERE id = $id AND (result IS NULL OR result = 'started');";
    private const string StartSql = "UPDATE seen_commands SET result = 'started' WHERE id = $id AND result IS NULL;";

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
    public SeenCommand Record(string id, byte[] payloadHash, DateTimeOffset forgetAfter, DateTimeOffset now, CommandFinal? final = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(payloadHash);
        return _database.InTransaction(transaction =>
        {
            // Pruned first, with the same rule as the in-memory store: an id whose time is up
            // may be recorded afresh (the verifier has refused it as expired before asking).
            using (var prune = JournalDatabase.Command(transaction, PruneSql))
            {
                prune.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                prune.ExecuteNonQuery();
            }

            byte[]? storedHash;
            CommandFinal? stored;
            bool started;
            using (var select = JournalDatabase.Command(transaction, SelectSql))
            {
                select.Parameters.AddWithValue("$id", id);
                using var reader = select.ExecuteReader();
                if (!reader.Read())
                {
                    reader.Close();
                    Write(transaction, InsertSql, id, final, forgetAfter, payloadHash);
                    return new SeenCommand(SeenStatus.New, null);
                }

                // NULL for a row recorded before schema 12 (SeenCommand.Of: never "the same bytes").
                storedHash = reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0);
                var result = reader.IsDBNull(1) ? null : reader.GetString(1);
                started = result == "started";
                stored = result is null || started ? null : new CommandFinal(result == "done", reader.IsDBNull(2) ? null : reader.GetString(2));
            }

            var known = SeenCommand.Of(storedHash, stored, started, payloadHash);
            if (known.Status == SeenStatus.Unfinished && final is not null)
            {
                Write(transaction, FinishSql, id, final);
            }

            return known;
        });
    }

    /// <inheritdoc />
    /// <exception cref="JournalException">The database could not be written.</exception>
    public void Start(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        _database.InTransaction(transaction =>
        {
            using var command = JournalDatabase.Command(transaction, StartSql);
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteNonQuery();
        });
    }

    /// <inheritdoc />
    /// <exception cref="JournalException">The database could not be written.</exception>
    public void Finish(string id, CommandFinal final)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(final);
        _database.InTransaction(transaction => Write(transaction, FinishSql, id, final));
    }

    private static void Write(Microsoft.Data.Sqlite.SqliteTransaction transaction, string sql, string id, CommandFinal? final, DateTimeOffset? forgetAfter = null, byte[]? payloadHash = null)
    {
        using var command = JournalDatabase.Command(transaction, sql);
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$result", final is null ? DBNull.Value : final.Done ? "done" : "rejected");
        command.Parameters.AddWithValue("$reason", (object?)final?.Reason ?? DBNull.Value);
        if (forgetAfter is { } forget)
        {
            command.Parameters.AddWithValue("$forget_after", forget.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$hash", payloadHash!);
        }

        command.ExecuteNonQuery();
    }
}
