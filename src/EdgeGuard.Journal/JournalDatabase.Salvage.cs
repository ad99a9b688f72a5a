using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The card's journal that will not open for writing (a full card: the -shm cannot grow, a schema
// upgrade cannot be written) still holds the safety state its last run saved, readable. The
// opener seeds the new volatile journal with it (JournalOpener.Seed.cs): the gateway booted in
// Normal on the volatile journal, and the takeover when the card was back copied that Normal over
// the card's lockdown. Read the way read-only storage is read (JournalDatabase.ReadOnlyStorage.cs),
// never through the -shm: a private wal-index when the WAL holds frames (the last saves are
// there: the safety-state save never checkpoints), else the file alone. Nothing is written, so a
// full card is not touched. The same read takes what the office saw from it (the commands it had
// seen, its seqs and sessions: JournalDatabase.SalvageReplay.cs).
public sealed partial class JournalDatabase
{
    /// <summary>
    /// Reads what the journal at <paramref name="fullPath"/> holds for the volatile journal that
    /// replaces it, without writing anything, whatever schema from this build's down it has: its
    /// safety-state row, and what the office saw from it (JournalDatabase.SalvageReplay.cs).
    /// </summary>
    /// <param name="fullPath">The journal that will not open for writing.</param>
    /// <param name="timeout">The busy timeout.</param>
    /// <param name="now">The wall clock, for which seen commands are still inside their window.</param>
    /// <param name="shared">
    /// Another connection may be writing the file (the boot's open, given up on at its deadline,
    /// still upgrading the schema or replaying the WAL): read through the shared <c>-shm</c> with
    /// SQLite's locks, which in WAL mode a writer's transaction does not block, and which keep its
    /// checkpoint from rewriting pages under the read. The lock-free ways a full card is read
    /// could see a page half old, half new then. Only where the <c>-wal</c> cannot be opened so
    /// (none there: nothing writes it) is the file read as for a full card.
    /// </param>
    /// <returns>What was read.</returns>
    /// <exception cref="JournalException">It cannot be read, or is not an EdgeGuard journal.</exception>
    internal static SalvagedJournal ReadSalvage(string fullPath, TimeSpan timeout, DateTimeOffset now, bool shared = false)
    {
        JournalDatabase? database = null;
        try
        {
            if (shared)
            {
                try
                {
                    database = OpenReadOnlyAs(fullPath, timeout, JournalReadOnlyAccess.SharedWalIndex, olderSchema: true);
                }
                catch (SqliteException ex) when (SqliteCodes.Primary(ex) == SqliteCodes.CantOpen)
                {
                }
            }

            database ??= OpenReadOnlyAs(fullPath, timeout, HasWalFrames(fullPath) ? JournalReadOnlyAccess.PrivateWalIndex : JournalReadOnlyAccess.FileOnly, olderSchema: true);
        }
        catch (SqliteException ex)
        {
            throw Translate(fullPath, ex, "could not be read read-only");
        }

        using (database)
        {
            return database.Read(connection =>
            {
                var version = Convert.ToInt32(Scalar<long>(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
                // Each part on its own: a damaged page under the replay store must not cost the
                // lockdown, which is what the seed is for first; nor one under safety_state the
                // card's seqs, session and seen commands. A damaged page under seen_commands cost
                // the card's seqs and session with it, and with a clock behind the card's the
                // volatile journal started below what the office saw (and a takeover back in the
                // same boot took it for stale, dropping a lockdown started on it).
                var (row, rowProblem) = Attempt(() => ReadSafetyStateRow(connection));
                var (seen, seenProblem) = Attempt(() => ReadSeenCommands(connection, now));
                var (seqTop, seqTopProblem, seqTopPartial) = ReadSeqTop(connection);
                var (session, sessionProblem) = Attempt(() => ReadSession(connection));
                return new SalvagedJournal(row, version, seen, seqTop, session)
                {
                    SafetyStateProblem = rowProblem,
                    SeenProblem = seenProblem,
                    SeqTopProblem = seqTopProblem,
                    SeqTopPartial = seqTopPartial,
                    SessionProblem = sessionProblem,
                };
            });
        }
    }

    // One part of the salvage read: its value, or the default and why it could not be read.
    private static (T? Value, string? Problem) Attempt<T>(Func<T> read)
    {
        try
        {
            return (read(), null);
        }
        catch (SqliteException ex)
        {
            return (default, ex.Message);
        }
    }

    private static IReadOnlyList<KeyValuePair<string, object?>>? ReadSafetyStateRow(SqliteConnection connection)
    {
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT * FROM safety_state WHERE id = 1;";
        using var reader = read.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }

        var row = new List<KeyValuePair<string, object?>>(reader.FieldCount);
        for (var i = 0; i < reader.FieldCount; i++)
        {
            row.Add(new(reader.GetName(i), reader.IsDBNull(i) ? null : reader.GetValue(i)));
        }

        return row;
    }

    /// <summary>
    /// Writes what <see cref="ReadSalvage"/> read into this new journal, committed together: its
    /// safety-state row (below) and the commands it had seen (<see cref="SeenCommandsTakeOver.WriteIn"/>:
    /// an id this journal has already keeps the row further along, the replay clock goes on from the
    /// larger reading), so a start that ends before and seeds again writes the same.
    /// </summary>
    /// <exception cref="JournalException">SQLite reported an error; nothing was changed.</exception>
    internal void SeedFrom(SalvagedJournal salvaged) => InTransaction(transaction => WriteSeed(transaction, salvaged));

    /// <summary>
    /// The same in <paramref name="transaction"/>: a new journal made in place of a damaged one
    /// writes it with its floors (JournalOpener.ReplaceSeed.cs), so a kill leaves both or neither.
    /// </summary>
    internal static void WriteSeed(SqliteTransaction transaction, SalvagedJournal salvaged)
    {
        if (salvaged.SafetyStateRow is { } row)
        {
            WriteSafetyStateRow(transaction, row);
        }

        salvaged.Seen?.WriteIn(transaction);
    }

    // The row as this journal's safety-state row: the columns this schema has, the rest at the
    // defaults their migrations give (as the row of an older file would be after its upgrade).
    // Column names come from the file, so only names this schema has are written, quoted.
    private static void WriteSafetyStateRow(SqliteTransaction transaction, IReadOnlyList<KeyValuePair<string, object?>> row)
    {
        var known = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        using (var columns = Command(transaction, "SELECT name FROM pragma_table_info('safety_state');"))
        using (var reader = columns.ExecuteReader())
        {
            while (reader.Read())
            {
                known.Add(reader.GetString(0));
            }
        }

        var copied = row.Where(column => known.Contains(column.Key)).ToList();
        var names = string.Join(", ", copied.Select(column => "\"" + column.Key.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""));
        var values = string.Join(", ", copied.Select((_, i) => string.Create(CultureInfo.InvariantCulture, $"$v{i}")));
        using var delete = Command(transaction, "DELETE FROM safety_state;");
        delete.ExecuteNonQuery();
        using var insert = Command(transaction, $"INSERT INTO safety_state ({names}) VALUES ({values});");
        for (var i = 0; i < copied.Count; i++)
        {
            insert.Parameters.AddWithValue(string.Create(CultureInfo.InvariantCulture, $"$v{i}"), copied[i].Value ?? DBNull.Value);
        }

        insert.ExecuteNonQuery();
    }
}
