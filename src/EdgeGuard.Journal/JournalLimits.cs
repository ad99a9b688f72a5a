namespace EdgeGuard.Journal;

/// <summary>
/// How much the event journal keeps. Delivered records age out past <see cref="MaxDeliveredAge"/>
/// and are trimmed, oldest first, when the journal holds more than <see cref="MaxRecords"/>.
/// Undelivered records are never deleted: when <see cref="MaxRecords"/> of them are waiting, new
/// events are dropped and counted, and the journal records a <c>fault.journal-full</c>. Critical
/// events (and the clearing of a lockdown) are still journaled then, in a reserve of
/// <see cref="CriticalReserve"/> records above the limit; only once that is used up are they
/// dropped and counted like the rest.
/// </summary>
/// <param name="MaxRecords">
/// Most records kept (delivered or not), and most undelivered ones accepted for events that are
/// not critical. The default, <see cref="DefaultMaxRecords"/>, is about 300 MB of disk; the
/// reserves above it (or above a larger backlog found at open: <see cref="CriticalCeilingAbove"/>)
/// add at most <see cref="CriticalReserve"/> + <see cref="FaultReserve"/> records (about 300 KB).
/// </param>
/// <param name="MaxDeliveredAge">
/// Delivered records journaled longer ago than this are deleted, measured on the journal's
/// retention clock (its running time, summed over restarts; never the wall clock, which can be
/// stepped), so a record is kept at least this long. EN 50131 asks for at least 30 days of event
/// history, hence the default.
/// </param>
public sealed record JournalLimits(long MaxRecords, TimeSpan MaxDeliveredAge)
{
    /// <summary>
    /// Records critical events may take above <see cref="MaxRecords"/> while the journal is full
    /// of undelivered records, so a lockdown is never missing from the audit trail because the
    /// office link was down and door contacts filled the journal. A lockdown writes a handful of
    /// such records (started, each retrigger, output faults, cleared), so 1,024 covers a long
    /// outage with many lockdowns or a panic button pressed again and again, and stays small
    /// beside <see cref="MaxRecords"/> (about 300 KB). Beyond it critical events are dropped and
    /// counted too: the disk stays bounded whatever happens.
    /// </summary>
    internal const int CriticalReserve = 1024;

    /// <summary>
    /// Of <see cref="CriticalReserve"/>, the records office commands may take (received, done,
    /// refused, rebirth, resend ended, and an acknowledgement that silences nothing, which is never
    /// refused when repeated; <c>EventJournal.IsOfficeRecord</c>), and as many of the seqs a journal
    /// that cannot write hands out from memory per episode. An office that sees nothing from a
    /// gateway whose events the broker refuses, which is how the journal fills, may well send a
    /// signed rebirth or acknowledgement again and again, about three records each; without this
    /// share that loop would use up the reserve and the next lockdown would be dropped. What changes
    /// what the site does (a lockdown's clear, a fire reset, a siren silenced, a bypass and its
    /// end) may use the whole reserve.
    /// </summary>
    internal const int OfficeShare = 256;

    /// <summary>
    /// Records the journal's own <c>fault.journal-full</c> may take above
    /// <see cref="MaxRecords"/> + <see cref="CriticalReserve"/>, so the fault of an episode (one
    /// per episode, one more per restart while full) is journaled even when critical events have
    /// used up their reserve.
    /// </summary>
    internal const int FaultReserve = 16;

    /// <summary>
    /// Records kept by default: DESIGN.md's broker outage of 1,000,000 events, with a tenth more for
    /// what else the gateway journals meanwhile. At exactly 1,000,000 a million door events fitted
    /// with nothing to spare (bench/EdgeGuard.Bench.EndToEnd --outage 1000000), so a restart during
    /// the outage (its journal.gap, its start) or a fault would have had the last door events dropped.
    /// 1,000,000 records took 268 MiB of journal files there (281 bytes each, hash chain included).
    /// </summary>
    public const long DefaultMaxRecords = 1_100_000;

