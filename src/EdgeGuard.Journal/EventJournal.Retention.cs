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
            Report(ex);
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
        var chunkEnd = Math.Min(delivered, first + RetentionChunk - 1);
        var deletable = first <= last && chunkEnd >= first;
        if (!deletable && !ageCheck)
        {
            return 0;
        }

        var count = StoredRows();
        var excess = count - _limits.MaxRecords;
        var countBound = excess > 0 ? Math.Min(chunkEnd, first + excess - 1) : first - 1;

        var (bound, deleted, marked) = _database.InTransaction(transaction =>
        {
            var marked = ageCheck ? MarkAndSaveClock(transaction, last, elapsed) : _lastMarkSeq;
            if (!deletable)
            {
                return (first - 1, 0L, marked);
            }

            var ageBound = Math.Min(chunkEnd, AgedThrough(transaction, elapsed, none: first - 1));
            // The anchor must be a row that exists: the cursor may sit in a range journal.gap skipped.
            using var existing = JournalDatabase.Command(transaction, "SELECT max(seq) FROM events WHERE seq <= $through;");
            existing.Parameters.AddWithValue("$through", Math.Max(countBound, ageBound));
            var through = existing.ExecuteScalar() is long row ? row : first - 1;
            if (through < first)
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
            var count = (long)delete.ExecuteNonQuery();
            ForgetMarks(transaction, through);

            // The next row, which may lie past a skipped range rather than at through + 1.
            using var next = JournalDatabase.Command(transaction, "SELECT min(seq) FROM events;");
            return (next.ExecuteScalar() is long firstLeft ? firstLeft - 1 : Math.Max(through, DurableSeq), count, marked);
        });

        _lastMarkSeq = marked;
        _firstSeq = bound + 1;
        // Gap rows retention deleted no longer declare anything in the table.
        _gaps.RemoveAll(gap => gap.Through + 1 < _firstSeq);

        return deleted;
    }
}
