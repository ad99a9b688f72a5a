namespace EdgeGuard.Journal;

// What the constructor reads of the database, read for the opener first (JournalOpener.Attempt).
// The open reads the file's header and schema only; a page under what a start reads (the
// journal.gap rows through events_gaps, the ends of events, gateway_meta, the outbox cursor, the
// retention clock) lost to the card passed it, and the constructor's SQLITE_CORRUPT then failed the
// host's start, which systemd restarted into the same failure: the site unprotected. Read by the
// open, it is decided there like any damage: moved aside once confirmed, or left in place and the
// volatile journal seeded from it. The same statements as the constructor's, so the two read the
// same pages; a start that reads more must read it here too.
public sealed partial class EventJournal
{
    private const string ReadHeadSql = """
        SELECT
            coalesce((SELECT last_seq FROM gateway_meta WHERE id = 1), 0),
            coalesce((SELECT max(seq) FROM events), 0),
            (SELECT min(seq) FROM events),
            coalesce((SELECT delivered_through FROM outbox WHERE id = 1), 0),
            coalesce((SELECT reserved_through FROM gateway_meta WHERE id = 1), 0),
            (SELECT chain_head FROM gateway_meta WHERE id = 1);
        """;

    /// <summary>
    /// Reads what a start of a journal on <paramref name="database"/> reads, and nothing more:
    /// whatever of it cannot be read throws as it would from the constructor.
    /// </summary>
    /// <exception cref="JournalException">SQLite reported an error (a damaged page: <see cref="JournalOpener.IsDamaged"/>).</exception>
    internal static void ReadAsAStart(JournalDatabase database)
    {
        database.Read(connection =>
        {
            foreach (var sql in new[] { ReadGapsSql, ReadHeadSql, ReadEpisodeSql, ReadClockSql })
            {
                using var command = connection.CreateCommand();
                command.CommandText = sql;
                using var rows = command.ExecuteReader();
                // Each step computes the whole row (the gap rows' JSON and the seq before each),
                // as the constructor's reads do.
                while (rows.Read())
                {
                }
            }

            return 0;
        });
        database.PendingFault();
    }
}
