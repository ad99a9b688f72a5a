using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Journal;

// The hand-off to the publisher. The writer (or, when it holds no queued events, the publishing
// thread: see EventJournal.Inline.cs) gives each record its seq and id in memory, puts it in this tail and
// announces it (LastSeq) *before* it is chained and committed, so the publisher
// sends it while SQLite runs its fsync: one commit costs as much as a whole broker round trip on a
// gateway's storage, and the office would otherwise wait for both in turn (docs/journal.md).
//
// What keeps that safe:
// - seqs are only handed out early while they are below gateway_meta.reserved_through, which each
//   batch raises in its own transaction: a seq the office may have seen is never given to another
//   event, even after a power cut;
// - a start that finds reserved seqs that were never committed, and a commit that fails after
//   its records were handed out, skip those seqs and journal journal.gap, chained like any row, so
//   the office and `journal verify` can tell a declared gap from a deletion;
// - the tail keeps the newest TailCapacity records, always including every one not yet
//   committed, and a record whose seq was skipped is pinned until delivered
//   (EventJournal.Pinned.cs), so a reader finds each announced seq in the tail, in SQLite or
//   among the pinned records.
public sealed partial class EventJournal
{
    /// <summary>
    /// How far past a batch's last seq its transaction reserves: the next batches (up to
    /// <see cref="MaxBatch"/> records each, plus the journal's own few) hand out seqs below it
    /// without waiting for their commit. At most this many seqs are skipped after a crash.
    /// </summary>
    public const int ReserveAhead = 4 * MaxBatch;

    /// <summary>Records kept in memory for the publisher; more than one batch, so nothing uncommitted is ever evicted.</summary>
    internal const int TailCapacity = 8 * MaxBatch;

    private readonly Lock _tailGate = new();
    private readonly JournalRecord[] _tail = new JournalRecord[TailCapacity];
    private long _tailFirst = 1;
    private int _tailCount;

    // The sequencing state (under _appendGate): the next seq to hand out, how far the durable
    // reservation reaches, a skipped range not yet declared by a journal.gap row (it always ends at
    // _nextSeq - 1), and the ranges the gap rows in the table declare (neither the journal-full
    // policy nor retention counts skipped seqs as records). The hash the next commit chains from
    // is the writer thread's alone: read in Transaction, written in Durable.
    private long _nextSeq;
    private byte[] _chainHead = JournalChain.Genesis.ToArray();
    private long _reserved;
    private (long From, JournalGapCause Cause)? _pendingGap;
    private readonly List<(long From, long Through)> _gaps = [];
    private long _durableSeq;

    /// <summary>
    /// Called right after a batch is announced (on the writer thread, or on the publishing thread
    /// for a batch handed out there), with its last seq: lets a test
    /// read what a publisher would be handed at that moment; null in production.
    /// </summary>
    internal Action<long>? AfterAnnounce { get; set; }

    /// <summary>
    /// Highest seq committed to SQLite (durable). <see cref="LastSeq"/> may be ahead of it by the
    /// batch being committed: those records are already in the publisher's hands.
    /// </summary>
    public long DurableSeq => Volatile.Read(ref _durableSeq);

