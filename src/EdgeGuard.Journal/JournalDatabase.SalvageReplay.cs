using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// What the office saw from the card's journal that will not open for writing, read with its
// safety state (JournalDatabase.Salvage.cs) for the volatile journal that replaces it: the commands
// it had seen, else a signed command run before the restart was new to the volatile journal, and
// its message, captured and re-sent within its window, ran a second time; and its highest seq and
// session, so the volatile journal starts above them even when the wall clock its floors come from
// is behind the card's (a gateway without an RTC boots at the time it last saved). Any schema from
// this build's down: a column a later migration added reads as that migration's default.
public sealed partial class JournalDatabase
{
    // The migration-13 default of keep_until: a day counted from zero.
    private const long KeepUntilDefaultMs = 86_400_000;

    // The card's remembered commands still inside their window: not past both clocks, the same
    // rule the replay store prunes by (SqliteSeenCommandIds.PruneSql, ReplayHorizon.HasPassed),
    // with its own persisted replay clock (only ever behind its running time, which keeps rows).
    private static SeenCommandsTakeOver ReadSeenCommands(SqliteConnection connection, DateTimeOffset now)
    {
        if (!HasTable(connection, "seen_commands"))
        {
            return new SeenCommandsTakeOver(0, []);
        }

        var clockMs = HasTable(connection, "seen_commands_clock")
            ? Scalar<long>(connection, "SELECT coalesce((SELECT elapsed_ms FROM seen_commands_clock WHERE id = 1), 0);")
            : 0;
        string Column(string name, string missing) => HasColumn(connection, "seen_commands", name) ? name : missing;
        var keepUntil = Column("keep_until", KeepUntilDefaultMs.ToString(CultureInfo.InvariantCulture));
        using var read = connection.CreateCommand();
        read.CommandText = $"""
            SELECT id, forget_after, {keepUntil}, {Column("payload_sha256", "NULL")}, {Column("result", "NULL")}, {Column("reason", "NULL")}
            FROM seen_commands
            WHERE NOT (forget_after < $now AND {keepUntil} < $elapsed);
            """;
        read.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
        read.Parameters.AddWithValue("$elapsed", clockMs);
        using var reader = read.ExecuteReader();
        return SeenCommandsTakeOver.Read(clockMs, reader);
    }

    // SeqTop's parts, each read on its own: a damaged page under one (events, the biggest and most
    // written table, most of all) costs only that part. gateway_meta's last_seq and
    // reserved_through (since 11) bound every seq handed out, so with them read the others add
    // nothing needed; without them, events and the outbox cursor still give a lower bound, but not
    // the seqs reserved and handed out past it (a problem). Unread only when no part was read.
    private static (long Top, string? Problem, bool Partial) ReadSeqTop(SqliteConnection connection)
    {
        var reserved = HasTable(connection, "gateway_meta") && HasColumn(connection, "gateway_meta", "reserved_through")
            ? "coalesce((SELECT reserved_through FROM gateway_meta WHERE id = 1), 0)"
            : "0";
        (string Name, string Table, string Sql)[] parts =
        [
            ("gateway_meta", "gateway_meta", $"SELECT max(coalesce((SELECT last_seq FROM gateway_meta WHERE id = 1), 0), {reserved});"),
            ("events", "events", "SELECT coalesce((SELECT max(seq) FROM events), 0);"),
            ("outbox", "outbox", "SELECT coalesce((SELECT delivered_through FROM outbox WHERE id = 1), 0);"),
        ];
        long top = 0;
        var read = 0;
        var failed = new List<string>(parts.Length);
        var boundFailed = false;
        foreach (var (name, table, sql) in parts)
        {
            // A table this schema lacks holds no seq: read, as 0 (gateway_meta came with 2).
            var (value, problem) = Attempt(() => HasTable(connection, table) ? Scalar<long>(connection, sql) : 0);
            if (problem is null)
            {
                top = Math.Max(top, value);
                read++;
            }
            else
            {
                failed.Add($"{name}: {problem}");
                boundFailed |= name == "gateway_meta";
            }
        }

        return boundFailed ? (top, string.Join("; ", failed), read > 0) : (top, null, false);
    }

    private static long ReadSession(SqliteConnection connection) =>
        HasTable(connection, "gateway_meta") ? Scalar<long>(connection, SavedSessionSql) : 0;

    private static bool HasTable(SqliteConnection connection, string table)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = $table;";
        command.Parameters.AddWithValue("$table", table);
        return (long)command.ExecuteScalar()! > 0;
    }

    private static bool HasColumn(SqliteConnection connection, string table, string column)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM pragma_table_info($table) WHERE name = $column;";
        command.Parameters.AddWithValue("$table", table);
        command.Parameters.AddWithValue("$column", column);
        return (long)command.ExecuteScalar()! > 0;
    }
}

/// <summary>
/// What a journal that will not open for writing holds for the volatile journal that replaces it
/// (<see cref="JournalDatabase.ReadSalvage"/>), read without writing.
/// </summary>
/// <param name="SafetyStateRow">Its safety-state row's columns by name; null when it has none.</param>
/// <param name="Version">Its schema version.</param>
/// <param name="Seen">The commands it had seen, still inside their window; null when they could not be read.</param>
/// <param name="SeqTop">Its highest seq (<see cref="JournalDatabase.SeqTop"/>), from the parts read; 0 when none was.</param>
/// <param name="Session">Its saved MQTT session counter; 0 when unread.</param>
internal sealed record SalvagedJournal(
    IReadOnlyList<KeyValuePair<string, object?>>? SafetyStateRow,
    int Version,
    SeenCommandsTakeOver? Seen,
    long SeqTop,
    long Session)
{
    /// <summary>Why the seen commands could not be read; null when they were.</summary>
    public string? SeenProblem { get; init; }

    /// <summary>Why its safety-state row could not be read; null when it was (or it has none).</summary>
    public string? SafetyStateProblem { get; init; }

    /// <summary>
    /// Why its highest seq could not be read in full (gateway_meta, which bounds every seq handed
    /// out, unread), naming each part that failed; null when it was.
    /// </summary>
    public string? SeqTopProblem { get; init; }

    /// <summary>
    /// Whether <see cref="SeqTop"/> comes from its events or outbox though gateway_meta was unread:
    /// a lower bound, without the seqs reserved past it.
    /// </summary>
    public bool SeqTopPartial { get; init; }

    /// <summary>Why its session counter could not be read; null when it was.</summary>
    public string? SessionProblem { get; init; }
}
