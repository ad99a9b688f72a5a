using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// Retention: deleting delivered records that are too old or beyond MaxRecords, from the front of
// the table, a chunk at a time.
public sealed partial class EventJournal
{
    /// <summary>
    /// Most rows retention deletes in one transaction. The safety-state save waits for the database
    /// behind it, for about three ordinary transactions (<see cref="SqliteSafetyStateStore.SaveWait"/>),
    /// so one chunk must cost no more than an ordinary batch commit: a few hundred rows, not tens of
    /// thousands.
    /// </summary>
    internal const int RetentionChunk = 512;

    /// <summary>How often (retention clock) delivered records are checked for age.</summary>
    private static readonly TimeSpan AgeCheckInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Applies the retention policy now, completely: deletes delivered records journaled more than
    /// <see cref="JournalLimits.MaxDeliveredAge"/> ago by the retention clock (the time the journal has
    /// been open, never the wall clock: EventJournal.RetentionClock.cs), then the oldest delivered
    /// ones while more than <see cref="JournalLimits.MaxRecords"/> are kept. Undelivered records are
    /// never deleted. The writer does the same on its own, a chunk at a time; this is for tools and tests.
    /// </summary>
    /// <returns>How many records were deleted.</returns>
    /// <exception cref="JournalException">SQLite failed; what was deleted before stays deleted.</exception>
    public long EnforceRetention()
    {
        lock (_appendGate)
        {
            var elapsed = RetentionElapsed;
            var total = RetentionStep(elapsed, ageCheck: true);
            var deleted = total;
            while (deleted > 0)
            {
                deleted = RetentionStep(elapsed, ageCheck: false);
                total += deleted;
            }

            _lastAgeCheck = elapsed;
            return total;
        }
    }

    /// <summary>
    /// Called on the writer thread as housekeeping (retention) begins, after the round's commit;
    /// lets a test make it fail with something other than a write failure. Null in production.
    /// </summary>
    internal Action? BeforeHousekeep { get; set; }

    private void Housekeep()
    {
        BeforeHousekeep?.Invoke();
        lock (_appendGate)
        {
            var elapsed = RetentionElapsed;
            var count = StoredRows();
            var overLimit = count > _limits.MaxRecords + (_limits.MaxRecords / 64);
            var ageDue = _lastAgeCheck is not { } last || elapsed - last >= AgeCheckInterval;
            if (!overLimit && !ageDue && !_retentionBacklog)
            {
                return;
            }

            if (ageDue)
            {
                _lastAgeCheck = elapsed;
            }

            TryRetentionStep(elapsed, ageDue);
        }
    }

    private void TryRetentionStep(TimeSpan elapsed, bool ageCheck)
    {
        try
        {
            // Over the limit, trim back to it (not to the slack), so the next trim is a while off.
            var deleted = RetentionStep(elapsed, ageCheck);
            _retentionBacklog = deleted >= RetentionChunk;
        }
        catch (Exception ex) when (IsWriteFailure(ex))
        {
            _retentionBacklog = false;
            ReportWriteFailure(ex);
        }
    }

