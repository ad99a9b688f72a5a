using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The ranges the journal.gap rows in the table declare, read once at the start (the writer adds
// the ones it declares itself: EventJournal.Tail.cs, GapDeclared). A gap row is stored like any
// row, so storage corruption or a hand edit can damage its data as any other's. That must stop
// neither the start nor delivery (README: "a stored row that cannot be read back stops neither
// delivery nor the gateway"): the row is read with SQLite's JSON functions guarded by json_valid
// and json_type, never with a bare json_extract (malformed JSON raised an error out of the
// constructor, and the host did not start) nor with GetInt64 on whatever came back (a field
// stored as text read as 0).
public sealed partial class EventJournal
{
    private const string ReadGapsSql = """
        SELECT g.seq,
               (SELECT max(p.seq) FROM events p WHERE p.seq < g.seq),
               CASE WHEN json_valid(g.data) THEN json_type(g.data, '$.fromSeq') END,
               CASE WHEN json_valid(g.data) THEN json_extract(g.data, '$.fromSeq') END,
               CASE WHEN json_valid(g.data) THEN json_type(g.data, '$.throughSeq') END,
               CASE WHEN json_valid(g.data) THEN json_extract(g.data, '$.throughSeq') END
        FROM events g WHERE g.type = 'journal.gap' ORDER BY g.seq;
        """;

    /// <summary>The skipped ranges this journal knows of, oldest first; for tests.</summary>
    internal IReadOnlyList<(long From, long Through)> DeclaredGaps
    {
        get
        {
            lock (_appendGate)
            {
                return [.. _gaps];
            }
        }
    }

    // Through the events_gaps index: a handful of rows, never a scan. A row whose range cannot be
    // read, or does not lie between the row before it and itself (where every gap row's range lies:
    // it is written as the row right after the seqs it skips), declares what the seq jump in front
    // of it shows: the seqs no row has between its predecessor and itself. That is the range it was
    // written for unless rows in that range were deleted too, and it counts no seq that has a row.
    // Caller: the constructor, before the writer starts.
    private void ReadDeclaredGaps(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = ReadGapsSql;
        using var rows = command.ExecuteReader();
        while (rows.Read())
        {
            var seq = rows.GetInt64(0);
            long? before = rows.IsDBNull(1) ? null : rows.GetInt64(1);
            var from = Integer(rows, 2);
            var through = Integer(rows, 4);
            if (from is { } f && through is { } t && f <= t && f > (before ?? 0) && t < seq)
            {
                _gaps.Add((f, t));
                continue;
            }

            string instead;
            if (before is { } b && b + 1 <= seq - 1)
            {
                _gaps.Add((b + 1, seq - 1));
                instead = string.Create(CultureInfo.InvariantCulture, $"seqs {b + 1} to {seq - 1}, the jump in front of it, are taken as its gap");
            }
            else
            {
                instead = "no row is in front of it with seqs missing between, so it declares nothing";
            }

            Report(JournalException.For(_database.Path, string.Create(
                CultureInfo.InvariantCulture,
                $"has a damaged journal.gap row: event {seq} (journal.gap) does not declare a range below it as fromSeq and throughSeq integers; {instead}. The journal starts and delivers it as it is.")));
        }
    }

    // The integer at column i, when json_type (column i) says it is one.
    private static long? Integer(SqliteDataReader rows, int i) =>
        !rows.IsDBNull(i) && rows.GetString(i) == "integer" ? rows.GetInt64(i + 1) : null;
}
