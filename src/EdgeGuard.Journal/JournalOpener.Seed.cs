using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The card's journal would not open for writing, but not because it is damaged: a full card (the
// -shm cannot grow, a schema upgrade cannot be written), a directory that cannot be written. Its
// safety state is still readable, and a new volatile journal starting in Normal lost the lockdown
// it held; worse, the takeover when the card was back copied that Normal over it. So the new
// volatile journal is seeded with the card's safety-state row, read without writing
// (JournalDatabase.Salvage.cs); the takeover later writes that state, or whatever followed it on
// the volatile journal, back. Only a volatile journal made now: one left by an earlier start of
// this boot holds a newer state than the card. The same read takes the commands the card had seen
// (a signed command run before the restart, its message captured and re-sent within its window,
// ran again on the volatile journal) and its highest seq and session, which the volatile journal's
// floors are raised above (OpenFallback): those come from the wall clock, which a gateway without
// an RTC may find behind the card's at boot. The same when the open was still running at its
// deadline: a card that answers slowly (a schema upgrade building an index over a large events
// table, a WAL replay after a power cut) holds a readable lockdown, and an unseeded volatile
// journal booted Normal over it, which the next restart's takeover wrote onto the card. The same
// again for a file the open found damaged but left in place (one corrupt read after a slow open,
// no time left to confirm it): most likely whole, and a partly damaged one still gives what it can.
public static partial class JournalOpener
{
    /// <summary>
    /// How long the boot waits for the salvage read (the safety state, the seen commands, the
    /// highest seq and the session) of a journal that would not open for writing, or whose open
    /// was given up on at its deadline: a card that answers reads it in well under a second; one
    /// that does not answer at all (its lookup of the file too is inside this bound) is given up
    /// on, its thread left to end with the card, and the volatile journal starts in Normal with a
    /// fault that says a lockdown may have been lost.
    /// </summary>
    private static readonly TimeSpan SeedDeadline = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The seed's look at whether the card's journal is there; null: <see cref="File.Exists"/>.
    /// Tests stand a card whose every lookup hangs in for it. An <see cref="AsyncLocal{T}"/>, so a
    /// test's value reaches only its own opens.
    /// </summary>
    internal static readonly AsyncLocal<Func<string, bool>?> SeedLookup = new();

    // Extended result codes SQLite gives when the storage has no room: the -shm cannot grow.
    private const int IoErrorShmSize = SqliteCodes.IoError | (19 << 8);

    // Less free room than this on the journal's file system is a full card: below the -shm's
    // first 32 KiB and a few WAL frames, an I/O error in the open is for want of room.
    private const long NoRoomBytes = 64 * 1024;

    /// <summary>
    /// Whether <paramref name="failure"/> of the open at <paramref name="path"/> is for want of
    /// room (<c>SQLITE_FULL</c>, <c>SQLITE_IOERR_SHMSIZE</c>, or an I/O error on a file system with
    /// almost nothing free): final, since nothing frees room within the open's deadline, where
    /// retrying it for 10 s only delayed the boot.
    /// </summary>
    internal static bool IsNoRoom(Exception failure, string path, Func<string, long?>? freeBytes = null)
    {
        for (var ex = failure; ex is not null; ex = ex.InnerException)
        {
            if (ex is SqliteException sqlite)
            {
                return SqliteCodes.Primary(sqlite) == SqliteCodes.Full
                    || SqliteCodes.Extended(sqlite) == IoErrorShmSize
                    || (SqliteCodes.Primary(sqlite) == SqliteCodes.IoError && (freeBytes ?? FreeBytes)(path) < NoRoomBytes);
            }
        }

        return false;
    }