    /// <inheritdoc />
    /// <remarks>
    /// Returns records with <c>max(afterSeq, 0) &lt; Seq &lt;= LastSeq</c>, oldest first: from
    /// memory when they are recent (committed or still being committed), else from SQLite. Seqs a
    /// journal.gap skipped have no record. Pass <see cref="DeliveredThrough"/> to get the
    /// undelivered ones. Every seq it returns is one <see cref="MarkDelivered"/> accepts. A stored
    /// row that cannot be read back comes as a <see cref="UnreadableType"/> record in its place
    /// (EventJournal.Unreadable.cs), so one corrupt row never stops delivery.
    /// </remarks>
    /// <exception cref="JournalException">SQLite failed.</exception>
    public IReadOnlyList<JournalRecord> ReadAfter(long afterSeq, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        // LastSeq is read first and bounds both sources: a record announced after this read is
        // returned by the next call, which the announcement's signal brings about anyway.
        var through = LastSeq;
        if (afterSeq >= through)
        {
            return [];
        }

        var from = Math.Max(afterSeq, 0) + 1;
        while (true)
        {
            long tailFirst;
            List<JournalRecord>? pinned;
            lock (_tailGate)
            {
                tailFirst = _tailFirst;
                if (from >= tailFirst)
                {
                    return TailFrom(from, through, max);
                }

                // Taken before the query: a record pinned later was still in the tail here.
                pinned = PinnedIn(from, Math.Min(through, tailFirst - 1), max);
            }

            // Older than the tail: those are committed, or were skipped, and SQLite has every
            // committed one; the skipped ones not yet delivered are pinned. If none is left before
            // the tail (all skipped and delivered), go on with the tail rather than return nothing
            // while records wait, which would leave the publisher polling.
            var stored = Query(from, Math.Min(through, tailFirst - 1), max, forDelivery: true);
            if (pinned is not null)
            {
                stored = Merge(stored, pinned, max);
            }

            if (stored.Count >= max)
            {
                return stored;
            }

            lock (_tailGate)
            {
                if (_tailFirst == tailFirst)
                {
                    var rest = TailFrom(tailFirst, through, max - stored.Count);
                    return rest.Count == 0 ? stored : [.. stored, .. rest];
                }
            }

            // The tail moved on meanwhile: what lies between is committed. Return what was read,
            // or read again if that was nothing (an empty answer would end a replay early).
            if (stored.Count > 0)
            {
                return stored;
            }
        }
    }

    // Records from..through (at most max) out of the tail; caller holds _tailGate and from >= _tailFirst.
    private List<JournalRecord> TailFrom(long from, long through, int max)
    {
        var end = Math.Min(through, _tailFirst + _tailCount - 1);
        var count = (int)Math.Clamp(end - from + 1, 0, max);
        var records = new List<JournalRecord>(count);
        for (var seq = from; seq < from + count; seq++)
        {
            records.Add(_tail[(int)(seq % TailCapacity)]);
        }

        return records;
    }

    // A record still in memory with this id, in the tail or pinned (FindById's fallback; a scan,
    // only for acknowledgements).
    private JournalRecord? FindInMemory(Guid id)
    {
        lock (_tailGate)
        {
            for (var seq = _tailFirst; seq < _tailFirst + _tailCount; seq++)
            {
                if (_tail[(int)(seq % TailCapacity)] is { } record && record.Id == id)
                {
                    return record;
                }
            }

            return FindPinned(id);
        }
    }

    // Puts a sequenced batch into the tail and announces it: LastSeq moves. Returns the signal
    // that wakes the publisher; the caller completes it once it holds no lock (see CompleteOnPool
    // and EventJournal.Inline.cs), because its continuations run on the completing thread.
    private TaskCompletionSource Announce(JournalRecord[] records)
    {
        lock (_tailGate)
        {
            foreach (var record in records)
            {
                if (_tailCount == 0 || record.Seq != _tailFirst + _tailCount)
                {
                    // Empty, or a seq jump (a declared gap): the tail restarts, so it stays one
                    // contiguous range; what it held is committed, and SQLite serves it, or
                    // skipped, and pinned until delivered (EventJournal.Pinned.cs).
                    _tailFirst = record.Seq;
                    _tailCount = 0;
                }
                else if (_tailCount == TailCapacity)
                {
                    _tailFirst++;
                    _tailCount--;
                }

                _tail[(int)(record.Seq % TailCapacity)] = record;
                _tailCount++;
            }
        }

        TaskCompletionSource signal;
        lock (_signalGate)
        {
            Volatile.Write(ref _lastSeq, records[^1].Seq);
            signal = _appended;
            _appended = NewSignal();
        }

        try
        {
            AfterAnnounce?.Invoke(records[^1].Seq);
        }
#pragma warning disable CA1031 // A test's hook must not leave a batch announced and then lost.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Report(ex);
        }

