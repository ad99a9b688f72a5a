using System.Globalization;
using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal;

/// <summary>
/// Opens the gateway's journal at boot so that the gateway always gets one. A journal that cannot be
/// opened used to fail the start (or hang it) before any output was driven: systemd restarted it,
/// then rebooted, and for as long as that lasted a panic locked nothing and a fire released no
/// egress. Now (docs/journal.md, "When the journal cannot be opened at boot"):
/// <list type="bullet">
/// <item>the open runs on a thread of its own, for at most <see cref="OpenDeadline"/>; a failure
/// that may pass (busy, locked, an I/O error) is tried again within it;</item>
/// <item>a damaged file (not a database, corrupt) is never deleted: it is moved aside with its
/// <c>-wal</c> and <c>-shm</c> (<c>edgeguard.db.damaged-&lt;UTC stamp&gt;</c>) and a fresh journal is
/// created in its place (<see cref="JournalReplaced"/>);</item>
/// <item>anything else (the directory cannot be created or written, the card is full, the open
/// hung or is only slow) opens a journal in the volatile fallback directory, seeded with the real
/// journal's safety state where that can be read (<see cref="JournalUnavailable"/>); one
/// left there by an earlier start that cannot be read is moved aside like a damaged file, never
/// deleted, and the fault says so (a lockdown it held may be lost);</item>
/// <item>a new journal starts its seqs at <see cref="SeqFloor"/> and its MQTT sessions above
/// <see cref="SessionFloor"/>, above anything a real journal reaches, and the real journal back
/// after a run on the fallback starts above the fallback's seqs and sessions.</item>
/// </list>
/// A journal written by a newer release is still refused (<see cref="JournalException.FromNewerBuild"/>),
/// the volatile one too (left in place, its lockdown not dropped): the gateway exits 2 and is not
/// restarted, as before: that is a rollback a technician just made.
/// </summary>
public static partial class JournalOpener
{
    /// <summary>systemd's <c>RuntimeDirectory=edgeguard</c>: created at each start, on tmpfs, gone at power-off.</summary>
    public const string DefaultFallbackDirectory = "/run/edgeguard";

    /// <summary>
    /// How long the boot waits for the journal before it runs on the volatile fallback. A healthy
    /// card opens it in milliseconds; after a power cut SQLite first replays the WAL (at most
    /// 8 MiB, <see cref="JournalDatabase.WalSizeLimit"/>, seconds on a slow card), and a journal
    /// tool may hold the lock for a moment (the busy timeout is 5 s). Past 10 s the card is not
    /// answering, or answering too slowly for the boot to wait: the volatile journal is then seeded
    /// from it, read beside the open within its own 5 s (JournalOpener.Seed.cs). With that 5 s,
    /// the safety state's 5 s and the settle time this stays far inside systemd's
    /// <c>TimeoutStartSec=90s</c>, so a hung card no longer holds the start until systemd kills it.
    /// </summary>
    public static readonly TimeSpan OpenDeadline = TimeSpan.FromSeconds(10);

    // Between tries of a failure that may pass: long enough not to spin on a card, short enough to
    // try many times within the deadline.
    private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Opens the journal at <paramref name="path"/>, or a journal in its place (above).
    /// </summary>
    /// <param name="path">The journal database in the state directory.</param>
    /// <param name="fallbackDirectory">The volatile directory for the fallback journal.</param>
    /// <param name="time">The clock for the seq floor, the stamps and the faults' times.</param>
    /// <param name="deadline">How long to wait for <paramref name="path"/>; <see cref="OpenDeadline"/> by default.</param>
    /// <param name="open">Opens a database file; <see cref="JournalDatabase.Open(string, TimeSpan?)"/> unless a test stands in.</param>
    /// <returns>The journal to run on and the fault to journal first, if any.</returns>
    /// <exception cref="JournalException">
    /// The file was written by a newer release, or neither it nor the fallback can be opened.
    /// </exception>
    public static JournalOpening Open(string path, string fallbackDirectory, TimeProvider time, TimeSpan? deadline = null, Func<string, JournalDatabase>? open = null) =>
        Open(path, fallbackDirectory, time, deadline, open, ReplaceGrace);

    // The same, with the wait for a replace under way at the deadline shortened by a test.
    internal static JournalOpening Open(string path, string fallbackDirectory, TimeProvider time, TimeSpan? deadline, Func<string, JournalDatabase>? open, TimeSpan replaceGrace)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentException.ThrowIfNullOrWhiteSpace(fallbackDirectory);
        ArgumentNullException.ThrowIfNull(time);
        open ??= p => JournalDatabase.Open(p);
        var fullPath = Path.GetFullPath(path);
        var fallbackPath = Path.Combine(Path.GetFullPath(fallbackDirectory), JournalDatabase.FileName);
        if (string.Equals(fullPath, fallbackPath, StringComparison.Ordinal))
        {
            // The state directory is the volatile one (a test, a quick start): nothing to fall back to.
            return new(open(fullPath), null);
        }

