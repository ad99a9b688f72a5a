using System.Globalization;
using EdgeGuard.Core.Lockdown;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// Where the seqs of a journal that is not the one the last run wrote start (JournalOpener): a fresh
// journal in place of a damaged one, the volatile fallback, or the real journal back after the
// fallback ran. Each must never reuse a seq the office may have seen, and cannot read the last one
// from the file the office's seqs came from, so its opener raises the durable reservation
// (gateway_meta.reserved_through) past them before the journal starts. The journal then does what
// it does for any reservation it finds above the last commit: skips it and declares it with a
// journal.gap as its first row, with the cause given here. The MQTT session counter gets a floor
// the same way and for the same reason: the office may ignore a will of an earlier session, so a
// new journal counting from 0 again would make a real offline look stale (docs/mqtt.asyncapi.yaml).
public sealed partial class JournalDatabase
{
    /// <summary>
    /// Why the opener raised this database's reservation
    /// (<see cref="RaiseFloors(long, long, JournalGapCause)"/>), for the journal.gap that
    /// declares it; null when it did not, and a reservation found above the last commit is the
    /// previous run's (<see cref="JournalGapCause.UncleanShutdown"/>).
    /// </summary>
    public JournalGapCause? StartGapCause { get; private set; }

    /// <summary>
    /// The highest seq this database has given or may have given out: its last commit, its
    /// reservation, its delivery cursor. A journal that takes over from this one starts above it.
    /// </summary>
    /// <returns>The highest seq; 0 for a new journal.</returns>
    /// <exception cref="JournalException">SQLite reported an error.</exception>
    public long SeqTop() => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT max(
                coalesce((SELECT last_seq FROM gateway_meta WHERE id = 1), 0),
                coalesce((SELECT reserved_through FROM gateway_meta WHERE id = 1), 0),
                coalesce((SELECT max(seq) FROM events), 0),
                coalesce((SELECT delivered_through FROM outbox WHERE id = 1), 0));
            """;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    });

    /// <summary>
    /// How many stored events of this database the broker has not acknowledged: those a journal
    /// that takes over from it will not deliver. Rows, not seqs: a journal.gap declares seqs that
    /// hold no event (a new journal's declares nearly 2 × 10^15), and is not counted either.
    /// </summary>
    /// <returns>Stored events above the delivery cursor.</returns>
    public long Undelivered() => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT count(*) FROM events
            WHERE seq > coalesce((SELECT delivered_through FROM outbox WHERE id = 1), 0)
              AND type <> 'journal.gap';
            """;
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    });

    /// <summary>
    /// Makes <paramref name="seqThrough"/> the lowest seq this journal never gives out and
    /// <paramref name="sessionThrough"/> the lowest MQTT session it never hands out again: raises
    /// the durable reservation and the session counter to them (never lowers either), committed
    /// before this returns, so the next start skips them even if this one ends before its first
    /// commit. The journal opened next on this database declares a raised seq range with a
    /// journal.gap of <paramref name="cause"/>; its next session is above
    /// <paramref name="sessionThrough"/>, so the office, which may ignore a will of an earlier
    /// session, never takes this journal's for one.
    /// </summary>
    /// <param name="seqThrough">The last seq to skip.</param>
    /// <param name="sessionThrough">The last session to count as handed out.</param>
    /// <param name="cause">Why: a new journal, or the real one back after the fallback.</param>
    /// <exception cref="JournalException">SQLite reported an error; nothing was changed.</exception>
    public void RaiseFloors(long seqThrough, long sessionThrough, JournalGapCause cause) =>
        RaiseFloors(seqThrough, sessionThrough, cause, alongside: null);

    // The same, with what a takeover carries over written in the same transaction: committed
    // together, so a crash never leaves the floors raised (the volatile journal then looks stale
    // to the next start) without what came with them.
    internal void RaiseFloors(long seqThrough, long sessionThrough, JournalGapCause cause, Action<SqliteTransaction>? alongside)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(seqThrough);
        ArgumentOutOfRangeException.ThrowIfNegative(sessionThrough);
        var seqRaised = InTransaction(transaction =>
        {
            alongside?.Invoke(transaction);
            using var below = Command(transaction, "SELECT reserved_through < $seq FROM gateway_meta WHERE id = 1;");
            below.Parameters.AddWithValue("$seq", seqThrough);
            var raised = Convert.ToInt64(below.ExecuteScalar(), CultureInfo.InvariantCulture) == 1;
            using var command = Command(transaction, """
                UPDATE gateway_meta SET
                    reserved_through = max(reserved_through, $seq),
                    session = max(session, $session)
                WHERE id = 1;
                """);
            command.Parameters.AddWithValue("$seq", seqThrough);
            command.Parameters.AddWithValue("$session", sessionThrough);
            command.ExecuteNonQuery();
            return raised;
        });

        // Only a raised reservation has a gap to declare; one found above the last commit
        // otherwise is the previous run's (UncleanShutdown).
        if (seqRaised)
        {
            StartGapCause = cause;
        }
    }

    /// <summary>
    /// The saved MQTT session counter: the last session a start of this journal took.
    /// </summary>
    /// <returns>The counter; 0 for a new journal.</returns>
    /// <exception cref="JournalException">SQLite reported an error.</exception>
    public long SavedSession() => Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = SavedSessionSql;
        return (long)command.ExecuteScalar()!;
    });

    internal const string SavedSessionSql = "SELECT coalesce((SELECT session FROM gateway_meta WHERE id = 1), 0);";
}
