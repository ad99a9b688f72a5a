using EdgeGuard.Cli;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using Microsoft.Extensions.Logging;

namespace EdgeGuard.Hosting;

/// <summary>Opens the event journal with its failures (writer, unreadable rows) and its own faults going to the log.</summary>
internal static partial class JournalLogging
{
    public static EventJournal Create(JournalOpening opening, TimeProvider time, JournalLimits limits, ILogger<EventJournal> log)
    {
        var database = opening.Database;
        if (VolatileRoom(opening, RoomOf) is { } room)
        {
            var configured = limits.MaxRecords;
            limits = limits.ForVolatile(room);
            if (limits.MaxRecords < configured)
            {
                LogVolatileLimit(log, limits.MaxRecords, configured, database.Path);
            }
        }

        if (database.ReadOnlyAccess is { } access)
        {
            // Once, at the start, where a technician reading `journalctl -u edgeguard` looks first.
            LogReadOnly(log, database.Path, access);
        }

        var journal = new EventJournal(database, time, limits,
            onError: ex => LogFailure(log, ex),
            onJournalEvent: e => LogJournalEvent(log, e.Type, e));
        switch (opening.Fault)
        {
            case JournalReplaced replaced:
                // The command's path quoted for a shell (a space or quote in journal.path broke it).
                LogReplaced(log, replaced.KeptAt, GatewayFilesUser.ShellQuote(replaced.KeptAt), replaced.Path, replaced.Problem);
                break;
            case JournalUnavailable unavailable:
                LogUnavailable(log, unavailable.Path, unavailable.FallbackPath, unavailable.Reason);
                break;
        }

        if (opening.Fault is { } fault)
        {
            // Before the controller's first event: right after the journal.gap that opens a new
            // journal, so the office reads why the seqs jumped next to the jump. A
            // fault.journal-replaced is also recorded in the journal until the commit that
            // journals it (JournalDatabase.Replace.cs): a kill before that commit raises it again.
            journal.Publish([fault]);
        }

        return journal;
    }

    /// <summary>
    /// The room a journal in RAM has (<see cref="JournalLimits.ForVolatile"/>), or null when
    /// <paramref name="opening"/> runs on the real journal.
    /// </summary>
    /// <param name="opening">The boot's journal.</param>
    /// <param name="roomOf">The free bytes of a file's file system plus the size of its files.</param>
    internal static long? VolatileRoom(JournalOpening opening, Func<string, long?> roomOf) =>
        opening.Fault is JournalUnavailable unavailable
        && string.Equals(Path.GetFullPath(opening.Database.Path), Path.GetFullPath(unavailable.FallbackPath), StringComparison.Ordinal)
            ? roomOf(opening.Database.Path)
            : null;

    // Free space plus the journal's own files (it may hold a run before this restart). Null when
    // the file system cannot be asked: the configured limits then stand.
    internal static long? RoomOf(string path)
    {
        try
        {
            var free = new DriveInfo(Path.GetDirectoryName(Path.GetFullPath(path))!).AvailableFreeSpace;
            return free + new[] { path, path + "-wal", path + "-shm" }.Sum(f => File.Exists(f) ? new FileInfo(f).Length : 0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning, Message = "The journal in RAM keeps at most {MaxRecords} records (configured {Configured}): half the room of the file system {Path} is on, so a long office outage cannot fill /run under systemd and the other services; past it the journal is full (fault.journal-full)")]
    private static partial void LogVolatileLimit(ILogger log, long maxRecords, long configured, string path);

    [LoggerMessage(EventId = 503, Level = LogLevel.Critical, Message = "Journal database replaced: the old one is kept at {KeptAt} (with its -wal and -shm; export it with `sudo -u edgeguard edgeguard journal export --db {KeptAtWord}`), the gateway runs on a new journal at {Path}; no saved safety state was restored (a lockdown in force before may have been lost: fault.journal-replaced). {Problem}")]
    private static partial void LogReplaced(ILogger log, string keptAt, string keptAtWord, string path, string problem);

    [LoggerMessage(EventId = 504, Level = LogLevel.Critical, Message = "Journal database {Path} cannot be opened; the gateway runs on a volatile journal at {FallbackPath}: events and the safety state now live in RAM and are lost at power-off (fault.journal-unavailable). Fix the state directory (space, permissions, the card: see dmesg), then restart edgeguard; the journal continues above the volatile one's seqs. {Reason}")]
    private static partial void LogUnavailable(ILogger log, string path, string fallbackPath, string reason);

    [LoggerMessage(EventId = 500, Level = LogLevel.Error, Message = "Journal failure; it carries on")]
    private static partial void LogFailure(ILogger log, Exception ex);

    [LoggerMessage(EventId = 502, Level = LogLevel.Critical, Message = "Journal database {Path} cannot be written (read-only storage; opened {Access}): the gateway runs from the safety state it last saved, but saves nothing from now on: no new safety state (a lockdown or clear now is forgotten at the next restart), no event; the office gets the retained state but no events, and its commands are refused. Usually the kernel remounted the SD card read-only after errors (see dmesg): remount it read-write (mount -o remount,rw) or replace the card, then restart edgeguard")]
    private static partial void LogReadOnly(ILogger log, string path, JournalReadOnlyAccess access);

    [LoggerMessage(EventId = 501, Level = LogLevel.Critical, Message = "{EventType} {Event}")]
    private static partial void LogJournalEvent(ILogger log, string eventType, DomainEvent @event);
}
