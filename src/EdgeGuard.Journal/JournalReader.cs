using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

/// <summary>
/// A read-only view of a journal database for the tools (<c>journal verify/export/tail</c>). It
/// never creates, migrates or writes the file, so it can run beside a gateway that holds it (WAL
/// lets readers in while the gateway writes) and cannot change the evidence it examines.
/// </summary>
public sealed class JournalReader : IDisposable
{
    private const string Columns = "seq, id, ts, mono, type, point, zone, severity, drill, data, prev_hash, hash";

    private readonly SqliteConnection _connection;
    private readonly int _version;

    private JournalReader(string path, SqliteConnection connection, int version)
    {
        Path = path;
        _connection = connection;
        _version = version;
    }

    /// <summary>Full path of the database file.</summary>
    public string Path { get; }

    /// <summary>Opens <paramref name="path"/> read-only.</summary>
    /// <param name="path">The journal database (<c>edgeguard.db</c>).</param>
    /// <returns>The reader; dispose it to close the file.</returns>
    /// <exception cref="JournalException">
    /// The file does not exist, is not an EdgeGuard journal, has no hash chain yet (a gateway of
    /// this version has not opened it) or a newer schema than this build.
    /// </exception>
    public static JournalReader Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw JournalException.For(fullPath, "does not exist.");
        }

        JournalDatabase.RefuseOrphanedWal(fullPath); // SQLite would delete the WAL: JournalDatabase.OrphanedWal.cs

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        }.ToString());
        try
        {
            connection.Open();
            using (var pragma = connection.CreateCommand())
            {
                // A running gateway may hold the write lock for a batch; wait for it, briefly.
                pragma.CommandText = "PRAGMA busy_timeout=5000;";
                pragma.ExecuteNonQuery();
            }

            var applicationId = Convert.ToInt32(Scalar(connection, "PRAGMA application_id;"), CultureInfo.InvariantCulture);
            var version = Convert.ToInt32(Scalar(connection, "PRAGMA user_version;"), CultureInfo.InvariantCulture);
            if (applicationId != JournalSchema.ApplicationId)
            {
                throw JournalException.For(fullPath, "is not an EdgeGuard journal (wrong application_id).");
            }

            if (version > JournalSchema.CurrentVersion)
            {
                throw JournalException.NewerSchema(fullPath, string.Create(CultureInfo.InvariantCulture, $"has schema version {version}, newer than the {JournalSchema.CurrentVersion} this build understands."));
            }

            if (version < ChainSchemaVersion)
            {
                throw JournalException.For(fullPath, string.Create(CultureInfo.InvariantCulture, $"has schema version {version}, from before the hash chain (version {ChainSchemaVersion}); the gateway upgrades it when it next starts. The tools never migrate a journal."));
            }

            return new JournalReader(fullPath, connection, version);
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw JournalException.For(fullPath, $"cannot be read: {ex.Message}", ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>The schema version that added the hash chain.</summary>
    internal const int ChainSchemaVersion = 8;

    // gateway_meta.reserved_through (the early hand-off's seq reservation) exists from this version.
    private const int ReservationSchemaVersion = 11;

    /// <summary>
    /// Runs <paramref name="work"/> inside one read transaction: everything it reads is one
    /// consistent snapshot, however much the gateway appends or deletes meanwhile.
    /// </summary>
    /// <typeparam name="T">What the work produces.</typeparam>
    /// <param name="work">Reads through this reader.</param>
    /// <returns>What <paramref name="work"/> returned.</returns>
    /// <exception cref="JournalException">SQLite failed.</exception>
    public T InSnapshot<T>(Func<JournalReader, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            using var transaction = _connection.BeginTransaction(deferred: true);
            var result = work(this);
            transaction.Commit();
            return result;
        }
        catch (SqliteException ex)
        {
            throw JournalException.For(Path, $"reading failed: {ex.Message}", ex);
        }
    }

    /// <summary>The chain's bookkeeping in <c>gateway_meta</c> and the delivery cursor.</summary>
    /// <returns>The values as stored.</returns>
    public JournalMeta ReadMeta()
    {
        using var command = _connection.CreateCommand();
        // reserved_through came with schema 11; a file from before has no reservation.
        command.CommandText = $"""
            SELECT m.last_seq, coalesce((SELECT delivered_through FROM outbox WHERE id = 1), 0),
                   m.chain_start, m.chain_anchor_seq, m.chain_anchor_hash, m.chain_head,
                   {(_version >= ReservationSchemaVersion ? "m.reserved_through" : "0")}
            FROM gateway_meta m WHERE m.id = 1;
            """;
        using var reader = Execute(command);
        if (!reader.Read())
        {
            throw JournalException.For(Path, "has no gateway_meta row: the chain's anchor and head are missing.");
        }

        return new JournalMeta(
            reader.GetInt64(0),
            reader.GetInt64(1),
            reader.GetInt64(2),
            reader.GetInt64(3),
            reader.IsDBNull(4) ? null : (byte[])reader.GetValue(4),
            reader.IsDBNull(5) ? null : (byte[])reader.GetValue(5),
            reader.GetInt64(6));
    }

    /// <summary>Rows with <c>seq &gt;= fromSeq</c> in seq order, streamed (a million rows are never all in memory).</summary>
    /// <param name="fromSeq">First seq wanted.</param>
    /// <returns>The rows as stored.</returns>
    public IEnumerable<StoredEvent> ReadFrom(long fromSeq)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM events WHERE seq >= $from ORDER BY seq;";
        command.Parameters.AddWithValue("$from", fromSeq);
        using var reader = Execute(command);
        while (Next(reader))
        {
            yield return ReadRow(reader);
        }
    }

    /// <summary>
    /// Most rows one page of <see cref="ExportFrom"/> reads (about 300 KB): small enough that its
    /// read transaction is over in milliseconds, large enough that the pages cost nothing.
    /// </summary>
    internal int ExportPageSize { get; set; } = 1000;

    /// <summary>
    /// The rows with <c>seq &gt;= fromSeq</c> that were in the table when the export began, in seq
    /// order, read in pages of <see cref="ExportPageSize"/> rows, each page in its own short read
    /// transaction that has ended before its first row is handed out. For <c>journal export</c> and <c>journal tail --follow</c>.
    /// </summary>
    /// <param name="fromSeq">First seq wanted.</param>
    /// <returns>The rows as stored.</returns>
    /// <remarks>
    /// <para>
    /// Not one snapshot, on purpose: an export streams to a pipe that may stall for as long as the
    /// person at the other end likes, and a read transaction held that long keeps every
    /// checkpoint from resetting the gateway's WAL, which then grows by every commit until the
    /// card is full. Here no read transaction outlives the reading of one page.
    /// </para>
    /// <para>
    /// Consistent enough for an audit export: pages are keyed by seq (the next one starts after
    /// the last seq handed out), so no row comes twice or out of order, and the export ends at the
    /// highest seq stored when it began, so rows appended meanwhile are left for the next export.
    /// Rows are never changed after they are written, so every row comes as stored. What a
    /// snapshot would have kept and this does not: a row retention deletes (delivered and too old,
    /// or over the record limit) after the export began and before its page was read is missing;
    /// the export's hash chain shows the jump (its next row's <c>prevHash</c> names a hash the
    /// export does not have), as <c>journal verify</c> does for any deleted row.
    /// </para>
    /// </remarks>
    public IEnumerable<StoredEvent> ExportFrom(long fromSeq)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ExportPageSize, 1);
        return Pages(fromSeq, ExportPageSize);
    }

    private IEnumerable<StoredEvent> Pages(long fromSeq, int pageSize)
    {
        var through = (long)Scalar(_connection, "SELECT coalesce(max(seq), 0) FROM events;");
        var next = fromSeq;
        while (next <= through)
        {
            var page = ReadPage(next, through, pageSize);
            foreach (var stored in page)
            {
                yield return stored;
            }

            if (page.Count < pageSize)
            {
                yield break;
            }

            next = page[^1].Row.Seq + 1;
        }
    }

    // One page, read to the end (and its statement, with its implicit read transaction, finished)
    // before any of it is handed out.
    private List<StoredEvent> ReadPage(long fromSeq, long throughSeq, int max)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM events WHERE seq >= $from AND seq <= $through ORDER BY seq LIMIT $max;";
        command.Parameters.AddWithValue("$from", fromSeq);
        command.Parameters.AddWithValue("$through", throughSeq);
        command.Parameters.AddWithValue("$max", max);
        var page = new List<StoredEvent>(Math.Min(max, 1024));
        using var reader = Execute(command);
        while (Next(reader))
        {
            page.Add(ReadRow(reader));
        }

        return page;
    }

    /// <summary>The newest <paramref name="count"/> rows, oldest first.</summary>
    /// <param name="count">How many; at least 1.</param>
    /// <returns>The rows as stored.</returns>
    public IReadOnlyList<StoredEvent> ReadLast(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        using var command = _connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM events ORDER BY seq DESC LIMIT $count;";
        command.Parameters.AddWithValue("$count", count);
        using var reader = Execute(command);
        var rows = new List<StoredEvent>();
        while (Next(reader))
        {
            rows.Add(ReadRow(reader));
        }

        rows.Reverse();
        return rows;
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _connection.Dispose();

    private SqliteDataReader Execute(SqliteCommand command)
    {
        try
        {
            return command.ExecuteReader();
        }
        catch (SqliteException ex)
        {
            throw JournalException.For(Path, $"reading failed: {ex.Message}", ex);
        }
    }

    private bool Next(SqliteDataReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (SqliteException ex)
        {
            throw JournalException.For(Path, $"reading failed: {ex.Message}", ex);
        }
    }

    // Values are taken as stored, never parsed: verify must hash exactly what is on disk, and
    // export must show a tampered row as it is rather than fail on it. STRICT guarantees the types.
    private static StoredEvent ReadRow(SqliteDataReader reader) => new(
        new ChainedRow(
            reader.GetInt64(0),
            reader.GetString(1),
            reader.GetString(2),
            reader.GetInt64(3),
            reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5),
            reader.IsDBNull(6) ? null : reader.GetString(6),
            reader.GetString(7),
            reader.GetInt64(8),
            reader.GetString(9)),
        reader.IsDBNull(10) ? null : (byte[])reader.GetValue(10),
        reader.IsDBNull(11) ? null : (byte[])reader.GetValue(11));

    private static object Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar()!;
    }
}

