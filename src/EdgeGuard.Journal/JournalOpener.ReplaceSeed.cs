using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

// A journal confirmed damaged is moved aside and a new one made in its place (JournalOpener.Attempt).
// The new one started with no safety state and an empty replay store, though the damaged file is
// usually still partly readable (the damage is often one page): a lockdown in force before the
// restart was lost (the site booted Normal, the fault saying only that it may have been), and a
// signed office command captured off the broker and re-published within its window ran again
// (an evacuate releasing egress locks, an open-door buzzing a door open), its id no longer known.
// Now the kept file, which nothing writes any more, is read as a card that cannot be written is
// read for the volatile journal (JournalOpener.Seed.cs: each part on its own, within SeedDeadline),
// and the new journal is seeded the same way: its safety state, the commands it had seen within
// their window with its replay clock, and floors above its highest seq and session too (the wall
// clock's may be behind a card's on a gateway without an RTC). The seed is written in the commit
// of the floors and the fault, so a kill leaves all of them or none; none is the replace cut short
// that the next start finishes (FinishReplace), seeding it then. Only from the file this boot's
// replace moved aside, named by a mark written before the move (ReplacingSuffix): a damaged file
// kept from long ago beside a journal a technician deleted holds an old lockdown, not the state in
// force before this start.
public static partial class JournalOpener
{
    /// <summary>
    /// Beside the journal while a replace is under way: names the damaged file it moves aside, so a
    /// start that finishes the replace after a kill seeds the new journal from that file only.
    /// </summary>
    internal const string ReplacingSuffix = ".replacing";

    /// <summary>What was read from the kept file (null: nothing), and what the fault says of it (null: nothing).</summary>
    private sealed record KeptSeed(SalvagedJournal? Salvaged, string? Text);

    // The salvage read of the damaged file moved aside to keptAt; no open runs beside it.
    private static KeptSeed ReadKept(string keptAt, TimeProvider time)
    {
        var salvaged = ReadSeed(keptAt, time, shared: false, out var failed);
        return salvaged is null ? new(null, failed) : new(salvaged, SeedText(salvaged, SeedWords.Replaced));
    }

    // Raises the new journal's floors (above the kept file's seqs and session too) with the fault
    // and the seed, in one commit; returns the fault as recorded, saying what the seed read and
    // what it could not. A seed SQLite refuses to write costs only itself: the floors and the
    // fault are committed without it, and the fault says so. Throws JournalException when even
    // that fails.
    private static JournalReplaced CommitReplaced(JournalDatabase fresh, NewJournalFloors floors, JournalReplaced fault, KeptSeed? seed)
    {
        var salvaged = seed?.Salvaged;
        var above = salvaged is null ? floors : floors.Above(salvaged.SeqTop, salvaged.Session);
        var seeded = fault with { Problem = WithSeed(fault.Problem, seed?.Text) };
        if (salvaged is null || !HasSeed(salvaged))
        {
            above.RaiseOnReplaced(fresh, seeded);
            return seeded;
        }

        try
        {
            above.RaiseOnReplaced(fresh, seeded, salvaged);
            return seeded;
        }
        catch (JournalException ex)
        {
            var unseeded = fault with { Problem = WithSeed(fault.Problem, SeedNotWritten(SeedWords.Replaced, ex)) };
            above.RaiseOnReplaced(fresh, unseeded);
            return unseeded;
        }
    }

    private static string WithSeed(string problem, string? seed) => seed is null ? problem : $"{problem}; {seed}";

    // Durable before the move, as its intent is. Best effort: without it a kill before the new
    // journal's commit leaves that journal unseeded, as every replace was before.
    private static void MarkReplacing(string path, string keptAt)
    {
        try
        {
            WriteSynced(path + ReplacingSuffix, keptAt);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    // The damaged file the replace under way when the last start ended moved aside; null when none was.
    private static string? ReplacingMark(string path)
    {
        try
        {
            var mark = path + ReplacingSuffix;
            return File.Exists(mark) ? File.ReadAllText(mark).Trim() : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    // The replace committed, never moved the file, or was finished: nothing left to seed from.
    private static void Unmark(string path)
    {
        try
        {
            File.Delete(path + ReplacingSuffix);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }
}
