using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The journal-full episode a volatile journal left open when the real journal takes over from it
// (JournalOpener.TakeOver.cs): its drops are added to the real journal's episode, in the takeover's
// commit, so the real journal's journal.recovered counts them. The volatile journal is retired
// with its undelivered events (fault.journal-replaced says how many); without this the office
// never learned how many events it could not journal.
public sealed partial class JournalDatabase
{
    /// <summary>The journal-full episode this journal has recorded as open; null when none is.</summary>
    /// <exception cref="JournalException">SQLite reported an error.</exception>
    internal RecordedEpisode? OpenEpisode() => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT full_dropped, full_reason, full_since FROM gateway_meta WHERE id = 1;";
        using var reader = command.ExecuteReader();
        return reader.Read() && !reader.IsDBNull(0)
            ? new RecordedEpisode(reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2))
            : null;
    });

    // In the takeover's transaction: opens an episode here, or adds to the one open, keeping an
    // open episode's reason and first drop.
    internal static void CarryEpisode(SqliteTransaction transaction, RecordedEpisode episode)
    {
        using var command = Command(transaction, """
            UPDATE gateway_meta SET
                full_dropped = coalesce(full_dropped, 0) + $dropped,
                full_reason = coalesce(full_reason, $reason),
                full_since = coalesce(full_since, $since)
            WHERE id = 1;
            """);
        command.Parameters.AddWithValue("$dropped", episode.Dropped);
        command.Parameters.AddWithValue("$reason", (object?)episode.Reason ?? "the volatile journal the gateway ran on before this restart was full");
        command.Parameters.AddWithValue("$since", (object?)episode.Since ?? DBNull.Value);
        command.ExecuteNonQuery();
    }
}

/// <summary>A journal-full episode as gateway_meta records it (schema 17).</summary>
/// <param name="Dropped">Events dropped in it.</param>
/// <param name="Reason">Why it began; null when not recorded.</param>
/// <param name="Since">Its first drop, ISO-8601; null when not recorded.</param>
internal sealed record RecordedEpisode(long Dropped, string? Reason, string? Since);
