using System.Globalization;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// Where the seqs of a journal that is not the one the last run wrote start (JournalOpener): a fresh
// journal in place of a damaged one, the volatile fallback, or the real journal back after the
// fallback ran. Each must never reuse a seq the office may have seen, and cannot read the last one
// from the file the office's seqs came from, so its opener raises the durable reservation
// (gateway_meta.reserved_through) past them before the journal starts. The journal then does what
// it does for any reservation it finds above the last commit: skips it and declares it with a
// journal.gap as its first row, with the cause given here.
public sealed partial class JournalDatabase
{
    /// <summary>
    /// Why the opener raised this database's reservation (<see cref="RaiseSeqFloor"/>), for the
    /// journal.gap that declares it; null when it did not, and a reservation found above the last
    /// commit is the previous run's (<see cref="JournalGapCause.UncleanShutdown"/>).
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
    /// Makes <paramref name="through"/> the lowest seq this journal never gives out: raises the
    /// durable reservation to it (never lowers it), committed before this returns, so the next
    /// start skips it even if this one ends before its first commit. The journal opened next on
    /// this database declares the range with a journal.gap of <paramref name="cause"/>.
    /// </summary>
    /// <param name="through">The last seq to skip.</param>
    /// <param name="cause">Why: a new journal, or the real one back after the fallback.</param>
    /// <exception cref="JournalException">SQLite reported an error; nothing was changed.</exception>
    public void RaiseSeqFloor(long through, JournalGapCause cause)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(through);
        InTransaction(transaction =>
        {
            using var command = Command(transaction, """
                UPDATE gateway_meta SET reserved_through = max(reserved_through, $through) WHERE id = 1;
                """);
            command.Parameters.AddWithValue("$through", through);
            command.ExecuteNonQuery();
        });
        StartGapCause = cause;
    }
}
