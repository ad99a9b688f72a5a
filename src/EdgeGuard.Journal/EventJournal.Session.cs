using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The MQTT session counter in gateway_meta.session: one per process start, on every birth and will.
public sealed partial class EventJournal
{
    /// <summary>
    /// Called inside the session counter's transaction, before its commit; lets a test make that
    /// commit fail as a full or failing disk does. Null in production.
    /// </summary>
    internal Action? BeforeSessionCommit { get; set; }

    /// <summary>
    /// How long <see cref="NextSession"/> waits for the journal's other writers before it hands out
    /// a value unsaved. A commit on a hung SD card holds the database for as long as the card
    /// hangs; the publisher's loop, which calls this at boot, then connects with that value (birth,
    /// state) instead of waiting for the card. Several ordinary commits' worth on a slow card.
    /// </summary>
    internal static readonly TimeSpan SessionWait = TimeSpan.FromSeconds(1);

    // A value NextSession handed out without saving it (0: none), and the one whose failed save
    // was last reported; the writer saves it (SaveOwedSession). Read and written with Interlocked:
    // the publisher's thread sets it, the writer's clears it.
    private long _owedSession;
    private long _owedReported;

    /// <summary>
    /// Increments and returns the persisted session counter (1 on a new gateway). The MQTT
    /// publisher takes one per process start, and every connection of that process carries it on
    /// its birth and will messages: a new value means a restart, the same one a reconnect.
    /// </summary>
    /// <returns>The new session number.</returns>
    /// <remarks>
    /// <para>
    /// On a database that cannot be written (<see cref="JournalDatabase.IsReadOnly"/>) it returns the
    /// persisted counter + 1 without saving it, the same on every call: the office still gets the
    /// gateway's birth, retained state and will, where a counter that must be saved first would keep
    /// the publisher from ever connecting. The cost: a second start on the same read-only file
    /// repeats that value.
    /// </para>
    /// <para>
    /// For the same reason a commit that fails because the disk cannot take it (full, an I/O error,
    /// read-only) does not throw: the call returns the saved counter + 1 (or one more than a value
    /// it handed out unsaved before) without saving it, tells <c>onError</c>, and the writer
    /// thread saves it as soon as a write succeeds. The value never goes below one handed out
    /// before, so a will of an earlier start never looks newer than a birth; it repeats only when a
    /// later start also cannot save before any save succeeded (the README, "The session counter").
    /// </para>
    /// </remarks>
    /// <exception cref="JournalException">
    /// The counter could not be committed for another reason: a database another process holds
    /// (busy), or one that cannot be read either. Nothing was saved; the publisher tries again
    /// with backoff. Another write of this process holding it past <see cref="SessionWait"/> (a
    /// commit on a hung disk) is not one: the value is handed out unsaved, as for a full disk.
    /// </exception>
    public long NextSession() => NextSessionAbove(0);

    /// <summary>
    /// As <see cref="NextSession"/>, but above <paramref name="floor"/>: the publisher found the
    /// broker's retained availability at a session its journal had not reached (a journal
    /// restored from an older copy) and takes one the office has not seen. Saved, so the next
    /// start counts on from it.
    /// </summary>
    /// <param name="floor">The highest session known to be used.</param>
    /// <returns>The new session number, above both the saved counter and <paramref name="floor"/>.</returns>
    /// <exception cref="JournalException">As <see cref="NextSession"/>.</exception>
    public long NextSessionAbove(long floor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(floor);
        if (_database.IsReadOnly)
        {
            return Math.Max(SavedSession(), floor) + 1;
        }

        var wasOwed = Interlocked.Read(ref _owedSession);
        var owed = Math.Max(wasOwed, floor);
        try
        {
            var session = _database.InTransactionWaitingAtMost(SessionWait, transaction =>
            {
                using var command = JournalDatabase.Command(transaction, """
                    INSERT INTO gateway_meta (id, session, last_seq) VALUES (1, $owed + 1, 0)
                    ON CONFLICT (id) DO UPDATE SET session = max(gateway_meta.session, $owed) + 1
                    RETURNING session;
                    """);
                command.Parameters.AddWithValue("$owed", owed);
                var session = (long)command.ExecuteScalar()!;
                BeforeSessionCommit?.Invoke();
                return session;
            });
            Interlocked.CompareExchange(ref _owedSession, 0, wasOwed); // saved past it
            return session;
        }
        catch (JournalException ex) when (CannotWrite(ex) || HeldPastTheWait(ex))
        {
            // Held past the wait (a commit on a hung card): the saved value is read on a reader
            // connection of its own, which waits for no writer, and the gateway connects now,
            // birth and state included, instead of retrying until the card answers.
            var saved = HeldPastTheWait(ex) ? SavedSessionWithoutTheWriter() : SavedSession();
            var session = Math.Max(saved, owed) + 1;
            Interlocked.Exchange(ref _owedSession, session);
            Report(JournalException.For(_database.Path, string.Create(
                CultureInfo.InvariantCulture,
                $"could not save the MQTT session counter ({ex.InnerException?.Message ?? ex.Message}): session {session} is used unsaved, and saved as soon as the journal can write."), ex));
            return session;
        }
    }

    // On the writer thread after every round: saves a session value NextSession handed out
    // unsaved. Its own failures are its own: they never count a committed batch as dropped.
    // Reported once per value, not every round of a disk that stays full.
    private void SaveOwedSession()
    {
        var owed = Interlocked.Read(ref _owedSession);
        if (owed == 0)
        {
            return;
        }

        try
        {
            _database.InTransaction(transaction =>
            {
                using var command = JournalDatabase.Command(transaction, """
                    INSERT INTO gateway_meta (id, session, last_seq) VALUES (1, $owed, 0)
                    ON CONFLICT (id) DO UPDATE SET session = max(gateway_meta.session, $owed);
                    """);
                command.Parameters.AddWithValue("$owed", owed);
                command.ExecuteNonQuery();
                BeforeSessionCommit?.Invoke();
            });
            Interlocked.CompareExchange(ref _owedSession, 0, owed);
        }
        catch (Exception ex) when (IsWriteFailure(ex))
        {
            if (Interlocked.Exchange(ref _owedReported, owed) != owed)
            {
                Report(ex);
            }
        }
    }

    // The disk cannot take a write (full, I/O error, read-only); not a busy lock, which passes.
    private static bool CannotWrite(JournalException ex) =>
        ex.InnerException is SqliteException sqlite
        && SqliteCodes.Primary(sqlite) is SqliteCodes.Full or SqliteCodes.IoError or SqliteCodes.ReadOnly;

    // The bounded wait for the shared connection ran out (JournalDatabase.Bounded.cs): another
    // write of this process holds it, a commit on a hung disk.
    private static bool HeldPastTheWait(JournalException ex) => ex.InnerException is TimeoutException;

    // The saved counter on a connection of its own: in WAL mode it reads the committed row while
    // the writer is stuck inside a commit. Throws (busy: the publisher retries) if even that fails.
    private long SavedSessionWithoutTheWriter()
    {
        try
        {
            using var connection = _database.OpenBoundedReader(SessionWait);
            using var read = connection.CreateCommand();
            read.CommandText = JournalDatabase.SavedSessionSql;
            read.CommandTimeout = JournalDatabase.BoundedCommandTimeoutSeconds;
            return (long)read.ExecuteScalar()!;
        }
        catch (SqliteException ex)
        {
            throw _database.ReadFailed(ex);
        }
    }

    private long SavedSession() => _database.SavedSession();
}
