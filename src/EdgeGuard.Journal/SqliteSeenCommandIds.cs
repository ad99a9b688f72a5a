using EdgeGuard.Core;
using EdgeGuard.Core.Commands;

namespace EdgeGuard.Journal;

/// <summary>
/// <see cref="ISeenCommandIds"/> in the journal database (<c>seen_commands</c>, schema 9, with the
/// payload hash and final result since schema 12, forgotten by elapsed time too since schema 13):
/// what is recorded here survives a restart or a power cut, because <see cref="Record"/> and
/// <see cref="Finish"/> return only after a durable commit. Rows past their
/// <see cref="ReplayHorizon"/> are pruned in the same transaction as each record, so the table
/// holds the commands of about one <see cref="ReplayWindow"/> of running time.
/// </summary>
/// <remarks>
/// Goes through the database's shared connection, so it is serialised with the journal writer.
/// A failure throws <see cref="JournalException"/>: the caller must then refuse the command, since
/// an id that could not be remembered could be replayed. So does a wait for the connection longer
/// than <see cref="EffectiveWait"/> (a writer stuck in a commit on a hung card), caused by a
/// <see cref="TimeoutException"/>: then an authentic lockdown is carried out all the same, kept
/// from running twice by memory (<see cref="UnrecordedCommands"/>).
/// The <see cref="RunningClock"/> is persisted (<c>seen_commands_clock</c>) with every row written and
/// resumed from it at the first record after a restart: there is no monotonic link across a
/// restart, and counting from the persisted reading loses the time powered off, which only keeps
/// rows longer. It is read lazily rather than in the constructor so that a database fault refuses
/// commands (<see cref="CommandRejection.Unavailable"/>) instead of stopping the host.
/// </remarks>
public sealed class SqliteSeenCommandIds : ISeenCommandIds, IDisposable
{
    // The SQL form of ReplayHorizon.HasPassed: past the wall clock and past the replay clock.
    private const string PruneSql = "DELETE FROM seen_commands WHERE forget_after < $now AND keep_until < $elapsed;";
    private const string SelectSql = "SELECT payload_sha256, result, reason FROM seen_commands WHERE id = $id;";
    private const string InsertSql = "INSERT INTO seen_commands (id, forget_after, keep_until, payload_sha256, result, reason) VALUES ($id, $forget_after, $keep_until, $hash, $result, $reason);";
    private const string FinishSql = "UPDATE seen_commands SET result = $result, reason = $reason WHERE id = $id AND (result IS NULL OR result = 'started');";
    private const string StartSql = "UPDATE seen_commands SET result = 'started' WHERE id = $id AND result IS NULL;";
    private const string ClockSql = "SELECT elapsed_ms FROM seen_commands_clock WHERE id = 1;";
    // max(): another store over the same database (tests, tools) may have counted further; the
    // persisted reading never goes back.
    private const string SaveClockSql = """
        INSERT INTO seen_commands_clock (id, elapsed_ms) VALUES (1, $elapsed)
        ON CONFLICT (id) DO UPDATE SET elapsed_ms = max(seen_commands_clock.elapsed_ms, excluded.elapsed_ms);
        """;

    private readonly JournalDatabase _database;
    private readonly RunningClock _clock;

    // Find's own connection, opened at its first use: never the shared one, whose writer may be
    // stuck inside a commit on a hung card. Under _readLock.
    private readonly Lock _readLock = new();
    private Microsoft.Data.Sqlite.SqliteConnection? _reader;
    private bool _readerDisposed;

    /// <summary>Creates the store over an open journal database, forgetting by <see cref="TimeProvider.System"/>'s monotonic clock.</summary>
    public SqliteSeenCommandIds(JournalDatabase database)
        : this(database, TimeProvider.System)
    {
    }

    /// <summary>Creates the store over an open journal database, forgetting by <paramref name="time"/>'s monotonic clock.</summary>
    public SqliteSeenCommandIds(JournalDatabase database, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(database);
        _database = database;
        _clock = new RunningClock(time);
    }

    /// <summary>The least <see cref="Record"/>, <see cref="Start"/> and <see cref="Finish"/> wait for the journal's other writers.</summary>
    public static readonly TimeSpan MinWait = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The most they wait, however slow the disk: an SD card hung in fsync holds the journal writer
    /// inside its commit for minutes, and an office command waiting on it got no answer at all.
    /// Past the wait they throw, and the command is answered <c>unavailable</c> at once.
    /// </summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(5);

    /// <summary>A fixed wait for the database, set by tests; null: sized by the disk (<see cref="EffectiveWait"/>).</summary>
    internal TimeSpan? Wait { get; init; }

