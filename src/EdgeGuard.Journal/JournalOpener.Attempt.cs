using System.Diagnostics;
using System.Globalization;
using EdgeGuard.Core.Lockdown;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The bounded open of the real journal, as the boot's safety-state load does it
// (SafetyStateSaver.LoadAsync): on a thread of its own, so a card that does not answer holds that
// thread, not the start; failures that may pass tried again within the deadline; given up on at the
// deadline, after which whatever it opens late is closed again and nothing is moved aside. A replace
// of a damaged file started before the deadline is waited for (ReplaceGrace), not given up on.
public static partial class JournalOpener
{
    /// <summary>What the open of the real journal came to.</summary>
    /// <param name="Database">The journal, or null.</param>
    /// <param name="Fault">Set when the file was damaged and replaced.</param>
    /// <param name="Failure">Why there is no journal, when it threw.</param>
    /// <param name="Problem">Why there is no journal, for the fault and the log.</param>
    /// <param name="TimedOut">
    /// The open was still running at the deadline, no damage found: the card may only be slow (a
    /// schema upgrade, a WAL replay), its safety state readable (JournalOpener.Seed.cs).
    /// </param>
    /// <param name="DamageLeftInPlace">
    /// The open found the file damaged but did not move it aside (not confirmed, or confirmed too
    /// late): it is still there, and its safety state may well be readable.
    /// </param>
    private sealed record Outcome(JournalDatabase? Database, JournalReplaced? Fault, Exception? Failure, string? Problem, bool TimedOut = false, bool DamageLeftInPlace = false);

    // How many opens in a row must find the file damaged before it is moved aside.
    private const int DamageConfirmations = 2;

    // How long past the deadline the boot waits for a replace under way: two renames and a new
    // database on the card, which answered a moment ago. Within systemd's TimeoutStartSec=90s with
    // the deadline and the safety state's 5 s.
    private static readonly TimeSpan ReplaceGrace = TimeSpan.FromSeconds(10);

    private sealed class Attempt(string path, TimeProvider time, TimeSpan deadline, TimeSpan replaceGrace, Func<string, JournalDatabase> open)
    {
        private readonly Lock _gate = new();
        private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly long _started = Stopwatch.GetTimestamp();
        private Outcome? _outcome;
        private bool _abandoned;
        private bool _replacing;
        private int _tries;

        // Set under _gate by Replace: the damage found and where the file goes, and whether it is
        // there, so a replace given up on still tells the office (and the technician) about both.
        private string? _damage;
        private string? _keptAt;
        private bool _moved;

        public Outcome Run()
        {
            var thread = new Thread(Work) { IsBackground = true, Name = "EdgeGuard journal open" };
            thread.Start();
            _ended.Task.Wait(deadline);
            bool replacing;
            lock (_gate)
            {
                if (_outcome is { } outcome)
                {
                    return outcome;
                }

                replacing = _replacing;
                _abandoned = !replacing;
            }

            if (replacing)
            {
                // The damaged file is moved aside already, or being moved: switching to the
                // volatile journal now would lose the journal-replaced fault and leave a new real
                // journal whose floor may be above the volatile one's. Waited for, bounded.
                _ended.Task.Wait(replaceGrace);
                lock (_gate)
                {
                    if (_outcome is { } outcome)
                    {
                        return outcome;
                    }

                    _abandoned = true;
                    return new(null, null, null, GivenUp());
                }
            }

            return new(null, null, null, string.Create(CultureInfo.InvariantCulture,
                $"it did not open within {deadline.TotalSeconds:0.#} s (the storage does not answer, or answers too slowly: a schema upgrade or a WAL replay after a power cut may still be running)"), TimedOut: true);
        }

        // Under _gate. The boot runs on the volatile journal without journal-replaced, so its
        // journal-unavailable must say the file was found damaged and where it went; the next
        // start finds whatever the replace leaves (the new journal, or the damaged file).
        private string GivenUp()
        {
            var waited = string.Create(CultureInfo.InvariantCulture, $"{(deadline + replaceGrace).TotalSeconds:0.#} s");
            return _moved
                ? $"{_damage}; it was found damaged and moved aside to {_keptAt}, but the new journal in its place did not finish within {waited} (the storage does not answer)"
                : $"{_damage}; it was found damaged, but moving it aside to {_keptAt} did not finish within {waited} (the storage does not answer): it is at one of the two paths";
        }