    /// <summary><see cref="DefaultMaxRecords"/> records, delivered ones kept 30 days.</summary>
    public static JournalLimits Default { get; } = new(DefaultMaxRecords, TimeSpan.FromDays(30));

    /// <summary>Undelivered records below which a critical event is still journaled: <see cref="MaxRecords"/> + <see cref="CriticalReserve"/>.</summary>
    internal long CriticalCeiling => CriticalCeilingAbove(0);

    /// <summary>Undelivered records below which the journal's own fault is still journaled: <see cref="CriticalCeiling"/> + <see cref="FaultReserve"/>.</summary>
    internal long FaultCeiling => FaultCeilingAbove(0);

    /// <summary>
    /// Undelivered records below which a critical event is still journaled by a journal that
    /// found <paramref name="waitingAtOpen"/> undelivered records when it opened: the reserve is
    /// above <see cref="MaxRecords"/> or above that backlog, whichever is more. A limit lowered at
    /// a restart below what already waits (a changed journal.maxRecords, or the RAM journal's
    /// limit recomputed from less free space in /run) must not leave a lockdown no room at all;
    /// each start adds at most one reserve above what it found.
    /// </summary>
    internal long CriticalCeilingAbove(long waitingAtOpen) => SaturatingAdd(ReserveFloor(waitingAtOpen), CriticalReserve);

    /// <summary>Undelivered records below which an office command's own record is still journaled: <see cref="OfficeShare"/> of the reserve above <see cref="CriticalCeilingAbove"/>'s floor.</summary>
    internal long OfficeCeilingAbove(long waitingAtOpen) => SaturatingAdd(ReserveFloor(waitingAtOpen), OfficeShare);

    // Where the reserves start: the limit, or a larger backlog found at open.
    private long ReserveFloor(long waitingAtOpen) => Math.Max(MaxRecords, waitingAtOpen);

    /// <summary>The fault's ceiling above <see cref="CriticalCeilingAbove"/>: <see cref="FaultReserve"/> more.</summary>
    internal long FaultCeilingAbove(long waitingAtOpen) => SaturatingAdd(CriticalCeilingAbove(waitingAtOpen), FaultReserve);

    /// <summary>
    /// Bytes a record is counted at when a journal in RAM is sized (<see cref="ForVolatile"/>): the
    /// 281 bytes a door event took in the outage bench, with room for the WAL beside the file.
    /// </summary>
    public const long VolatileBytesPerRecord = 512;

    /// <summary>The fewest records a journal in RAM is given, however little room it finds.</summary>
    public const long MinVolatileRecords = 1_000;

    /// <summary>
    /// These limits for a journal in RAM (the volatile fallback in /run, JournalOpener), which
    /// <paramref name="roomBytes"/> is the room for (its file system's free space plus what it
    /// holds already): <see cref="MaxRecords"/> cut to what half of that room holds. /run is a small
    /// tmpfs (a tenth to a fifth of the RAM) that systemd and every other service write to, and the
    /// default limit (about 300 MB) outgrows it in a long office outage: a full /run would fail
    /// more than the journal. Past the cut, the journal is full as on a disk: new events dropped
    /// and counted, critical ones kept in the reserve, <c>fault.journal-full</c>.
    /// </summary>
    /// <param name="roomBytes">Free bytes of the journal's file system plus its files' size.</param>
    public JournalLimits ForVolatile(long roomBytes) =>
        this with { MaxRecords = Math.Min(MaxRecords, Math.Max(MinVolatileRecords, roomBytes / 2 / VolatileBytesPerRecord)) };

    /// <summary>Throws when a limit makes no sense.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is zero or negative.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRecords, 1L, nameof(MaxRecords));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxDeliveredAge, TimeSpan.Zero, nameof(MaxDeliveredAge));
    }

    // A limit near long.MaxValue means "no limit"; the reserves must not wrap it negative.
    private static long SaturatingAdd(long value, long add) => value > long.MaxValue - add ? long.MaxValue : value + add;
}
