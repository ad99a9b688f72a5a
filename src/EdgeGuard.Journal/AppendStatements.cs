using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

/// <summary>
/// The journal writer's statements (rows, gateway_meta, delivery cursor, journal-full episode), prepared once on
/// the shared connection and reused for every batch. Prepared per commit, SQLite's parser and
/// code generator ran twice for each event when events come one at a time, and that CPU competed
/// with the publisher and the broker.
/// </summary>
internal sealed class AppendStatements : IDisposable
{
    private const string InsertSql = """
        INSERT INTO events (seq, id, ts, mono, type, point, zone, severity, drill, data, prev_hash, hash)
        VALUES ($seq, $id, $ts, $mono, $type, $point, $zone, $severity, $drill, $data, $prev, $hash);
        """;

    private const string LastSeqSql = """
        INSERT INTO gateway_meta (id, session, last_seq, chain_head, reserved_through) VALUES (1, 0, $last, $head, $reserve)
        ON CONFLICT (id) DO UPDATE SET
            last_seq = max(gateway_meta.last_seq, excluded.last_seq),
            chain_head = excluded.chain_head,
            reserved_through = max(gateway_meta.reserved_through, excluded.reserved_through)
        RETURNING reserved_through;
        """;

    private const string CursorSql = """
        INSERT INTO outbox (id, delivered_through) VALUES (1, $seq)
        ON CONFLICT (id) DO UPDATE SET delivered_through = max(outbox.delivered_through, excluded.delivered_through);
        """;

    private const string EpisodeSql = """
        UPDATE gateway_meta SET full_dropped = $dropped, full_reason = $reason, full_since = $since WHERE id = 1;
        """;

    private readonly SqliteCommand _insert;
    private readonly SqliteParameter _seq, _id, _ts, _mono, _type, _point, _zone, _severity, _drill, _data, _prev, _hash;
    private readonly SqliteCommand _meta;
    private readonly SqliteParameter _last, _head, _reserve;
    private readonly SqliteCommand _cursor;
    private readonly SqliteParameter _delivered;
    private readonly SqliteCommand _episode;
    private readonly SqliteParameter _episodeDropped, _episodeReason, _episodeSince;

    public AppendStatements(SqliteConnection connection)
    {
        Connection = connection;
        _insert = connection.CreateCommand();
        _insert.CommandText = InsertSql;
        _seq = _insert.Parameters.Add("$seq", SqliteType.Integer);
        _id = _insert.Parameters.Add("$id", SqliteType.Text);
        _ts = _insert.Parameters.Add("$ts", SqliteType.Text);
        _mono = _insert.Parameters.Add("$mono", SqliteType.Integer);
        _type = _insert.Parameters.Add("$type", SqliteType.Text);
        _point = _insert.Parameters.Add("$point", SqliteType.Text);
        _zone = _insert.Parameters.Add("$zone", SqliteType.Text);
        _severity = _insert.Parameters.Add("$severity", SqliteType.Text);
        _drill = _insert.Parameters.Add("$drill", SqliteType.Integer);
        _data = _insert.Parameters.Add("$data", SqliteType.Text);
        _prev = _insert.Parameters.Add("$prev", SqliteType.Blob);
        _hash = _insert.Parameters.Add("$hash", SqliteType.Blob);
        _meta = connection.CreateCommand();
        _meta.CommandText = LastSeqSql;
        _last = _meta.Parameters.Add("$last", SqliteType.Integer);
        _head = _meta.Parameters.Add("$head", SqliteType.Blob);
        _reserve = _meta.Parameters.Add("$reserve", SqliteType.Integer);
        _cursor = connection.CreateCommand();
        _cursor.CommandText = CursorSql;
        _delivered = _cursor.Parameters.Add("$seq", SqliteType.Integer);
        _episode = connection.CreateCommand();
        _episode.CommandText = EpisodeSql;
        _episodeDropped = _episode.Parameters.Add("$dropped", SqliteType.Integer);
        _episodeReason = _episode.Parameters.Add("$reason", SqliteType.Text);
        _episodeSince = _episode.Parameters.Add("$since", SqliteType.Text);
    }

    /// <summary>The connection the statements are prepared on.</summary>
    public SqliteConnection Connection { get; }

    /// <summary>
    /// Inserts one batch's rows and moves the meta row with them, and the delivery cursor to
    /// <paramref name="deliveredThrough"/> when that is above 0; returns the reservation now durable.
    /// </summary>
    public long Insert(SqliteTransaction transaction, ChainedRow[] rows, byte[][] hashes, byte[] prev, long reserve, long deliveredThrough)
    {
        if (deliveredThrough > 0)
        {
            _cursor.Transaction = transaction;
            _delivered.Value = deliveredThrough;
            _cursor.ExecuteNonQuery();
        }

        _insert.Transaction = transaction;
        for (var i = 0; i < rows.Length; i++)
        {
            var row = rows[i];
            _seq.Value = row.Seq;
            _id.Value = row.Id;
            _ts.Value = row.Timestamp;
            _mono.Value = row.Monotonic;
            _type.Value = row.Type;
            _point.Value = (object?)row.Point ?? DBNull.Value;
            _zone.Value = (object?)row.Zone ?? DBNull.Value;
            _severity.Value = row.Severity;
            _drill.Value = row.Drill;
            _data.Value = row.Data;
            _prev.Value = i == 0 ? prev : hashes[i - 1];
            _hash.Value = hashes[i];
            _insert.ExecuteNonQuery();
        }

        _meta.Transaction = transaction;
        _last.Value = rows[^1].Seq;
        _head.Value = hashes[^1];
        _reserve.Value = reserve;
        return (long)_meta.ExecuteScalar()!;
    }

    /// <summary>
    /// Records the journal-full episode as <paramref name="dropped"/> (null: none open),
    /// <paramref name="reason"/> and <paramref name="since"/>, in the batch's transaction.
    /// </summary>
    public void SaveEpisode(SqliteTransaction transaction, long? dropped, string? reason, string? since)
    {
        _episode.Transaction = transaction;
        _episodeDropped.Value = (object?)dropped ?? DBNull.Value;
        _episodeReason.Value = (object?)reason ?? DBNull.Value;
        _episodeSince.Value = (object?)since ?? DBNull.Value;
        _episode.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _episode.Dispose();
        _insert.Dispose();
        _meta.Dispose();
        _cursor.Dispose();
    }
}