    private static long? FreeBytes(string path)
    {
        try
        {
            return new DriveInfo(Path.GetDirectoryName(path) ?? ".").AvailableFreeSpace;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    // Seeds the new volatile journal from the journal at path, if it can be read; returns what the
    // fault adds (what was restored, or why nothing was), null when there was nothing to read.
    // card: the card's highest seq and session, for the floors; (0, 0) when they were not read.
    // shared: the open of path may still be running on its own thread (given up on at the
    // deadline), writing a migration or replaying the WAL; the read then takes SQLite's locks
    // (JournalDatabase.ReadSalvage).
    private static string? SeedFromUnwritable(JournalDatabase fallback, string path, TimeProvider time, bool shared, out (long SeqTop, long Session) card)
    {
        card = (0, 0);
        var salvaged = ReadSeed(path, time, shared, out var failed);
        if (salvaged is null)
        {
            return failed; // null: no journal there, nothing to read
        }

        card = (salvaged.SeqTop, salvaged.Session);
        if (!HasSeed(salvaged))
        {
            return SeedText(salvaged, SeedWords.Volatile);
        }

        try
        {
            fallback.SeedFrom(salvaged);
        }
        catch (JournalException ex)
        {
            return SeedNotWritten(SeedWords.Volatile, ex);
        }

        return SeedText(salvaged, SeedWords.Volatile);
    }

    // The salvage read of the journal at path (JournalDatabase.ReadSalvage), bounded by
    // SeedDeadline; null when there is no journal there (failed null) or it could not be read
    // (failed: what the fault says of that).
    private static SalvagedJournal? ReadSeed(string path, TimeProvider time, bool shared, out string? failed)
    {
        failed = null;
        var now = time.GetUtcNow();
        var exists = SeedLookup.Value ?? File.Exists;
        // The look at the file too runs within the bound: after an open given up on at its
        // deadline, the card may not answer at all, and a lookup on the boot's thread waited with
        // the open's own, unbounded, until systemd killed the start (review of 2026-12-05).
        var read = Task.Run(() => exists(path) ? JournalDatabase.ReadSalvage(path, JournalDatabase.DefaultBusyTimeout, now, shared) : null);
        try
        {
            if (!read.Wait(SeedDeadline))
            {
                failed = $"its saved safety state, the commands it had seen and its seqs and sessions could not be read within {SeedDeadline.TotalSeconds:0} s either, so a lockdown in force on it may have been lost, and a command it ran before the restart could run again if its message is replayed within its window";
                return null;
            }
        }
        catch (AggregateException ex)
        {
            failed = $"its saved safety state cannot be read either ({ex.InnerException?.Message ?? ex.Message}), so a lockdown in force on it may have been lost, and a command it ran before the restart could run again if its message is replayed within its window";
            return null;
        }

        return read.Result;
    }

    // Whether the read found anything to write into the new journal.
    private static bool HasSeed(SalvagedJournal salvaged) =>
        salvaged.SafetyStateRow is not null || salvaged.Seen is { Rows.Count: > 0 };

    // What the fault says of a seed read and written into words.Journal: what goes on there, and
    // what could not be read and what that means; null when there is nothing to say.
    private static string? SeedText(SalvagedJournal salvaged, SeedWords words)
    {
        var notSeen = (salvaged.SafetyStateProblem is { } lost
            ? $"; its saved safety state cannot be read ({lost}), so a lockdown in force on it may have been lost"
            : "") + (salvaged.SeenProblem is { } problem
            ? $"; the office commands it had seen cannot be read ({problem}), so one it ran before the restart could run again if its message is replayed within its window"
            : "") + Unread(salvaged, words.Journal);
        if (!HasSeed(salvaged))
        {
            return notSeen.Length == 0 ? null : notSeen[2..];
        }

        var state = salvaged.SafetyStateRow is null
            ? ""
            : $"its saved safety state was read from it without writing and goes on in {words.Journal} (a lockdown in force stays in force){words.StateLater}";
        var commands = salvaged.Seen is not { Rows.Count: > 0 }
            ? ""
            : $"the office commands it had seen were read from it without writing and go on in {words.Journal} too (a replay of one is refused as a repeat, not run again){words.CommandsLater}";
        return string.Join("; ", new[] { state, commands }.Where(part => part.Length > 0)) + notSeen;
    }

    // A seed read but not written (SQLite refused the write into words.Journal).
    private static string SeedNotWritten(SeedWords words, JournalException ex) =>
        $"its saved safety state and the office commands it had seen were read but could not be written to {words.Journal} ({ex.Message}), so a lockdown in force on it may have been lost, and a command it ran before the restart could run again if its message is replayed within its window";

    /// <summary>How the seed's fault names the journal it seeds, and what becomes of the seed later.</summary>
    private sealed record SeedWords(string Journal, string StateLater, string CommandsLater)
    {
        // The volatile journal a card that cannot be written leaves: the takeover writes it back.
        public static readonly SeedWords Volatile = new("the volatile journal",
            ", and is written back when the journal can be written again",
            ", and stay remembered when the journal can be written again");

        // The new journal made in place of a damaged one (JournalOpener.ReplaceSeed.cs).
        public static readonly SeedWords Replaced = new("the new journal", "", "");
    }

    // What the fault says of the card's highest seq and session counter when they could not be
    // read: the volatile journal's floors then come from the wall clock alone.
    private static string Unread(SalvagedJournal salvaged, string journal)
    {
        var parts = new List<string>(2);
        var counters = new List<string>(2);
        if (salvaged.SeqTopProblem is { } seqs)
        {
            parts.Add($"its highest seq ({seqs})");
            counters.Add("seqs");
        }

        if (salvaged.SessionProblem is { } sessions)
        {
            parts.Add($"its MQTT session counter ({sessions})");
            counters.Add("sessions");
        }

        // gateway_meta unread but events or the outbox cursor read: the seqs start above those too,
        // a lower bound that misses the seqs it reserved and handed out past them.
        var above = salvaged is { SeqTopProblem: not null, SeqTopPartial: true, SeqTop: > 0 }
            ? $" (its seqs also above {salvaged.SeqTop}, the highest its events and outbox hold, but not above those it reserved past them)"
            : "";
        return parts.Count == 0
            ? ""
            : $"; {string.Join(" and ", parts)} cannot be read, so {journal}'s {string.Join(" and ", counters)} start from the wall clock alone{above}, and with a clock behind the card's may go back below those the office saw from it";
    }
}

/// <summary>Whether, and how, a new volatile journal is seeded from the real journal (JournalOpener.Seed.cs).</summary>
internal enum SeedRead
{
    /// <summary>Not seeded: the real journal was moved aside as damaged, or was given up on in a replace.</summary>
    None,

    /// <summary>
    /// The real journal would not open for writing (a full card), or was found damaged and left in
    /// place (not confirmed within the deadline): read without locks, no open running beside it.
    /// </summary>
    Unwritable,

    /// <summary>
    /// The real journal's open was still running at the deadline: read beside it, with SQLite's
    /// locks, so its checkpoint cannot change the file under the read.
    /// </summary>
    BesideSlowOpen,
}