        var attempt = new Attempt(fullPath, time, deadline ?? OpenDeadline, replaceGrace, open);
        var outcome = attempt.Run();
        if (outcome.Failure is JournalException { FromNewerBuild: true } newer)
        {
            throw newer;
        }

        if (outcome.Database is { } database)
        {
            // A replaced journal takes over from a volatile one too (its floor is above it already):
            // left in place, the volatile one would be found again at the next start.
            TakeOver takeOver;
            try
            {
                takeOver = TakeOverFromFallback(database, fallbackPath, time, open, createdNow: outcome.Fault is not null);
            }
            catch
            {
                // A volatile journal from a newer release, refused like a real one: the real
                // journal is closed again, untouched, for the newer release to find as it was.
                database.Dispose();
                throw;
            }

            if (takeOver.Problem is { } problem)
            {
                var why = outcome.Fault is { } replaced
                    ? $"{replaced.Problem}; it was moved aside to {replaced.KeptAt} and a new journal created, but {problem}"
                    : problem;
                return StayOnFallback(database, fullPath, fallbackPath, why, time, open);
            }

            // One fault per start: the damage's, which then also says what the volatile one left;
            // as recorded in the journal (a start killed before journaling it left it there).
            return new(database, takeOver.Left ?? outcome.Fault);
        }

