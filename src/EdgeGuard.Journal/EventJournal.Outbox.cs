using System.Globalization;
using EdgeGuard.Core.Ports;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The outbox side, used by the MQTT publisher and the journal tools: reading records, the
// delivered-through cursor and waiting for new records (the session counter: .Session.cs).
public sealed partial class EventJournal
{
    /// <inheritdoc />
    /// <remarks>
    /// Queued events (the writer busy when they came) and the ones its round took but has not
    /// handed out yet. Not records handed out whose commit is held or hangs: those are readable.
    /// </remarks>
    public bool EventsWaiting
    {
        get
        {
            lock (_queueGate)
            {
                return _queue.Count > 0 || _takenUnreadable;
            }
        }
    }

    /// <summary>Records with <c>Seq &gt;= fromSeq</c>, oldest first, at most <paramref name="max"/> (for journal tail/export).</summary>
    /// <param name="fromSeq">First sequence number wanted.</param>
    /// <param name="max">Most records returned; at least 1.</param>
    /// <returns>The records, delivered or not.</returns>
    /// <exception cref="JournalException">SQLite failed or a stored row cannot be read back.</exception>
    /// <remarks>
    /// Not bounded by <see cref="LastSeq"/>: a tool may read a database another process is still
    /// appending to, and nothing acknowledges what it reads.
    /// </remarks>
    public IReadOnlyList<JournalRecord> Read(long fromSeq, int max) => Query(fromSeq, long.MaxValue, max, forDelivery: false);

    /// <summary>
    /// Advances the delivery cursor; never moves it backwards. Durable before returning. Waits for
    /// the database as long as it takes: for the journal tools and tests. Not on the port: the
    /// publisher, whose loop must not wait on a disk, only reports PUBACKs
    /// (<see cref="Acknowledged"/>) and the writer makes them durable (EventJournal.Cursor.cs).
    /// </summary>
    /// <remarks>
    /// May run ahead of <see cref="DurableSeq"/>: the broker can acknowledge a record before its
    /// commit ends. Harmless after a crash: a start skips every seq it cannot find (journal.gap), so
    /// a cursor past the committed rows points at nothing that would be sent again.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="seq"/> is negative or beyond <see cref="LastSeq"/>.</exception>
    /// <exception cref="JournalException">The cursor could not be committed; it stays where it was.</exception>
    public void MarkDelivered(long seq)
    {
        if (CursorWriteNeeded(seq))
        {
            var capturedAt = _time.GetTimestamp();
            _database.InTransaction(transaction => WriteCursor(transaction, seq));
            AdvanceDelivered(seq, capturedAt);
        }
    }

    // Validates seq; false when the durable cursor is already there.
    private bool CursorWriteNeeded(long seq)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(seq);
        var last = LastSeq;
        if (seq > last)
        {
            throw new ArgumentOutOfRangeException(nameof(seq), seq, string.Create(CultureInfo.InvariantCulture, $"Sequence number {seq} has not been journaled; the last one is {last}."));
        }

