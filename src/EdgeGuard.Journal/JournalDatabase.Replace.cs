using System.Globalization;
using EdgeGuard.Core.Lockdown;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// A journal created in place of a damaged one has no run of its own: a volatile journal beside it
// is newer whatever their seqs say (the new journal's floor comes from the clock, above the
// volatile journal's), so the takeover takes its safety state. That used to be known only to the
// start that made the journal: a kill after the floors' commit and before the takeover's left the
// next start to judge the volatile journal stale by its seqs and drop the lockdown started on it.
// So the floors' commit records it (schema 18: gateway_meta.replace_pending), and the takeover's
// commit, or a start that finds no volatile journal to take over, clears it.
// The opener's fault.journal-replaced is kept the same way (pending_fault_*): it lived in memory
// until the writer's first commit, and a kill after the durable step it reports (the damaged file
// moved aside, the volatile journal retired) lost it for good. It is written in that step's commit
// and cleared in the commit that journals it (EventJournal.Writer.cs); the next start raises it
// again until then.
public sealed partial class JournalDatabase
{
    internal const string PendingFaultType = "fault.journal-replaced";

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

    /// <summary>The fault.journal-replaced recorded and not yet journaled; null when none is.</summary>
    /// <returns>The fault, naming this database's path.</returns>
    /// <exception cref="JournalException">SQLite reported an error.</exception>
    internal JournalReplaced? PendingFault() => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT pending_fault_at, pending_fault_kept_at, pending_fault_problem FROM gateway_meta WHERE id = 1;";
        using var reader = command.ExecuteReader();
        return reader.Read() && !reader.IsDBNull(0) && !reader.IsDBNull(1) && !reader.IsDBNull(2)
            ? new JournalReplaced(DateTimeOffset.Parse(reader.GetString(0), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind), Path, reader.GetString(1), reader.GetString(2))
            : null;
    });

    /// <summary>Records <paramref name="fault"/> as pending in <paramref name="transaction"/>; null clears it.</summary>
    internal static void SetPendingFault(SqliteTransaction transaction, JournalReplaced? fault)
    {
        using var command = Command(transaction, "UPDATE gateway_meta SET pending_fault_at = $at, pending_fault_kept_at = $kept, pending_fault_problem = $problem WHERE id = 1;");
        command.Parameters.AddWithValue("$at", fault is null ? DBNull.Value : EventDataWriter.Iso(fault.At));
        command.Parameters.AddWithValue("$kept", (object?)fault?.KeptAt ?? DBNull.Value);
        command.Parameters.AddWithValue("$problem", (object?)fault?.Problem ?? DBNull.Value);
        command.ExecuteNonQuery();
    }
}