/// <summary>One <c>events</c> row as stored: its hashed values and its two hashes (null before the chain started).</summary>
/// <param name="Row">The values the hash covers.</param>
/// <param name="PrevHash">The stored <c>prev_hash</c>.</param>
/// <param name="Hash">The stored <c>hash</c>.</param>
public sealed record StoredEvent(ChainedRow Row, byte[]? PrevHash, byte[]? Hash);

/// <summary>The chain's bookkeeping as stored in <c>gateway_meta</c>, with the delivery cursor.</summary>
/// <param name="LastSeq">Highest seq ever appended (<c>last_seq</c>, written with every append).</param>
/// <param name="DeliveredThrough">Highest seq the office acknowledged.</param>
/// <param name="ChainStart">First seq written with a hash (rows before it predate the chain).</param>
/// <param name="AnchorSeq">Seq of the row the chain continues from (the last deleted row, or <c>ChainStart - 1</c>).</param>
/// <param name="AnchorHash">That row's hash (genesis before any retention).</param>
/// <param name="Head">Hash of the newest row appended.</param>
/// <param name="ReservedThrough">
/// Highest seq the gateway may have handed to the office before committing it; above
/// <paramref name="LastSeq"/> after an unclean stop the gateway has not yet started from (0 before schema 11).
/// </param>
public sealed record JournalMeta(long LastSeq, long DeliveredThrough, long ChainStart, long AnchorSeq, byte[]? AnchorHash, byte[]? Head, long ReservedThrough = 0);
