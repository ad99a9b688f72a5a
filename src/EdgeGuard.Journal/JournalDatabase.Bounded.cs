using System.Diagnostics;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// Ordinary transactions whose caller must not wait for a hung disk: the replay store, which office
// commands wait on for their answer, and the MQTT publisher's cursor and session counter (its loop
// also shows a lockdown to the office and reconnects). Unlike an urgent one it does not go before
// other callers (it would compete with the safety-state save); it only gives up after a bounded
// wait.
public sealed partial class JournalDatabase
{
    /// <summary>
    /// Like <see cref="InTransaction{T}(Func{SqliteTransaction, T})"/>, but waits at most
    /// <paramref name="wait"/> for the shared connection (after any urgent transaction waiting for
    /// it, as ordinary callers do). Bounds only the wait for this process's other writers: the
    /// commit itself still takes as long as the disk does.
    /// </summary>
    /// <exception cref="JournalException">
    /// The connection stayed busy for <paramref name="wait"/> (nothing was written; its inner
    /// exception is a <see cref="TimeoutException"/>), or SQLite
    /// reported an error (nothing was committed).
    /// </exception>
    internal T InTransactionWaitingAtMost<T>(TimeSpan wait, Func<SqliteTransaction, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!TryEnterGate(wait))
        {
            // Caused by a TimeoutException: the command path tells a store that did not answer in
            // time (an authentic lockdown is still carried out) from one that failed (refused).
            var problem = string.Create(
                CultureInfo.InvariantCulture,
                $"busy: another write held the database for more than {wait.TotalMilliseconds:0} ms (a slow or failing disk); nothing was written.");
            throw JournalException.For(Path, problem, new TimeoutException(problem));
        }

        try
        {
            return Commit(work);
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>
    /// Like <see cref="InTransactionWaitingAtMost{T}"/>, but a connection that stayed busy for
    /// <paramref name="wait"/> is an answer, not an error: false, nothing written. For a caller that
    /// gives up on a busy database as a matter of course and tries again later (the delivery
    /// cursor), where an exception for each try would be the normal path.
    /// </summary>
    /// <returns>True when <paramref name="work"/> was committed; false when the wait ran out.</returns>
    /// <exception cref="JournalException">SQLite reported an error (nothing was committed).</exception>
    internal bool TryInTransaction(TimeSpan wait, Action<SqliteTransaction> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!TryEnterGate(wait))
        {
            return false;
        }

        try
        {
            return Commit(transaction =>
            {
                work(transaction);
                return true;
            });
        }
        finally
        {
            _gate.Exit();
        }
    }

    // EnterGate with a deadline: the wait behind urgent transactions counts against it too.
    private bool TryEnterGate(TimeSpan wait)
    {
        var started = Stopwatch.GetTimestamp();
        TimeSpan Left() => wait - Stopwatch.GetElapsedTime(started);
        if (Volatile.Read(ref _urgentWaiting) != 0 && !_gate.IsHeldByCurrentThread)
        {
            lock (_urgentGate)
            {
                while (Volatile.Read(ref _urgentWaiting) != 0)
                {
                    if (Left() is var left && left <= TimeSpan.Zero)
                    {
                        return false;
                    }

                    Monitor.Wait(_urgentGate, left);
                }
            }
        }

        return _gate.TryEnter(Left() is var remaining && remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);
    }
}