        // Not damaged: the file is there and answers, it only cannot be written; or the open was
        // still running at the deadline, and a card that is only slow (a schema upgrade over a
        // large events table, a WAL replay after a power cut) still answers a read. Unseeded, the
        // gateway ran Normal over the card's lockdown, and the next restart's takeover wrote that
        // Normal onto the card. A card that does not answer at all costs the seed's 5 s more.
        // Damage the open did not move aside is read the same way: after a power cut a slow open
        // (WAL replay, busy retries) leaves no time to confirm one short read, and the file, most
        // likely whole, holds the lockdown and the commands seen; unseeded, the site booted Normal
        // and a captured command could be replayed. The salvage read takes what it can of a file
        // that is damaged indeed, and the fault says what it could not. Only a file moved aside
        // (or being moved) is not read: it is no longer there.
        var seed = outcome.TimedOut
            ? SeedRead.BesideSlowOpen
            : outcome.Failure is { } failure && (outcome.DamageLeftInPlace || !IsDamaged(failure)) ? SeedRead.Unwritable : SeedRead.None;
        return OpenFallback(fullPath, fallbackPath, outcome.Problem!, time, open, seed);
    }

    /// <summary>
    /// The first seq of a journal that cannot know the last seq of the one it replaces: Unix time in
    /// milliseconds × 1,000 when it was created, about 1.8 × 10^15 in 2027. A real journal does
    /// not get there (10,000 events a second would take millennia), two such journals created a
    /// millisecond apart or more do not overlap before 1,000 events per millisecond of their lives,
    /// and it stays below 2^53 (JavaScript's exact integers) until the year 2255.
    /// </summary>
    /// <param name="time">The clock.</param>
    /// <returns>The floor.</returns>
    public static long SeqFloor(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return NewJournalFloors.At(time).Seq;
    }

    /// <summary>
    /// The MQTT session counter of a journal that cannot know the last session the office saw:
    /// Unix time in seconds when it was created, about 1.8 × 10^9 in 2027; its first start takes
    /// the next one. A real journal's counter (one per process start) does not get there, and a
    /// new journal starts above an earlier new one's sessions, since starts come at most one per
    /// <c>RestartSec</c> (3 s). Like <see cref="SeqFloor"/> it trusts the wall clock not to go
    /// back across the replacement.
    /// </summary>
    /// <param name="time">The clock.</param>
    /// <returns>The last session the new journal counts as handed out.</returns>
    public static long SessionFloor(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        return NewJournalFloors.At(time).Session;
    }

    // Both floors of a new journal from one reading of the clock, raised together
    // (JournalDatabase.RaiseFloors): a new journal knows neither the seqs nor the sessions the
    // office saw from the one it replaces.
    private readonly record struct NewJournalFloors(long Seq, long Session)
    {
        public static NewJournalFloors At(TimeProvider time)
        {
            var ms = time.GetUtcNow().ToUnixTimeMilliseconds();
            return new(Math.Max(1, ms) * 1_000, Math.Max(1, ms / 1_000));
        }

        // Above a journal the office saw (seqTop, session): its first seq and session above them too.
        // The first seq at least 2 above, so the floor itself (Seq - 1, this journal's top until its
        // first event commits) is above the card's top: a takeover counts only a volatile journal
        // above the card as newer, and one level with it lost a lockdown saved before that event.
        public NewJournalFloors Above(long seqTop, long session) =>
            new(Math.Max(Seq, seqTop + 2), Math.Max(Session, session));

        // Above what a volatile journal of this boot that cannot be read now may have given out (FloorMark).
        public NewJournalFloors Above(FloorMark? mark, TimeProvider time) =>
            mark?.Bound(time) is { } bound ? new(Math.Max(Seq, bound.Seq), Math.Max(Session, bound.Session)) : this;

        // On a journal this start just made: its seqs start at Seq, its sessions above Session.
        public void RaiseOn(JournalDatabase database) =>
            database.RaiseFloors(Seq - 1, Session, JournalGapCause.NewJournal);

        // The same on a journal made in place of a damaged one, which says so until its takeover,
        // with the fault that reports it, pending until journaled (JournalDatabase.Replace.cs).
        // seed: what was read from the damaged file (JournalOpener.ReplaceSeed.cs), written in the
        // same commit, so a kill leaves the floors with the seed or neither.
        public void RaiseOnReplaced(JournalDatabase database, JournalReplaced fault, SalvagedJournal? seed = null) =>
            database.RaiseFloors(Seq - 1, Session, JournalGapCause.NewJournal, transaction =>
            {
                JournalDatabase.SetReplacePending(transaction, pending: true);
                JournalDatabase.SetPendingFault(transaction, fault);
                if (seed is not null)
                {
                    JournalDatabase.WriteSeed(transaction, seed);
                }
            });
    }

    // The fallback: the one left over from an earlier start of this boot (a restart: it goes on,
    // seqs and safety state included), else a new one at the floor. One left over that cannot be
    // opened or read is moved aside and a new one made in its place: failing the start for it
    // would restart the gateway into the same failure, then reboot it, unprotected meanwhile. One
    // written by a newer release is not unreadable but refused in place, as the real journal is:
    // a release rolled back this boot, and moving it aside would drop the lockdown it holds, said
    // only in a fault's text; exit 2 is not restarted, so a technician sees it. A
    // safety-state row it cannot read is not looked at here: the gateway runs on that journal, and
    // the controller's boot reports the row (fault.safety-state-unreadable).
    // seed: a new one (or one no start has run on yet) takes the safety state of the real journal
    // at path, read without writing (JournalOpener.Seed.cs), and how it is read.
    private static JournalOpening OpenFallback(string path, string fallbackPath, string problem, TimeProvider time, Func<string, JournalDatabase> open, SeedRead seed = SeedRead.None)
    {
        JournalDatabase? database = null;
        UndoCutMoveOf(fallbackPath);
        // Read before one that cannot be read is set aside: the new one starts above it.
        var mark = FloorMark.Read(fallbackPath);
        // Its WAL alone counts too: a main file lost beside it is refused by every open
        // (JournalDatabase.OrphanedWal.cs), so it is set aside below, or no start could make one.
        if (File.Exists(fallbackPath) || File.Exists(fallbackPath + "-wal"))
        {
            try
            {
                // What its start reads too: a page lost under it is unreadable like its header.
                database = ReadAsAStart(open(fallbackPath));
                if (database.SeqTop() == 0)
                {
                    // Made by a start that ended before its floors: nothing ran on it.
                    problem = SeededAtTheFloors(database, path, fallbackPath, problem, seed, time, mark);
                }
            }
            catch (JournalException ex) when (ex.FromNewerBuild)
            {
                database?.Dispose();
                throw ex.WithContext($"it was found because the journal at '{path}' could not be opened: {problem}");
            }
            catch (JournalException ex)
            {
                database?.Dispose();
                database = null;
                problem = $"{problem}; and {SetAsideUnreadable(fallbackPath, ex.Message, time, out var keptAt)}";
                if (keptAt == fallbackPath)
                {
                    throw JournalException.For(path, problem, ex);
                }
            }
        }

        if (database is null)
        {
            try
            {
                database = open(fallbackPath);
                problem = SeededAtTheFloors(database, path, fallbackPath, problem, seed, time, mark);
            }
            catch (JournalException ex)
            {
                database?.Dispose();
                throw JournalException.For(path, $"{problem}; and the volatile fallback journal cannot be opened either: {ex.Message}", ex);
            }
        }

        return new(database, new JournalUnavailable(time.GetUtcNow(), path, fallbackPath, problem));
    }

    // The seed before the floors: a start that ends between the two leaves a journal nothing ran
    // on, which the next start seeds again. The floors above the card's seqs and session too, when
    // the seed read them: a wall clock behind the card's (no RTC, before NTP) would otherwise start
    // the volatile journal below what the office saw from the card.
    // mark: the floors of a volatile journal an earlier start of this boot seeded (FloorMark).
    private static string SeededAtTheFloors(JournalDatabase fallback, string path, string fallbackPath, string problem, SeedRead seed, TimeProvider time, FloorMark? mark)
    {
        (long SeqTop, long Session) card = (0, 0);
        if (seed != SeedRead.None && SeedFromUnwritable(fallback, path, time, shared: seed == SeedRead.BesideSlowOpen, out card) is { } seeded)
        {
            problem = $"{problem}; {seeded}";
        }

        var floors = NewJournalFloors.At(time).Above(card.SeqTop, card.Session).Above(mark, time);
        floors.RaiseOn(fallback);
        FloorMark.Write(fallbackPath, floors, time);
        return problem;
    }

    // The volatile journal's files are on tmpfs, which does not refuse a rename; should it, the
    // journal is opened as it is, as before.
    private static void UndoCutMoveOf(string fallbackPath)
    {
        try
        {
            UndoCutMove(fallbackPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }
    }

    // path.<what>-<UTC stamp>, e.g. edgeguard.db.damaged-20261204T165300123Z: sorts by time.
    internal static string Stamped(string path, string what, TimeProvider time) =>
        string.Create(CultureInfo.InvariantCulture, $"{path}.{what}-{time.GetUtcNow().UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}");

    // The WAL and its index first: a -wal left beside a new database file would be replayed into it.
    // Three renames, so a kill can come between them: the intent is written first (from.moving,
    // naming to), and the main file's rename is the move's commit point. Before it, the next open
    // undoes the move (UndoCutMove); after it, only the intent is left to delete.
    // A main file lost beside its WAL (JournalDatabase.OrphanedWal.cs) is moved as an empty one,
    // made first: the damaged-<stamp> file is what the next start goes by (NewestDamaged), and a
    // kill before the move finds the same damage again.
    internal static void MoveWithSidecars(string from, string to)
    {
        var sidecars = Sidecars.Where(s => File.Exists(from + s)).ToArray();
        if (sidecars.Length > 0 && !File.Exists(from))
        {
            File.Create(from).Dispose();
        }

        if (sidecars.Length > 0)
        {
            WriteMoveIntent(from, to);
        }

        foreach (var sidecar in sidecars)
        {
            File.Move(from + sidecar, to + sidecar);
        }

        File.Move(from, to);
        File.Delete(from + MovingSuffix);
    }

    // A move of path's files that a kill cut short (MoveWithSidecars): its -wal and -shm moved, its
    // main file not. Opened so, the main file alone was its last checkpoint: a lockdown saved since
    // was gone with no fault, and seqs committed since were given out again. The files are put back
    // together and the start decides again (a damaged file is found damaged again and moved, whole
    // this time; a read the card failed once is not). Once the main file has moved, the move is
    // done. Best effort where it cannot write (the open then finds what is there).
    internal static void UndoCutMove(string path)
    {
        var intent = path + MovingSuffix;
        if (!File.Exists(intent))
        {
            return;
        }

        var to = File.ReadAllText(intent).Trim();
        if (to.Length > 0 && File.Exists(path) && !File.Exists(to))
        {
            foreach (var sidecar in Sidecars)
            {
                if (File.Exists(to + sidecar) && !File.Exists(path + sidecar))
                {
                    File.Move(to + sidecar, path + sidecar);
                }
            }
        }

        File.Delete(intent);
    }

    // Durable before the first rename: a kill after it must find it.
    internal static void WriteMoveIntent(string from, string to) => WriteSynced(from + MovingSuffix, to);

    private static void WriteSynced(string file, string text)
    {
        using var stream = new FileStream(file, FileMode.Create, FileAccess.Write, FileShare.None);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
        stream.Flush(flushToDisk: true);
    }

    internal const string MovingSuffix = ".moving";

    private static readonly string[] Sidecars = ["-wal", "-shm"];
}

/// <summary>The journal the gateway runs on, and the fault its start journals first (null: none).</summary>
/// <param name="Database">The open database; the caller owns it.</param>
/// <param name="Fault">
/// <see cref="JournalReplaced"/> or <see cref="JournalUnavailable"/> when the gateway does not run
/// on the journal its last run wrote (or undelivered events were left in a retired one).
/// </param>
public sealed record JournalOpening(JournalDatabase Database, DomainEvent? Fault);