        private void Work()
        {
            Outcome outcome;
            try
            {
                outcome = TryOpen();
            }
#pragma warning disable CA1031 // Whatever the open throws, the gateway must still get a journal: it becomes the fault's reason.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                var tries = _tries > 1 ? string.Create(CultureInfo.InvariantCulture, $" ({_tries} tries)") : string.Empty;
                outcome = new(null, null, ex, ex.Message + tries);
            }

            lock (_gate)
            {
                if (_abandoned)
                {
                    // The boot runs on the fallback already; a journal opened this late is not used.
                    outcome.Database?.Dispose();
                }
                else
                {
                    _outcome = outcome;
                }
            }

            _ended.TrySetResult();
        }

        private Outcome TryOpen()
        {
            var damaged = 0;
            // On this thread: a card that does not answer holds it, not the start. A move that
            // cannot be undone fails the open (the volatile journal): opening the main file alone
            // would boot from its last checkpoint.
            UndoCutMove(path);
            var keptBeside = NewestDamaged(path);
            while (true)
            {
                _tries++;
                try
                {
                    var database = ReadAsAStart(open(path));
                    if (keptBeside is not null && NothingRanOn(database))
                    {
                        return FinishReplace(database, keptBeside);
                    }

                    Unmark(path); // a replace that committed, or never moved the file
                    return new(database, null, null, null);
                }
                catch (JournalException ex) when (IsDamaged(ex) && ++damaged >= DamageConfirmations)
                {
                    return Replace(ex);
                }
                catch (JournalException ex) when (IsDamaged(ex))
                {
                    // Just after a power cut a card can return a short or zeroed read once: a
                    // journal moved aside for that loses its seqs' history and its safety state.
                    if (!TimeForAnotherTry)
                    {
                        return new(null, null, ex, $"{ex.Message} (not confirmed by another try within the deadline, so it is left in place)", DamageLeftInPlace: true);
                    }

                    Thread.Sleep(RetryPause);
                }
                catch (JournalException ex) when (IsNoRoom(ex, path))
                {
                    // A full card: nothing frees room within the deadline, so trying it again for
                    // 10 s only held the boot (about 50 tries) before the volatile journal.
                    return new(null, null, ex, $"{ex.Message} (the storage is full)");
                }
                catch (JournalException ex) when (SqliteSafetyStateStore.IsPassingLoadFailure(ex) && TimeForAnotherTry)
                {
                    // Another connection's lock, a read the card failed once: may pass.
                    Thread.Sleep(RetryPause);
                }
            }
        }

        private bool TimeForAnotherTry => Stopwatch.GetElapsedTime(_started) + RetryPause < deadline && !Abandoned;

        private bool Abandoned
        {
            get
            {
                lock (_gate)
                {
                    return _abandoned;
                }
            }
        }

        // Never deleted: moved aside for a technician to export, and a new journal put in its place.
        // The end of a replace a power cut or a kill cut short (NothingRanOn): the floors and the
        // fault it would have given. The session floor too: the office may have seen sessions up
        // to the damaged file's. Seeded from the damaged file when the replace's mark names it
        // (JournalOpener.ReplaceSeed.cs): the seed goes in the commit a kill cut short.
        private Outcome FinishReplace(JournalDatabase fresh, string keptAt)
        {
            var cut = $"a restart or power cut came after the damaged journal was moved aside to {keptAt} and before the new journal in its place was ready; this start finished it";
            lock (_gate)
            {
                if (!_abandoned && Stopwatch.GetElapsedTime(_started) < deadline)
                {
                    // The seed's read may take its 5 s past the deadline on a slow card: Run waits
                    // for it (ReplaceGrace) as for a replace, or the boot ran on the RAM journal.
                    (_replacing, _moved, _damage, _keptAt) = (true, true, cut, keptAt);
                }
            }

            var seed = ReplacingMark(path) == keptAt ? ReadKept(keptAt, time) : null;
            var fault = new JournalReplaced(time.GetUtcNow(), path, keptAt, seed is null ? $"{cut}: a lockdown in force before may have been lost" : cut);
            try
            {
                fault = CommitReplaced(fresh, NewJournalFloors.At(time), fault, seed);
            }
            catch
            {
                fresh.Dispose();
                throw;
            }

            Unmark(path);
            return new(fresh, fault, null, null);
        }