        return signal;
    }

    // The writer wakes readers on the pool: it has a commit to run, and a reader's continuation
    // (the publisher sending what it reads) would otherwise run on the writer thread first.
    private static void CompleteOnPool(TaskCompletionSource? signal)
    {
        if (signal is not null)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.TrySetResult(), signal, preferLocal: false);
        }
    }

    // Records handed to the publisher could not be committed: their seqs are skipped, and the next
    // batch opens with a journal.gap row that says so. A gap already pending may start above them:
    // a journal that went back (SkipSeqsThrough) found while their commit ran, which holds no
    // _appendGate. The row then declares from the failed batch on, under the went-back cause, the
    // anomaly the office must look into (its fault follows the row); from the pending start, the
    // failed seqs would have neither a row nor a declaration, and `journal verify` would call them
    // deleted.
    private void SkipFailed(long from, long through)
    {
        _pendingGap = _pendingGap is { } pending ? (Math.Min(pending.From, from), pending.Cause) : (from, JournalGapCause.WriteFailed);
        _nextSeq = Math.Max(_nextSeq, through + 1);
        // SQLite will never have them: kept until delivered (EventJournal.Pinned.cs).
        Pin(from, through);
    }

    /// <summary>
    /// Skips every seq up to <paramref name="seqThrough"/>: the journal went back (restored from
    /// an older copy) and the office may have seen seqs up to it (the broker's orderly offline
    /// named it). The next record written is a journal.gap of cause
    /// <see cref="JournalGapCause.WentBack"/> declaring them, and the records after it take seqs
    /// above. Nothing is written now: publish the fault that says why right after, and it goes
    /// out behind the gap. A crash before that commit forgets the skip; the next start finds the
    /// same evidence only if the broker still holds it.
    /// </summary>
    /// <param name="seqThrough">The last seq the office may have seen.</param>
    /// <returns>Whether seqs were skipped (false when the journal is already past it).</returns>
    public bool SkipSeqsThrough(long seqThrough)
    {
        lock (_appendGate)
        {
            if (seqThrough < _nextSeq)
            {
                return false;
            }

            _pendingGap ??= (_nextSeq, JournalGapCause.WentBack);
            _nextSeq = seqThrough + 1;
            return true;
        }
    }

    // A committed batch that opened with journal.gap has declared the pending range.
    private void GapDeclared(long through)
    {
        if (_pendingGap is { } gap)
        {
            _gaps.Add((gap.From, through));
            _pendingGap = null;
        }
    }

    // Waiting records for the journal-full policy: announced seqs past the cursor, less skipped ones.
    private long Undelivered()
    {
        var delivered = DeliveredThrough;
        var last = LastSeq;
        long skipped = 0;
        foreach (var (from, through) in _gaps)
        {
            skipped += Math.Max(0, Math.Min(through, last) - Math.Max(from, delivered + 1) + 1);
        }

        if (_pendingGap is { } gap)
        {
            skipped += Math.Max(0, Math.Min(_nextSeq - 1, last) - Math.Max(gap.From, delivered + 1) + 1);
        }

        return Math.Max(0, last - delivered - skipped);
    }

    // Rows in the table for retention: the committed seq range less the ranges journal.gap rows in
    // it declare (a gap's range lies just below its row, so it is in the table when its row is not the first).
    private long StoredRows()
    {
        var durable = DurableSeq;
        var count = durable - _firstSeq + 1;
        foreach (var (from, through) in _gaps)
        {
            if (through + 1 > _firstSeq && through + 1 <= durable)
            {
                count -= through - from + 1;
            }
        }

        return Math.Max(0, count);
    }

    // A clean stop gives back the seqs reserved ahead, so the next start has no gap to declare.
    // Kept when a skipped range is still undeclared or a batch is uncommitted: the next start
    // declares it then.
    private void ReleaseReservation()
    {
        // A writer that did not drain may be stuck in its commit (holding _appendGate, or the
        // database's lock): do not wait for it.
        if (_writer.IsAlive)
        {
            return;
        }

        lock (_appendGate)
        {
            if (_pendingGap is not null || DurableSeq != LastSeq)
            {
                return;
            }

            try
            {
                _database.InTransaction(transaction =>
                {
                    using var command = JournalDatabase.Command(transaction, "UPDATE gateway_meta SET reserved_through = last_seq WHERE id = 1;");
                    command.ExecuteNonQuery();
                });
            }
            catch (Exception ex) when (IsWriteFailure(ex))
            {
                // The next start declares the reserved seqs as a gap: more to explain, nothing lost.
                Report(ex);
            }
        }
    }
}
