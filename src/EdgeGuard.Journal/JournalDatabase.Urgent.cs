using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// Transactions that must not wait long for the shared connection: the safety-state save, which the
// controller makes before it drives any output. Every other caller (the journal writer's commits and
// retention, the delivery cursor, the replay store) waits as long as it takes; on a slow or dying SD
// card one of their commits, or the WAL checkpoint SQLite runs inside a commit, can hold the
// connection for seconds. A lockdown must not wait that long for its locks and siren: the save gives
// up after a bounded wait and the controller's not-persisted path takes over (it drives the outputs,
// raises fault.safety-state-not-persisted and saves again on its retry timer).
public sealed partial class JournalDatabase
{
    // Urgent transactions waiting for (or about to take) _gate. While there is one, ordinary callers
    // wait before they even ask for _gate: Lock is not fair, and a writer that commits back to back
    // (a burst, a retention backlog) takes _gate again before the woken save runs, until the save's
    // bound runs out (Lock stops that only once a waiter has waited longer than the save does).
    // Measured without this: a writer committing back to back, 5 ms a commit, made a third to a
    // half of 50 ms saves give up; with it, almost none.
    /// <summary>
    /// The shared connection's automatic WAL checkpoint threshold, in pages: SQLite's default, which
    /// the connection keeps; only an urgent transaction's own commit runs without it.
    /// </summary>
    internal const int AutoCheckpointPages = 1000;

    private readonly object _urgentGate = new();
    private int _urgentWaiting;

    /// <summary>Urgent transactions now waiting for the shared connection; for tests.</summary>
    internal int UrgentWaiting => Volatile.Read(ref _urgentWaiting);

    /// <summary>
    /// Like <see cref="InTransaction{T}(Func{SqliteTransaction, T})"/>, but waits at most
    /// <paramref name="wait"/> for the shared connection, and goes before ordinary callers that ask
    /// for it meanwhile. Bounds only the wait for this process's other writers: the commit itself
    /// still takes as long as the disk does.
    /// </summary>
    /// <exception cref="JournalException">
    /// The connection stayed busy for <paramref name="wait"/> (nothing was written), or SQLite
    /// reported an error (nothing was committed).
    /// </exception>
    internal T InUrgentTransaction<T>(TimeSpan wait, Func<SqliteTransaction, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Interlocked.Increment(ref _urgentWaiting);
        bool entered;
        try
        {
            entered = _gate.TryEnter(wait);
        }
        finally
        {
            // Ordinary callers queue on _gate itself from here on: it is taken, or the wait is over.
            if (Interlocked.Decrement(ref _urgentWaiting) == 0)
            {
                lock (_urgentGate)
                {
                    Monitor.PulseAll(_urgentGate);
                }
            }
        }

        if (!entered)
        {
            throw JournalException.For(Path, string.Create(
                CultureInfo.InvariantCulture,
                $"busy: another write held the database for more than {wait.TotalMilliseconds:0} ms (a slow or failing disk); nothing was written."));
        }

        try
        {
            // SQLite runs its automatic WAL checkpoint (up to 1,000 pages copied into the database
            // file, and an fsync of it) inside whichever commit finds the WAL that long. Not inside
            // this one: the next ordinary commit runs it, with no output waiting for it.
            var connection = Shared();
            SQLitePCL.raw.sqlite3_wal_autocheckpoint(connection.Handle, 0);
            try
            {
                return Commit(work);
            }
            finally
            {
                SQLitePCL.raw.sqlite3_wal_autocheckpoint(connection.Handle, AutoCheckpointPages);
            }
        }
        finally
        {
            _gate.Exit();
        }
    }

    // Takes _gate for an ordinary caller, after any urgent transaction that is waiting for it. Not
    // when this thread holds _gate already (a nested call): waiting then would hold up the urgent
    // transaction until its bound ran out.
    private void EnterGate()
    {
        if (Volatile.Read(ref _urgentWaiting) != 0 && !_gate.IsHeldByCurrentThread)
        {
            lock (_urgentGate)
            {
                while (Volatile.Read(ref _urgentWaiting) != 0)
                {
                    Monitor.Wait(_urgentGate);
                }
            }
        }

        _gate.Enter();
    }
}
