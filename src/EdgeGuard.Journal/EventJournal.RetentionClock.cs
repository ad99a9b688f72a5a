using EdgeGuard.Core;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The clock delivered records age by. Not the wall clock: a gateway without an RTC takes its time from
// NTP or GPS, and one bad answer that steps the clock years ahead made every delivered row "old", so
// the next age check deleted the whole local history (EN 50131 wants at least 30 days of it); stepped
// back, rows stamped "in the future" stopped age-based deletion for good. The retention clock counts
// the time the journal has been open, from the monotonic clock (TimeProvider.GetTimestamp), summed
// over restarts (schema 14: retention_clock), so no wall-clock step moves it and it never runs faster
// than real time. A record's age is measured on it from when the record was journaled, which a mark
// records (retention_marks: every row up to seq was journaled by the time the clock read elapsed_ms,
// one mark per age check that found new rows). Time powered off, and a run's time after its last age
// check, are not counted: that only keeps records longer, by that much. The event time (ts) is not
// used at all. Size-based retention (MaxRecords) is unchanged, and undelivered records are never
// deleted either way.
public sealed partial class EventJournal
{
    private const string ReadClockSql = """
        SELECT coalesce((SELECT elapsed_ms FROM retention_clock WHERE id = 1), 0),
               coalesce((SELECT max(seq) FROM retention_marks), 0);
        """;

    // max(): the persisted reading never goes back, even were two journals opened on one file.
    private const string SaveClockSql = "UPDATE retention_clock SET elapsed_ms = max(elapsed_ms, $elapsed) WHERE id = 1;";
    private const string MarkSql = "INSERT INTO retention_marks (seq, elapsed_ms) VALUES ($seq, $elapsed) ON CONFLICT (seq) DO NOTHING;";
    private const string AgedThroughSql = "SELECT max(seq) FROM retention_marks WHERE elapsed_ms <= $cut;";
    private const string ForgetMarksSql = "DELETE FROM retention_marks WHERE seq <= $through;";

    // Resumed at open from the reading the last run persisted (the same kind of clock the replay
    // store forgets command ids by).
    private RunningClock? _retentionClock;

    // The newest mark's seq: committed rows after it are not covered by a mark yet. Under _appendGate.
    private long _lastMarkSeq;

    /// <summary>The retention clock now: time this journal's file has been open, summed over restarts.</summary>
    internal TimeSpan RetentionElapsed => _retentionClock!.Elapsed;

    // At open: carries on from the reading the last run saved. Anchoring it to the wall clock instead
    // would trust exactly the clock this guards against, at the moment it is least checked (a start).
    private void ResumeRetentionClock(JournalDatabase database)
    {
        var (elapsedMs, lastMark) = database.Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = ReadClockSql;
            using var reader = command.ExecuteReader();
            reader.Read();
            return (reader.GetInt64(0), reader.GetInt64(1));
        });
        _retentionClock = new RunningClock(_time);
        _retentionClock.Resume(TimeSpan.FromMilliseconds(elapsedMs));
        _lastMarkSeq = lastMark;
    }

    // In an age check's transaction: saves the clock's reading and covers the rows committed since the
    // last mark with one taken now, after they were journaled. Milliseconds are rounded so that an age
    // can only come out shorter: the mark up, the saved clock down. Returns the newest mark's seq.
    private long MarkAndSaveClock(SqliteTransaction transaction, long durable, TimeSpan elapsed)
    {
        using (var save = JournalDatabase.Command(transaction, SaveClockSql))
        {
            save.Parameters.AddWithValue("$elapsed", (long)Math.Floor(elapsed.TotalMilliseconds));
            save.ExecuteNonQuery();
        }

        if (durable <= _lastMarkSeq)
        {
            return _lastMarkSeq;
        }

        using var mark = JournalDatabase.Command(transaction, MarkSql);
        mark.Parameters.AddWithValue("$seq", durable);
        mark.Parameters.AddWithValue("$elapsed", (long)Math.Ceiling(elapsed.TotalMilliseconds));
        mark.ExecuteNonQuery();
        return durable;
    }

    // The last seq old enough to go by age: covered by a mark at least MaxDeliveredAge behind the
    // clock. none when no mark is.
    private long AgedThrough(SqliteTransaction transaction, TimeSpan elapsed, long none)
    {
        var cut = (long)Math.Floor(elapsed.TotalMilliseconds) - (long)Math.Ceiling(_limits.MaxDeliveredAge.TotalMilliseconds);
        if (cut < 0)
        {
            return none;
        }

        using var aged = JournalDatabase.Command(transaction, AgedThroughSql);
        aged.Parameters.AddWithValue("$cut", cut);
        return aged.ExecuteScalar() is long seq ? seq : none;
    }

    // With the rows through `through`: their marks cover nothing any more.
    private static void ForgetMarks(SqliteTransaction transaction, long through)
    {
        using var forget = JournalDatabase.Command(transaction, ForgetMarksSql);
        forget.Parameters.AddWithValue("$through", through);
        forget.ExecuteNonQuery();
    }
}
