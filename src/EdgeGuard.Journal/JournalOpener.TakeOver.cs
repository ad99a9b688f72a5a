using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// The real journal opened after a start of this boot ran on the volatile one: the volatile journal
// above the real one is newer, so the real one starts above its seqs and its MQTT sessions (they
// may have reached the office), takes its safety state (a lockdown started on it is not dropped by
// going back) and the commands it saw (a replay of one must not run again), and
// retires it (one it cannot read is kept aside as damaged instead, with a fault: its lockdown may
// be lost). A real journal that cannot take all that over (read-only storage, a full card) is
// not run on: the gateway carries on with the volatile journal, whose state is the newest.
public static partial class JournalOpener
{
    /// <summary>What the take-over came to.</summary>
    /// <param name="Left">
    /// The fault the real journal records as pending (JournalDatabase.Replace.cs): its replace's,
    /// and what the volatile journal left (undelivered events, or itself unreadable); null when none.
    /// </param>
    /// <param name="Problem">Why the real journal cannot take over; null when it did.</param>
    private sealed record TakeOver(JournalReplaced? Left, string? Problem);

    // Throws only for a volatile journal written by a newer release (FromNewerBuild): refused in
    // place like a real one, its lockdown not dropped. Whatever else fails is a Problem, and the
    // caller stays on the volatile journal.
    // createdNow: the database was created by this start in place of a damaged file; its floor is
    // taken now, maybe above the volatile journal's top, yet the volatile journal is newer.
    private static TakeOver TakeOverFromFallback(JournalDatabase database, string fallbackPath, TimeProvider time, Func<string, JournalDatabase> open, bool createdNow)
    {
        UndoCutMoveOf(fallbackPath);
        var mark = FloorMark.Read(fallbackPath);
        if (!File.Exists(fallbackPath))
        {
            // One set aside as unreadable whose successor was never made (a start killed between):
            // gone, but its mark still bounds what it gave out.
            RaiseToMark(database, mark, fallbackPath, time);
            NoTakeOverPending(database);
            return new(Pending(database), null);
        }

        long realTop;
        long realSession;
        bool pending;
        JournalReplaced? recorded;
        try
        {
            realTop = database.SeqTop();
            realSession = database.SavedSession();
            // Created by a replace an earlier start made and was killed before its takeover.
            pending = !database.IsReadOnly && database.ReplacePending();
            createdNow |= pending;
            recorded = database.PendingFault();
        }
        catch (JournalException ex)
        {
            return new(null, $"it cannot be read to take over from the volatile journal: {ex.Message}");
        }

        // Null when unreadable: its seqs are unknown, and so is its state (a lockdown, maybe): it
        // is kept aside as damaged and the fault says so.
        // Only a volatile journal above the real one ran after it: one below is older than the real
        // journal's last run (a retirement that failed), and its safety state stale. A journal
        // created by this start has no run of its own: anything the volatile one holds is newer.
        Found? found;
        string? unreadable = null;
        try
        {
            using var fallback = open(fallbackPath);
            var top = fallback.SeqTop();
            found = createdNow || top > realTop
                ? new(top, fallback.Undelivered(), DecidedOn(fallback), fallback.SavedSession(), SeenCommandsTakeOver.ReadFrom(fallback), fallback.OpenEpisode())
                : new(top, 0, null, 0, null, null);
        }
        catch (JournalException ex) when (!ex.FromNewerBuild)
        {
            found = null;
            unreadable = ex.Message;
        }

        // An unreadable one's seqs and sessions are unknown: the floors taken now, raised to what
        // its mark says it can have given out by now (FloorMark: with the clock behind the card's
        // top, the clock's floors alone are below them). The same for an empty one (a start killed
        // before its floors), whose mark is of the one it replaced, set aside as unreadable.
        var unknown = NewJournalFloors.At(time).Above(mark, time);
        var known = found is { Top: > 0 } || (found is not null && mark is null);
        var floor = known ? found!.Top : unknown.Seq;
        var session = known ? found!.Session : unknown.Session;
        // The fault of what is done to the volatile journal after the commit, written in it: a
        // kill after the rename and before the writer journals the fault must not lose it.
        var aside = Stamped(fallbackPath, unreadable is null ? "retired" : "damaged", time);
        var left = LeftBy(found, unreadable, fallbackPath, aside, database.Path, time);
        var fault = Combined(recorded, left);
        var writes = floor > realTop || session > realSession || found?.Seen is { Rows.Count: > 0 } || found?.Episode is not null || pending || left is not null;
        if (writes && database.IsReadOnly)
        {
            return new(null, "it is on read-only storage, so it cannot take over the seqs and the safety state of the volatile journal the gateway ran on before this restart");
        }

        try
        {
            // Initial too: a lockdown cleared on the volatile journal must not come back from
            // the real journal's older row (doors locked, the siren sounding, for nothing).
            if (found?.State is { } safety)
            {
                new SqliteSafetyStateStore(database).Save(safety);
            }

            // The sessions with the seqs: the office may ignore the will of a session below one
            // it saw, so the real journal's next start must be above the volatile one's. The
            // commands seen on the volatile journal in the same commit, else a replay runs again.
            if (writes)
            {
                // Its open journal-full episode too: its drops are counted in the real journal's
                // journal.recovered (JournalDatabase.Episode.cs).
                database.RaiseFloors(floor, session, JournalGapCause.FallbackJournal, transaction =>
                {
                    // Taken over: from now on the journal has a run of its own.
                    if (pending)
                    {
                        JournalDatabase.SetReplacePending(transaction, pending: false);
                    }

                    if (left is not null)
                    {
                        JournalDatabase.SetPendingFault(transaction, fault);
                    }

                    found?.Seen?.WriteIn(transaction);
                    if (found?.Episode is { } episode)
                    {
                        JournalDatabase.CarryEpisode(transaction, episode);
                    }
                });
            }
        }
        catch (JournalException ex)
        {
            return new(null, $"it cannot take over the seqs and the safety state of the volatile journal the gateway ran on before this restart: {ex.Message}");
        }

        // Only after the real journal's floor (and the fault) is durable: a crash before leaves the
        // fallback to find again. An unreadable one is kept aside as damaged, and its fault is
        // raised whatever it held: nothing else would tell the office its lockdown may be gone. A
        // rename that fails leaves the volatile journal in place (a readable one is then below the
        // real journal's seqs, and the next start takes nothing from it); the fault is
        // recorded again naming where it is.
        try
        {
            MoveWithSidecars(fallbackPath, aside);
            FloorMark.Delete(fallbackPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            if (left is not null)
            {
                var inPlace = left with
                {
                    KeptAt = fallbackPath,
                    Problem = unreadable is null ? left.Problem : $"{UnreadableText(fallbackPath, unreadable)}; it cannot be moved aside to {aside}: {ex.Message}",
                };
                fault = Combined(recorded, inPlace);
                RecordAgain(database, fault);
            }
        }

        return new(fault, null);
    }

    // The volatile journal's safety state, or null when it holds none: nothing was saved on it
    // (the controller saves only a state that changed: nothing was decided there) and nothing
    // seeded it (the card's state could not be read when it was made, or the card held none).
    // It then never saw the card's state, and its Initial, copied over the card's row, wrote the
    // Normal a start that could not read the card booted in over a lockdown the card still holds:
    // kept, the next start boots in it again. A saved state, even Normal, is a decision made on it
    // (a lockdown cleared there must not come back from the card's older row), or the card's state
    // seeded into it, and is copied.
    private static SafetyState? DecidedOn(JournalDatabase fallback)
    {
        var saved = fallback.Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "SELECT count(*) FROM safety_state WHERE id = 1;";
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0;
        });
        return saved ? new SqliteSafetyStateStore(fallback).Load() : null;
    }

    // The floors of a volatile journal of this boot that is gone, raised on the real journal, and
    // its mark dropped with it. Read-only or failing, the real journal keeps its own: the gateway
    // then runs on a new volatile journal, seeded above the mark.
    private static void RaiseToMark(JournalDatabase database, FloorMark? mark, string fallbackPath, TimeProvider time)
    {
        if (mark is not { } marked || database.IsReadOnly)
        {
            return;
        }

        try
        {
            var bound = marked.Bound(time);
            database.RaiseFloors(bound.Seq, bound.Session, JournalGapCause.FallbackJournal);
            FloorMark.Delete(fallbackPath);
        }
        catch (JournalException)
        {
        }
    }

    // No volatile journal to take over from: a journal created in place of a damaged one is done
    // with its replace. Left pending (a write that fails), the next start clears it; meanwhile no
    // volatile journal is there to take for newer.
    private static void NoTakeOverPending(JournalDatabase database)
    {
        try
        {
            if (!database.IsReadOnly && database.ReplacePending())
            {
                database.InTransaction(transaction => JournalDatabase.SetReplacePending(transaction, pending: false));
            }
        }
        catch (JournalException)
        {
        }
    }

    // The real journal opened but cannot take over: the volatile journal goes on, its fault saying
    // why. If that cannot be opened either, a read-only real journal is still run on (it gives out
    // no seq, so none can collide with the volatile journal's); a writable one that could not
    // raise its floor could, so the start fails as when neither journal opens. A volatile journal
    // from a newer release fails the start either way: running on the read-only real journal would
    // leave the lockdown it holds unread.
    private static JournalOpening StayOnFallback(JournalDatabase database, string path, string fallbackPath, string problem, TimeProvider time, Func<string, JournalDatabase> open)
    {
        try
        {
            var opening = OpenFallback(path, fallbackPath, problem, time, open);
            database.Dispose();
            return opening;
        }
        catch (JournalException ex) when (database.IsReadOnly && !ex.FromNewerBuild)
        {
            return new(database, null);
        }
        catch
        {
            database.Dispose();
            throw;
        }
    }

    // A volatile journal that cannot be read (its header, its tables or its safety-state row
    // damaged): moved aside as the real journal is when damaged, never deleted, so whatever it held
    // stays for a technician until power-off. Returns the fault's text: the office must learn that
    // a lockdown in force on it may have been lost. keptAt: where it is now (in place when the move
    // failed; the next start finds it again and says so again).
    private static string SetAsideUnreadable(string fallbackPath, string problem, TimeProvider time, out string keptAt)
    {
        var aside = Stamped(fallbackPath, "damaged", time);
        var what = UnreadableText(fallbackPath, problem);
        try
        {
            MoveWithSidecars(fallbackPath, aside);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            keptAt = fallbackPath;
            return $"{what}; it cannot be moved aside to {aside}: {ex.Message}";
        }

        keptAt = aside;
        return $"{what}; it is kept at {aside} until power-off";
    }

    /// <summary>What the volatile journal holds for the real one.</summary>
    /// <param name="Top">Its highest seq.</param>
    /// <param name="Undelivered">Its events the office has not acknowledged (0 when stale).</param>
    /// <param name="State">Its safety state; null when it is stale (below the real journal) or holds none (<see cref="DecidedOn"/>).</param>
    /// <param name="Session">Its saved MQTT session counter (0 when stale).</param>
    /// <param name="Seen">The commands it saw (null when stale: carried at its takeover).</param>
    /// <param name="Episode">Its open journal-full episode (null when none, or stale).</param>
    private sealed record Found(long Top, long Undelivered, SafetyState? State, long Session, SeenCommandsTakeOver? Seen, RecordedEpisode? Episode);
}