    // Deletes one chunk from the front of the table: delivered records that are too old by the
    // retention clock, and the oldest delivered ones while more than MaxRecords are kept. Always a
    // prefix, so the table stays one range of seq (with only the holes journal.gap rows declare).
    // An age check also saves the clock and marks the rows journaled since the last one, even when
    // nothing can be deleted yet: undelivered rows need their mark for when they are delivered.
    private long RetentionStep(TimeSpan elapsed, bool ageCheck)
    {
        var first = _firstSeq;
        // Committed rows only: a batch handed out before its commit is not in the table yet.
        var last = DurableSeq;
        var delivered = DeliveredThrough;
        if (!Deletable(first, last, delivered) && !ageCheck)
        {
            return 0;
        }

        // Counted from _firstSeq even when it lies in a declared gap: StoredRows subtracts the gap.
        var count = StoredRows();
        var (bound, deleted, marked) = _database.InTransaction(transaction =>
        {
            var marked = ageCheck ? MarkAndSaveClock(transaction, last, elapsed) : _lastMarkSeq;
            if (!Deletable(first, last, delivered))
            {
                return (first - 1, 0L, marked);
            }

            var wanted = Wanted(transaction, first, delivered, count, elapsed);
            var through = RowAtOrBelow(transaction, wanted, first);
            if (through < first && wanted >= first)
            {
                // Something is due but no row is in [first, wanted]: first lies in a skipped range
                // more than a chunk long, in front of the real first row. A journal made at boot
                // (its table empty at open, its seqs from the clock floor behind a new-journal gap),
                // or a table age retention emptied before a skipped range. Without this step every
                // chunk looked at the same empty range and never moved: nothing was deleted until
                // a restart read min(seq). min(seq) is the primary key's first entry: no scan.
                using var real = JournalDatabase.Command(transaction, "SELECT min(seq) FROM events;");
                if (real.ExecuteScalar() is not long firstRow || firstRow <= first)
                {
                    return (first - 1, 0L, marked);
                }

                first = firstRow;
                if (!Deletable(first, last, delivered))
                {
                    return (first - 1, 0L, marked);
                }

                wanted = Wanted(transaction, first, delivered, count, elapsed);
                through = RowAtOrBelow(transaction, wanted, first);
                if (through < first)
                {
                    return (first - 1, 0L, marked);
                }
            }
            else if (through < first)
            {
                return (first - 1, 0L, marked);
            }

            // The chain must still verify from the first row left: the anchor becomes the last
            // deleted row's hash, in this transaction, so it can never disagree with the table.
            // Unchained rows from before the chain (seq <= anchor already) leave it where it is.
            using var anchor = JournalDatabase.Command(transaction, """
                UPDATE gateway_meta
                SET chain_anchor_seq = $through, chain_anchor_hash = (SELECT hash FROM events WHERE seq = $through)
                WHERE id = 1 AND chain_anchor_seq < $through;
                """);
            anchor.Parameters.AddWithValue("$through", through);
            anchor.ExecuteNonQuery();

            using var delete = JournalDatabase.Command(transaction, "DELETE FROM events WHERE seq <= $through;");
            delete.Parameters.AddWithValue("$through", through);
            var removed = (long)delete.ExecuteNonQuery();
            ForgetMarks(transaction, through);

            // The next row, which may lie past a skipped range rather than at through + 1.
            using var next = JournalDatabase.Command(transaction, "SELECT min(seq) FROM events;");
            return (next.ExecuteScalar() is long firstLeft ? firstLeft - 1 : Math.Max(through, DurableSeq), removed, marked);
        });

        _lastMarkSeq = marked;
        _firstSeq = bound + 1;
        // Gap rows retention deleted no longer declare anything in the table.
        _gaps.RemoveAll(gap => gap.Through + 1 < _firstSeq);

        return deleted;
    }

    // Whether a chunk from first may hold deletable rows: committed rows, some of them delivered.
    private static bool Deletable(long first, long last, long delivered) =>
        first <= last && ChunkEnd(first, delivered) >= first;

    private static long ChunkEnd(long first, long delivered) => Math.Min(delivered, first + RetentionChunk - 1);

    // The last seq of the chunk from first that may go, by count (beyond MaxRecords) or by age.
    private long Wanted(SqliteTransaction transaction, long first, long delivered, long count, TimeSpan elapsed)
    {
        var chunkEnd = ChunkEnd(first, delivered);
        var excess = count - _limits.MaxRecords;
        var countBound = excess > 0 ? Math.Min(chunkEnd, first + excess - 1) : first - 1;
        var ageBound = Math.Min(chunkEnd, AgedThrough(transaction, elapsed, none: first - 1));
        return Math.Max(countBound, ageBound);
    }

    // The anchor must be a row that exists: the cursor may sit in a range journal.gap skipped.
    // first - 1 when no row is at or below wanted.
    private static long RowAtOrBelow(SqliteTransaction transaction, long wanted, long first)
    {
        using var existing = JournalDatabase.Command(transaction, "SELECT max(seq) FROM events WHERE seq <= $through;");
        existing.Parameters.AddWithValue("$through", wanted);
        return existing.ExecuteScalar() is long row ? row : first - 1;
    }
}
