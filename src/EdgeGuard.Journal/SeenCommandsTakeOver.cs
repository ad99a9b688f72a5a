using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

/// <summary>
/// The replay store's memory (<c>seen_commands</c>, <c>seen_commands_clock</c>) of a volatile
/// journal, carried into the real journal that takes over from it (JournalOpener.TakeOver.cs).
/// Left behind, every command handled on the volatile journal was new again on the real one: a
/// signed command replayed, or redelivered by the broker, inside its window ran a second time.
/// The other way too: the card's, read without writing, seed the new volatile journal that
/// replaces a card that cannot be written (JournalOpener.Seed.cs), for the same reason.
/// </summary>
/// <param name="ClockMs">The volatile journal's replay clock (RunningClock), in ms.</param>
/// <param name="Rows">Its remembered commands.</param>
internal sealed record SeenCommandsTakeOver(long ClockMs, IReadOnlyList<SeenCommandsTakeOver.Row> Rows)
{
    /// <summary>One remembered command, its columns as stored.</summary>
    internal sealed record Row(string Id, long ForgetAfter, long KeepUntil, byte[]? Hash, string? Result, string? Reason);

    // The replay clock of either journal: 0 for one whose store never ran.
    private const string ClockSql = "SELECT coalesce((SELECT elapsed_ms FROM seen_commands_clock WHERE id = 1), 0);";

    // How far along a row's command is: accepted (result NULL), handed to the controller
    // ('started'), finished ('done', 'rejected'). The store only ever moves a row up this order
    // (SqliteSeenCommandIds.StartSql, FinishSql).
    private const string RankIn = "WHEN 'started' THEN 1 WHEN 'done' THEN 2 WHEN 'rejected' THEN 2 ELSE 0 END";
    private const string Further = $"CASE excluded.result {RankIn} > CASE seen_commands.result {RankIn}";

    // An id both journals remember keeps the row further along, its hash, result and reason
    // together. The card accepted a command and a stop came before it ran; the volatile journal,
    // seeded with that row, ran the office's resend: keeping the card's row made a later copy "not
    // yet run" and it ran twice (or, started on the card, was answered "interrupted"). So too for
    // other bytes (the seed left the card's row out: expired by its clocks, or unreadable): the
    // store refuses an id seen with other bytes whatever its state, so the row of the one that got
    // further must stay, or the id runs once with each payload. Neither further along: the row
    // written into stays, handled there first. Either way a copy of the other payload is refused
    // as a replay. The larger forget_after and keep_until: pruned no earlier than either would be.
    // SET reads the row as it was before the update, so each CASE compares the old ranks.
    private const string MergeSql = $"""
        INSERT INTO seen_commands (id, forget_after, keep_until, payload_sha256, result, reason)
        VALUES ($id, $forget_after, $keep_until, $hash, $result, $reason)
        ON CONFLICT (id) DO UPDATE SET
            forget_after = max(seen_commands.forget_after, excluded.forget_after),
            keep_until = max(seen_commands.keep_until, excluded.keep_until),
            payload_sha256 = CASE WHEN {Further} THEN excluded.payload_sha256 ELSE seen_commands.payload_sha256 END,
            result = CASE WHEN {Further} THEN excluded.result ELSE seen_commands.result END,
            reason = CASE WHEN {Further} THEN excluded.reason ELSE seen_commands.reason END;
        """;

    /// <summary>Reads the volatile journal's rows and replay clock.</summary>
    /// <exception cref="JournalException">SQLite reported an error.</exception>
    public static SeenCommandsTakeOver ReadFrom(JournalDatabase fallback) => fallback.Read(connection =>
    {
        using var clock = connection.CreateCommand();
        clock.CommandText = ClockSql;
        var clockMs = (long)clock.ExecuteScalar()!;
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT id, forget_after, keep_until, payload_sha256, result, reason FROM seen_commands;";
        using var reader = read.ExecuteReader();
        return Read(clockMs, reader);
    });

    /// <summary>
    /// The rows of <paramref name="reader"/> (id, forget_after, keep_until, payload_sha256, result,
    /// reason), remembered at replay clock <paramref name="clockMs"/>: a volatile journal's, or
    /// the card's that seed a new volatile one (JournalDatabase.SalvageReplay.cs).
    /// </summary>
    internal static SeenCommandsTakeOver Read(long clockMs, SqliteDataReader reader)
    {
        var rows = new List<Row>();
        while (reader.Read())
        {
            rows.Add(new(
                reader.GetString(0),
                reader.GetInt64(1),
                reader.GetInt64(2),
                reader.IsDBNull(3) ? null : (byte[])reader.GetValue(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5)));
        }

        return new SeenCommandsTakeOver(clockMs, rows);
    }

    /// <summary>
    /// Writes them into the real journal, in the takeover's transaction. The replay clock goes on
    /// from the larger of the two readings: never back, so no row of the card is pruned earlier
    /// in running time than it would have been (the run on the volatile journal is not counted
    /// on the card's clock, which only keeps them longer). The volatile rows' <c>keep_until</c>
    /// are moved by as much as the clock moved past the volatile one's, so each keeps its own
    /// remaining running time. An id both journals remember keeps the row further along (see
    /// <see cref="MergeSql"/>), with the larger <c>forget_after</c> and <c>keep_until</c> of the two.
    /// </summary>
    public void WriteIn(SqliteTransaction transaction)
    {
        using var clock = JournalDatabase.Command(transaction, ClockSql);
        var goesOnFrom = Math.Max((long)clock.ExecuteScalar()!, ClockMs);
        var shift = goesOnFrom - ClockMs;

        using var insert = JournalDatabase.Command(transaction, MergeSql);
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var forgetAfter = insert.Parameters.Add("$forget_after", SqliteType.Integer);
        var keepUntil = insert.Parameters.Add("$keep_until", SqliteType.Integer);
        var hash = insert.Parameters.Add("$hash", SqliteType.Blob);
        var result = insert.Parameters.Add("$result", SqliteType.Text);
        var reason = insert.Parameters.Add("$reason", SqliteType.Text);
        foreach (var row in Rows)
        {
            id.Value = row.Id;
            forgetAfter.Value = row.ForgetAfter;
            keepUntil.Value = row.KeepUntil + shift;
            hash.Value = (object?)row.Hash ?? DBNull.Value;
            result.Value = (object?)row.Result ?? DBNull.Value;
            reason.Value = (object?)row.Reason ?? DBNull.Value;
            insert.ExecuteNonQuery();
        }

        using var save = JournalDatabase.Command(transaction, """
            INSERT INTO seen_commands_clock (id, elapsed_ms) VALUES (1, $elapsed)
            ON CONFLICT (id) DO UPDATE SET elapsed_ms = max(seen_commands_clock.elapsed_ms, excluded.elapsed_ms);
            """);
        save.Parameters.AddWithValue("$elapsed", goesOnFrom);
        save.ExecuteNonQuery();
    }
}