        private Outcome Replace(JournalException damage)
        {
            lock (_gate)
            {
                if (_abandoned || Stopwatch.GetElapsedTime(_started) >= deadline)
                {
                    // Moving files under a boot that runs, or is about to run, on the fallback
                    // helps no one; the next start finds the damage again.
                    return new(null, null, damage, damage.Message, DamageLeftInPlace: true);
                }

                // From here Run waits for this replace (ReplaceGrace) rather than abandon it.
                _replacing = true;
                _damage = damage.Message;
                _keptAt = Stamped(path, "damaged", time);
            }

            // The floor as of now, before the deadline, not when the new journal is made: a replace
            // given up on may make it after the boot took the RAM journal's floor, and a floor
            // above the RAM journal's seqs would make the next start take that one for stale and
            // drop the lockdown it holds (TakeOverFromFallback).
            // The session floor with it, from the same reading.
            var floors = NewJournalFloors.At(time);

            var keptAt = _keptAt;
            MarkReplacing(path, keptAt);
            try
            {
                MoveWithSidecars(path, keptAt);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Back together, or the volatile journal's seed reads the main file alone.
                try
                {
                    UndoCutMove(path);
                }
                catch (Exception undo) when (undo is IOException or UnauthorizedAccessException)
                {
                }

                if (!File.Exists(keptAt))
                {
                    // Moved after all (only the intent's delete failed): the mark stays, so the
                    // next start's FinishReplace seeds from the kept file.
                    Unmark(path);
                }

                return new(null, null, ex, $"{damage.Message}; it cannot be moved aside to {keptAt}: {ex.Message}");
            }

            lock (_gate)
            {
                _moved = true;
            }

            // Read before the new journal is made, within SeedDeadline (inside ReplaceGrace): the
            // kept file, which nothing writes now (JournalOpener.ReplaceSeed.cs).
            var seed = ReadKept(keptAt, time);
            JournalDatabase? fresh = null;
            try
            {
                fresh = open(path);
                var fault = CommitReplaced(fresh, floors, new JournalReplaced(time.GetUtcNow(), path, keptAt, damage.Message), seed);
                Unmark(path);
                return new(fresh, fault, null, null);
            }
            catch (JournalException ex)
            {
                fresh?.Dispose();
                return new(null, null, ex, $"{damage.Message}; it was moved aside to {keptAt}, but a new journal cannot be created in its place: {ex.Message}");
            }
        }
    }

    // A journal nothing has run on (no seq given out or reserved, no session taken) beside a file a
    // replace moved aside: that replace was cut short (a power cut, a kill) after the move and
    // before the new journal's floors were committed, and the next start found no file, or one
    // the cut start had just created. Taken for a first boot, it gave out seq 1 again under new
    // ids, with no journal.gap and no fault, and the lockdown the damaged file held was gone
    // without a word. The damaged file beside it is the record of the decision: the replace is
    // finished now, at the floor of this moment, and its fault raised. A technician who deletes
    // the journal and keeps a damaged file gets the same, and rightly so: a journal counting from
    // 1 again would reuse the seqs the office holds. Disposes database when it throws.
    private static bool NothingRanOn(JournalDatabase database)
    {
        try
        {
            return database.SeqTop() == 0 && database.SavedSession() == 0;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    // What the journal's start reads (EventJournal.ReadAsAStart), read by the open so that damage
    // there is found and decided here, as damage the open itself finds. The open reads the header
    // and the schema only: a page lost under the journal.gap rows' index, gateway_meta or the ends
    // of events opened as sound, and the EventJournal constructor threw in the host's start, which
    // systemd restarted into the same failure. Disposes database when it throws.
    private static JournalDatabase ReadAsAStart(JournalDatabase database)
    {
        try
        {
            EventJournal.ReadAsAStart(database);
            return database;
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    // The newest path.damaged-<stamp> (the stamps sort by time), not its -wal or -shm; null when
    // none is there. A directory that cannot be listed has none to go by.
    private static string? NewestDamaged(string path)
    {
        var directory = Path.GetDirectoryName(path)!;
        try
        {
            return Directory.Exists(directory)
                ? Directory.EnumerateFiles(directory, Path.GetFileName(path) + ".damaged-*")
                    .Where(f => !Sidecars.Any(s => f.EndsWith(s, StringComparison.Ordinal)))
                    .Order(StringComparer.Ordinal)
                    .LastOrDefault()
                : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="failure"/> says the file itself is damaged (SQLITE_NOTADB,
    /// SQLITE_CORRUPT, an orphaned write-ahead log): the same at every try, and fixed only by a new file.
    /// </summary>
    /// <param name="failure">What the open threw.</param>
    /// <returns>True for a damaged file.</returns>
    public static bool IsDamaged(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        for (var ex = failure; ex is not null; ex = ex.InnerException)
        {
            if (ex is JournalException { Damaged: true })
            {
                return true;
            }

            if (ex is SqliteException sqlite)
            {
                return SqliteCodes.IsCorrupt(sqlite);
            }
        }

        return false;
    }
}
