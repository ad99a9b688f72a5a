using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// A journal created in place of a damaged one has no run of its own: a volatile journal beside it
// is newer whatever their seqs say (the new journal's floor comes from the clock, above the
// volatile journal's), so the takeover takes its safety state. That used to be known only to the
// start that made the journal: a kill after the floors' commit and before the takeover's left the
// next start to judge the volatile journal stale by its seqs and drop the lockdown started on it.
// So the floors' commit records it (schema 18: gateway_meta.replace_pending), and the takeover's
// commit, or a start that finds no volatile journal to take over, clears it.
public sealed partial class JournalDatabase
{
    private const string ReplacePendingSql = "SELECT coalesce((SELECT replace_pending FROM gateway_meta WHERE id = 1), 0);";

    /// <summary>
    /// Whether this journal was created in place of a damaged one and has not yet taken over from
    /// the volatile journal (nor found none to take over from).
    /// </summary>
    /// <returns>True until the takeover's commit.</returns>
    /// <exception cref="JournalException">SQLite reported an error.</exception>
    internal bool ReplacePending() => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = ReplacePendingSql;
        return (long)command.ExecuteScalar()! == 1;
    });

    /// <summary>Records, in <paramref name="transaction"/>, whether a replace is pending (above).</summary>
    internal static void SetReplacePending(SqliteTransaction transaction, bool pending)
    {
        using var command = Command(transaction, "UPDATE gateway_meta SET replace_pending = $pending WHERE id = 1;");
        command.Parameters.AddWithValue("$pending", pending ? 1 : 0);
        command.ExecuteNonQuery();
    }
}