        return seq > DeliveredThrough;
    }

    private static void WriteCursor(SqliteTransaction transaction, long seq)
    {
        using var command = JournalDatabase.Command(transaction, """
            INSERT INTO outbox (id, delivered_through) VALUES (1, $seq)
            ON CONFLICT (id) DO UPDATE SET delivered_through = max(outbox.delivered_through, excluded.delivered_through);
            """);
        command.Parameters.AddWithValue("$seq", seq);
        command.ExecuteNonQuery();
    }

    // Moves the in-memory cursor to seq once it is durable (never back); 0 does nothing.
    // capturedAt: when the commit read the acknowledged prefix it wrote (a timestamp of _time).
    private void AdvanceDelivered(long seq, long capturedAt)
    {
        var current = Volatile.Read(ref _deliveredThrough);
        while (seq > current)
        {
            var seen = Interlocked.CompareExchange(ref _deliveredThrough, seq, current);
            if (seen == current)
            {
                break;
            }

            current = seen;
        }

        if (seq > current)
        {
            // Records that exist only in memory are kept until the cursor passes them.
            ReleasePinned(seq);
            CursorMoved(capturedAt);
        }

        if (seq > current && _isFull)
        {
            // Room may have returned: let the writer record the recovery without waiting for the
            // next event.
            lock (_queueGate)
            {
                _wake = true;
                Monitor.Pulse(_queueGate);
            }
        }
    }

    /// <inheritdoc />
    /// <exception cref="ObjectDisposedException">The journal was disposed before such a record arrived.</exception>
    /// <remarks>
    /// Waiting for the next record is the announcement's own signal, not an <c>async</c> method
    /// around it: the publisher's continuation runs on the announcing thread, right on the path
    /// from the edge to the office's PUBLISH, where every layer in between costs cold-cache time.
    /// </remarks>
    public Task WaitForRecordsAfterAsync(long afterSeq, CancellationToken cancellationToken)
    {
        Task signal;
        lock (_signalGate)
        {
            if (LastSeq > afterSeq)
            {
                return Task.CompletedTask;
            }

            if (Volatile.Read(ref _disposed) != 0)
            {
                return Task.FromException(new ObjectDisposedException(nameof(EventJournal)));
            }

            // Every announcement moves LastSeq: the next one reaches past afterSeq unless the
            // caller waits for a seq beyond the next.
            if (afterSeq > LastSeq)
            {
                return WaitForSeqAheadAsync(afterSeq, cancellationToken);
            }

            signal = _appended.Task;
        }

        return cancellationToken.CanBeCanceled ? signal.WaitAsync(cancellationToken) : signal;
    }

    private async Task WaitForSeqAheadAsync(long afterSeq, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task signal;
            lock (_signalGate)
            {
                if (LastSeq > afterSeq)
                {
                    return;
                }

                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
                signal = _appended.Task;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The journaled event with this id, or null (never journaled, aged out by retention, or in a
    /// range a journal.gap skipped and no longer in memory: delivered, or from before a restart).
    /// </summary>
    /// <exception cref="JournalException">SQLite failed or the stored row cannot be read back.</exception>
    /// <remarks>
    /// An index lookup (the id column is unique), then the in-memory tail: the office may hold an
    /// event whose commit is still running, or failed after it was handed out. Used for the
    /// office's acknowledgements.
    /// </remarks>
    public JournalRecord? FindById(Guid id)
    {
        lock (_readGate)
        {
            ObjectDisposedException.ThrowIf(_reader is null, this);
            try
            {
                using var command = _reader.CreateCommand();
                command.CommandText = $"SELECT {SelectColumns} FROM events WHERE id = $id;";
                command.Parameters.AddWithValue("$id", id.ToString("D"));
                using var reader = command.ExecuteReader();
                // As delivered: an acknowledgement of a journal.unreadable finds it by the stored id.
                return reader.Read() ? ReadRecord(reader, forDelivery: true) : FindInMemory(id);
            }
            catch (SqliteException ex)
            {
                throw JournalException.For(_database.Path, $"looking up event {id} failed: {ex.Message}", ex);
            }
        }
    }

    /// <summary>
    /// Whether a <c>{mode}.started</c> or <c>{mode}.retriggered</c> event, or a
    /// <c>lockdown.start-refused</c> that sounded the siren again (its data's
    /// <c>sirenRestarted</c>), was committed after <paramref name="seq"/>: false means the event
    /// at that seq is the latest alert the mode's siren sounds for. The decider asks this only
    /// after a restart, before any new alert, when every such event is from before the restart
    /// and so committed.
    /// </summary>
    /// <param name="seq">The seq of the start, retrigger or refusal the office acknowledges.</param>
    /// <param name="mode">The type's prefix, e.g. <c>lockdown</c>.</param>
    /// <param name="drill">
    /// The event's drill flag: only alerts of the same kind count. A real scenario read late, once
    /// the boot gave up on a slow card, is put back over a drill started since, and its siren
    /// sounds for the real alert before the restart, not for the drill's later start.
    /// </param>
    /// <exception cref="JournalException">SQLite failed.</exception>
    /// <remarks>
    /// A range scan of the key from <paramref name="seq"/>: the events since it. A refusal counts
    /// whatever the mode: only the running lockdown's siren is sounded again by one, and a
    /// scenario that started or resumed since is later than the alert anyway.
    /// </remarks>
    public bool HasStartOrRetriggerAfter(long seq, string mode, bool drill)
    {
        ArgumentException.ThrowIfNullOrEmpty(mode);
        lock (_readGate)
        {
            ObjectDisposedException.ThrowIf(_reader is null, this);
            try
            {
                using var command = _reader.CreateCommand();
                command.CommandText = "SELECT EXISTS (SELECT 1 FROM events WHERE seq > $seq AND drill = $drill AND (type IN ($started, $retriggered) "
                    + "OR (type = $refused AND json_extract(data, '$.sirenRestarted') = 1)));";
                command.Parameters.AddWithValue("$seq", seq);
                command.Parameters.AddWithValue("$drill", drill ? 1 : 0);
                command.Parameters.AddWithValue("$started", mode + ".started");
                command.Parameters.AddWithValue("$retriggered", mode + ".retriggered");
                command.Parameters.AddWithValue("$refused", RefusedType);
                return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) != 0;
            }
            catch (SqliteException ex)
            {
                throw JournalException.For(_database.Path, $"looking for a {mode} start after seq {seq} failed: {ex.Message}", ex);
            }
        }
    }

    private IReadOnlyList<JournalRecord> Query(long from, long through, int max, bool forDelivery)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        lock (_readGate)
        {
            ObjectDisposedException.ThrowIf(_reader is null, this);
            try
            {
                // One prepared statement, reused: the publisher calls this for every batch it sends.
                if (_readCommand is null)
                {
                    _readCommand = _reader.CreateCommand();
                    _readCommand.CommandText = $"SELECT {SelectColumns} FROM events WHERE seq >= $from AND seq <= $through ORDER BY seq LIMIT $max;";
                    _readCommand.Parameters.Add("$from", SqliteType.Integer);
                    _readCommand.Parameters.Add("$through", SqliteType.Integer);
                    _readCommand.Parameters.Add("$max", SqliteType.Integer);
                }

                _readCommand.Parameters[0].Value = from;
                _readCommand.Parameters[1].Value = through;
                _readCommand.Parameters[2].Value = max;
                using var reader = _readCommand.ExecuteReader();
                var records = new List<JournalRecord>(Math.Min(max, 1024));
                while (reader.Read())
                {
                    records.Add(ReadRecord(reader, forDelivery));
                }

                return records;
            }
            catch (SqliteException ex) when (forDelivery && SqliteCodes.IsCorrupt(ex))
            {
                return QueryEach(from, through, max, ex);
            }
            catch (SqliteException ex)
            {
                throw JournalException.For(_database.Path, $"reading events failed: {ex.Message}", ex);
            }
        }
    }
}