    /// <summary>
    /// How long the next write waits for the journal's other writers: ten typical transactions
    /// (<see cref="JournalDatabase.TypicalHold"/>), so a slow card's batch or retention is waited
    /// out in normal operation, within <see cref="MinWait"/> and <see cref="MaxWait"/>.
    /// </summary>
    internal TimeSpan EffectiveWait =>
        Wait ?? TimeSpan.FromTicks(Math.Clamp(10 * _database.TypicalHold.Ticks, MinWait.Ticks, MaxWait.Ticks));

    /// <summary>How long <see cref="Find"/> waits for another connection's lock (a WAL reader rarely meets one).</summary>
    public static readonly TimeSpan ReadWait = TimeSpan.FromSeconds(1);

    /// <summary>How many ids are remembered (tests and diagnostics).</summary>
    public long Count => _database.Read(connection =>
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) FROM seen_commands;";
        return (long)command.ExecuteScalar()!;
    });

    /// <inheritdoc />
    /// <exception cref="JournalException">The database could not be written.</exception>
    public SeenCommand Record(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final = null) =>
        RecordWaiting(EffectiveWait, id, payloadHash, window, now, final);

    /// <inheritdoc />
    /// <remarks>
    /// Waits for the journal's other writers at most <paramref name="wait"/> or
    /// <see cref="EffectiveWait"/>, whichever is shorter; no time left (zero or less) still takes
    /// the database if no one holds it. Like <see cref="EffectiveWait"/>, it bounds only that wait,
    /// not the commit itself.
    /// </remarks>
    /// <exception cref="JournalException">The database could not be written.</exception>
    public SeenCommand RecordWithin(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, TimeSpan wait) =>
        RecordWaiting(Shorter(wait, EffectiveWait), id, payloadHash, window, now, null);

    // The lesser of two waits, never below zero (TryEnterGate then only takes a free database).
    private static TimeSpan Shorter(TimeSpan wait, TimeSpan bound) =>
        wait <= TimeSpan.Zero ? TimeSpan.Zero : wait < bound ? wait : bound;

    private SeenCommand RecordWaiting(TimeSpan wait, string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(payloadHash);
        var seen = _database.InTransactionWaitingAtMost(wait, transaction =>
        {
            if (!_clock.IsRunning)
            {
                using var read = JournalDatabase.Command(transaction, ClockSql);
                _clock.Resume(TimeSpan.FromMilliseconds(read.ExecuteScalar() is long persisted ? persisted : 0));
            }

            // Saved only with a row written: a copy of a command recorded before (a redelivery,
            // or captured bytes republished for the command's whole lifetime) writes nothing, so
            // its commit costs no fsync. A reading not saved only keeps rows longer after a restart.
            void SaveClock(long reading)
            {
                using var save = JournalDatabase.Command(transaction, SaveClockSql);
                save.Parameters.AddWithValue("$elapsed", reading);
                save.ExecuteNonQuery();
            }

            // One reading for the prune, the new row and the persisted clock. Milliseconds are
            // rounded so that pruning can only come later: the clock and now down, keep_until up.
            var horizon = _clock.HorizonAt(now);
            var elapsed = horizon.Elapsed.Ticks / TimeSpan.TicksPerMillisecond;
            var keepUntil = (horizon.KeepUntil(window).Ticks + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;

            // Pruned first, with the same rule as the in-memory store: an id whose time is up
            // may be recorded afresh (the verifier has refused it as expired before asking).
            using (var prune = JournalDatabase.Command(transaction, PruneSql))
            {
                prune.Parameters.AddWithValue("$now", now.ToUnixTimeMilliseconds());
                prune.Parameters.AddWithValue("$elapsed", elapsed);
                prune.ExecuteNonQuery();
            }

            SeenCommand known;
            using (var select = JournalDatabase.Command(transaction, SelectSql))
            {
                select.Parameters.AddWithValue("$id", id);
                using var reader = select.ExecuteReader();
                if (!reader.Read())
                {
                    reader.Close();
                    SaveClock(elapsed);
                    Write(transaction, InsertSql, id, final, (window.Until, keepUntil), payloadHash);
                    return new SeenCommand(SeenStatus.New, null);
                }

                known = Known(reader, payloadHash);
            }

            if (known.Status == SeenStatus.Unfinished && final is not null)
            {
                SaveClock(elapsed);
                Write(transaction, FinishSql, id, final);
            }

            return known;
        });
        WarmReader();
        return seen;
    }

    // Opens and warms Find's connection once the store has answered: Find is asked when it did not
    // (a hung card), and opening a connection then reads the file's header, schema and index pages,
    // which could have to come from the card while the command handler waits. Read now, they are
    // in the page cache. A failure leaves it for Find to try, as before.
    private void WarmReader()
    {
        lock (_readLock)
        {
            if (_reader is not null || _readerDisposed)
            {
                return;
            }

            try
            {
                ReadCommitted("", []);
            }
            catch (Microsoft.Data.Sqlite.SqliteException)
            {
                _reader?.Dispose();
                _reader = null;
            }
            catch (JournalException)
            {
                _reader = null;
            }
        }
    }

    /// <summary>Whether <see cref="Find"/>'s connection is open (tests).</summary>
    internal bool ReaderOpen
    {
        get
        {
            lock (_readLock)
            {
                return _reader is not null;
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="JournalException">The database could not be written.</exception>
    public void Start(string id) => StartWaiting(EffectiveWait, id);

    /// <inheritdoc />
    /// <remarks>As <see cref="RecordWithin"/>: the shorter wait; none left still takes a free database.</remarks>
    /// <exception cref="JournalException">The database could not be written.</exception>
    public void StartWithin(string id, TimeSpan wait) => StartWaiting(Shorter(wait, EffectiveWait), id);

    private void StartWaiting(TimeSpan wait, string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        _database.InTransactionWaitingAtMost(wait, transaction =>
        {
            using var command = JournalDatabase.Command(transaction, StartSql);
            command.Parameters.AddWithValue("$id", id);
            return command.ExecuteNonQuery();
        });
    }

    /// <inheritdoc />
    /// <exception cref="JournalException">The database could not be written.</exception>
    public void Finish(string id, CommandFinal final)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(final);
        _database.InTransactionWaitingAtMost(EffectiveWait, transaction =>
        {
            Write(transaction, FinishSql, id, final);
            return true;
        });
    }

    /// <inheritdoc />
    /// <remarks>
    /// Reads the committed rows on a connection of its own, not the shared one: in WAL mode a
    /// reader waits for no writer, so it answers while the journal writer is stuck in a commit on
    /// a hung card, which is when it is asked. A row not yet committed reads as absent; that is
    /// only a command the store has not answered for either.
    /// </remarks>
    /// <exception cref="JournalException">The database could not be read within <see cref="ReadWait"/>.</exception>
    public SeenCommand? Find(string id, byte[] payloadHash)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(payloadHash);
        lock (_readLock)
        {
            ObjectDisposedException.ThrowIf(_readerDisposed, this);
            try
            {
                return ReadCommitted(id, payloadHash);
            }
            catch (Microsoft.Data.Sqlite.SqliteException ex)
            {
                throw _database.ReadFailed(ex);
            }
        }
    }

    // Under _readLock: the committed row for id on Find's own connection (opened at first use).
    private SeenCommand? ReadCommitted(string id, byte[] payloadHash)
    {
        _reader ??= _database.OpenBoundedReader(ReadWait);
        using var select = _reader.CreateCommand();
        select.CommandText = SelectSql;
        select.CommandTimeout = JournalDatabase.BoundedCommandTimeoutSeconds;
        select.Parameters.AddWithValue("$id", id);
        using var reader = select.ExecuteReader();
        return reader.Read() ? Known(reader, payloadHash) : null;
    }

    // A row of SelectSql against the payload received. The hash is NULL for a row recorded before
    // schema 12 (SeenCommand.Of: never "the same bytes").
    private static SeenCommand Known(Microsoft.Data.Sqlite.SqliteDataReader reader, byte[] payloadHash)
    {
        var storedHash = reader.IsDBNull(0) ? null : (byte[])reader.GetValue(0);
        var result = reader.IsDBNull(1) ? null : reader.GetString(1);
        var started = result == "started";
        var stored = result is null || started ? null : new CommandFinal(result == "done", reader.IsDBNull(2) ? null : reader.GetString(2));
        return SeenCommand.Of(storedHash, stored, started, payloadHash);
    }

    /// <summary>Closes <see cref="Find"/>'s connection; the journal database stays open.</summary>
    public void Dispose()
    {
        lock (_readLock)
        {
            _readerDisposed = true;
            _reader?.Dispose();
            _reader = null;
        }
    }

    private static void Write(
        Microsoft.Data.Sqlite.SqliteTransaction transaction, string sql, string id, CommandFinal? final,
        (DateTimeOffset ForgetAfter, long KeepUntilMs)? keep = null, byte[]? payloadHash = null)
    {
        using var command = JournalDatabase.Command(transaction, sql);
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$result", final is null ? DBNull.Value : final.Done ? "done" : "rejected");
        command.Parameters.AddWithValue("$reason", (object?)final?.Reason ?? DBNull.Value);
        if (keep is { } k)
        {
            command.Parameters.AddWithValue("$forget_after", k.ForgetAfter.ToUnixTimeMilliseconds());
            command.Parameters.AddWithValue("$keep_until", k.KeepUntilMs);
            command.Parameters.AddWithValue("$hash", payloadHash!);
        }

        command.ExecuteNonQuery();
    }
}
