using System.Globalization;
using EdgeGuard.Core.Ports;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// A delivery range read that SQLite refuses as corrupt (a damaged page in the file's structure) is
// read again row by row, so that the rows it can still reach are delivered and each row it cannot
// read becomes a journal.unreadable (EventJournal.Unreadable.cs). Each step finds the next row that
// exists with one seek of the key, never by trying every seq in turn: after a declared gap the
// range spans up to ~10^15 seqs no row has (a fallback-journal floor; a new journal starts at 1
// below one), and trying each of them held _readGate practically forever with one damaged page
// among the last undelivered rows, so that no later event (a lockdown, a fire) reached the office
// while the gateway looked online. The seek can meet the damaged page itself; then SQLite's index
// of event ids, on pages of its own, says which seqs have a row, and each of those that cannot be
// read is still a journal.unreadable: never silently skipped. When that index is damaged too, the
// key range the seek cannot pass is found by probing (about 2 × 50 seeks at most) and declared by
// one journal.unreadable at its end; the seqs before it in that range are a jump the office
// reports as lost events. Caller holds _readGate.
public sealed partial class EventJournal
{
    // SQLite's own index for events.id UNIQUE: each entry holds its row's seq (the rowid).
    private const string IdIndex = "sqlite_autoindex_events_1";

    private SqliteCommand? _readOneCommand;
    private SqliteCommand? _nextSeqCommand;

    private List<JournalRecord> QueryEach(long from, long through, int max, SqliteException damage)
    {
        Report(JournalException.For(_database.Path, $"reading events {from}..{through} failed: {damage.Message}; reading them one by one", damage));
        var records = new List<JournalRecord>();
        // Set once the seek failed: the seqs that have a row, from the id index, in order.
        Queue<long>? listed = null;
        var next = from;
        while (records.Count < max && next <= through)
        {
            long seq;
            if (listed is not null)
            {
                if (!listed.TryDequeue(out seq))
                {
                    break;
                }
            }
            else
            {
                try
                {
                    if (NextSeq(next, through) is not { } found)
                    {
                        break;
                    }

                    seq = found;
                }
                catch (SqliteException ex) when (SqliteCodes.IsCorrupt(ex))
                {
                    listed = ListedSeqs(next, through, max - records.Count);
                    if (listed is null)
                    {
                        var end = SeekableFrom(next, through) - 1;
                        records.Add(UnreadableAt(end, $"cannot be read, nor which seqs from {next} on have an event (the table and its index of ids are damaged there): {ex.Message}"));
                        next = end + 1;
                    }

                    continue;
                }
            }

            records.Add(ReadOne(seq));
            next = seq + 1;
        }

        return records;
    }

    // The lowest seq in from..through that has a row, null when none has; one seek of the key.
    private long? NextSeq(long from, long through)
    {
        if (_nextSeqCommand is null)
        {
            _nextSeqCommand = _reader!.CreateCommand();
            _nextSeqCommand.CommandText = "SELECT seq FROM events WHERE seq >= $from AND seq <= $through ORDER BY seq LIMIT 1;";
            _nextSeqCommand.Parameters.Add("$from", SqliteType.Integer);
            _nextSeqCommand.Parameters.Add("$through", SqliteType.Integer);
        }

        _nextSeqCommand.Parameters[0].Value = from;
        _nextSeqCommand.Parameters[1].Value = through;
        try
        {
            return _nextSeqCommand.ExecuteScalar() is long seq ? seq : null;
        }
        catch (SqliteException ex) when (!SqliteCodes.IsCorrupt(ex))
        {
            throw JournalException.For(_database.Path, $"looking for the event after {from - 1} failed: {ex.Message}", ex);
        }
    }

    // The seqs in from..through that have a row (at most max, in order) as the id index lists
    // them, without the table's damaged pages; null when the index is damaged too. A scan of the
    // whole index, one entry per row: paid only while a damaged page lies in the range.
    private Queue<long>? ListedSeqs(long from, long through, int max)
    {
        try
        {
            using var command = _reader!.CreateCommand();
            command.CommandText = $"SELECT seq FROM events INDEXED BY {IdIndex} WHERE seq >= $from AND seq <= $through ORDER BY seq LIMIT $max;";
            command.Parameters.AddWithValue("$from", from);
            command.Parameters.AddWithValue("$through", through);
            command.Parameters.AddWithValue("$max", max);
            using var reader = command.ExecuteReader();
            var seqs = new Queue<long>();
            while (reader.Read())
            {
                seqs.Enqueue(reader.GetInt64(0));
            }

            return seqs;
        }
        catch (SqliteException ex) when (SqliteCodes.IsCorrupt(ex))
        {
            return null;
        }
        catch (SqliteException ex)
        {
            throw JournalException.For(_database.Path, $"listing events {from}..{through} by their ids failed: {ex.Message}", ex);
        }
    }

    // The lowest seq above from (at most through + 1) from which the key can be sought again: the
    // keys of the damaged page end below it. Steps doubling from from, then halving back: about
    // 2 × log2(through - from) seeks, never one per seq.
    private long SeekableFrom(long from, long through)
    {
        var failing = from;
        long seekable;
        for (var step = 1L; ; step *= 2)
        {
            var probe = through - failing < step ? through + 1 : failing + step;
            if (probe > through || Seekable(probe, through))
            {
                seekable = probe;
                break;
            }

            failing = probe;
        }

        while (seekable - failing > 1)
        {
            var middle = failing + ((seekable - failing) / 2);
            if (Seekable(middle, through))
            {
                seekable = middle;
            }
            else
            {
                failing = middle;
            }
        }

        return seekable;
    }

    private bool Seekable(long from, long through)
    {
        try
        {
            NextSeq(from, through);
            return true;
        }
        catch (SqliteException ex) when (SqliteCodes.IsCorrupt(ex))
        {
            return false;
        }
    }

    // The row at seq, which the key or the id index says is there: as stored, or a journal.unreadable.
    private JournalRecord ReadOne(long seq)
    {
        if (_readOneCommand is null)
        {
            _readOneCommand = _reader!.CreateCommand();
            _readOneCommand.CommandText = $"SELECT {SelectColumns} FROM events WHERE seq = $seq;";
            _readOneCommand.Parameters.Add("$seq", SqliteType.Integer);
        }

        _readOneCommand.Parameters[0].Value = seq;
        try
        {
            using var reader = _readOneCommand.ExecuteReader();
            return reader.Read()
                ? ReadRecord(reader, forDelivery: true)
                : UnreadableAt(seq, "cannot be read: its seq is listed, but the table has no row for it.");
        }
        catch (SqliteException ex) when (!SqliteCodes.IsCorrupt(ex))
        {
            throw JournalException.For(_database.Path, $"reading event {seq} failed: {ex.Message}", ex);
        }
        catch (SqliteException ex)
        {
            return UnreadableAt(seq, $"cannot be read: {ex.Message}");
        }
    }

    // Reported, and sent in the row's place; its id from the seq and this run's salt, since no
    // stored field can be read to derive it from.
    private JournalRecord UnreadableAt(long seq, string problem)
    {
        Report(Corrupt(seq, problem));
        return Unreadable(seq, problem, null, null, null, DerivedId(string.Create(CultureInfo.InvariantCulture, $"{UnreadableType}\n{seq}\n{_unreadableSalt}"), null), TimeSpan.Zero);
    }
}
