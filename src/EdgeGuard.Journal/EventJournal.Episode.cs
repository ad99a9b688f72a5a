using System.Globalization;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

// The journal-full episode survives a restart (schema 17: gateway_meta.full_dropped, full_reason,
// full_since). It lived in memory only: the office link down, a chattering door filling the
// journal, events dropped, then a restart (power cut, update, watchdog) before the office was
// back, and the journal.recovered the next run wrote counted only its own drops, or, with room
// again at the start, was never written at all; the contract promises the count of every event
// that could not be journaled. So the episode is written in the commit that changes it (the batch
// whose events it dropped, or the fault's commit), and a batch that only drops records its new
// count on its own, a commit at most per batch as a batch that journals events would take. A
// start continues a recorded episode (its fault is journaled again when it is still full, as on
// every start in an episode) or, with room again, closes it at once with journal.recovered for
// what it dropped. What a failing disk drops cannot be recorded while it fails: a later commit
// records it, but a restart before one loses that part of the count (the host's log has it).
public sealed partial class EventJournal
{
    private const string ReadEpisodeSql = "SELECT full_dropped, full_reason, full_since FROM gateway_meta WHERE id = 1;";

    // What gateway_meta records of the open episode; null when none is. Under _appendGate.
    private JournalEpisode? _episodeSaved;

    // The open episode's first drop. Under _appendGate.
    private DateTimeOffset _fullSince;

    private JournalEpisode? CurrentEpisode => _full ? new JournalEpisode(_episodeDropped, _fullReason, _fullSince) : null;

    // The write that records episode (null: none open), or null when gateway_meta holds it already.
    private EpisodeWrite? EpisodeChange(JournalEpisode? episode) => episode == _episodeSaved ? null : new EpisodeWrite(episode);

    // The writer's prepared statements on the transaction's connection, made again only if that
    // connection changed. Writer thread only.
    private AppendStatements PreparedFor(SqliteTransaction transaction)
    {
        var statements = _statements;
        if (statements is null || statements.Connection != transaction.Connection)
        {
            statements?.Dispose();
            _statements = statements = new AppendStatements(transaction.Connection!);
        }

        return statements;
    }

    private static void SaveEpisode(AppendStatements statements, SqliteTransaction transaction, EpisodeWrite write) =>
        statements.SaveEpisode(transaction, write.To?.Dropped, write.To?.Reason, write.To is { } episode ? EventDataWriter.Iso(episode.Since) : null);

    // A batch that dropped everything it held: its count is recorded on its own. A failure is
    // reported, and the next commit records the episode, since every commit does while
    // gateway_meta differs. Caller holds _appendGate, on the writer thread.
    private bool SaveEpisodeAlone(EpisodeWrite write)
    {
        try
        {
            _database.InTransaction(transaction => SaveEpisode(PreparedFor(transaction), transaction, write));
            return true;
        }
        catch (Exception ex) when (IsWriteFailure(ex))
        {
            ReportWriteFailure(ex);
            return false;
        }
    }

    // At open: the episode the last run left open continues. With room again (below the limit by
    // the resume margin, no ballast freed), the first commit closes it with journal.recovered for
    // what it dropped, and no fault before it; still full, this run journals the fault again.
    // The writer is woken so that happens at once, not with the next event.
    private void ResumeEpisode(JournalDatabase database)
    {
        var saved = database.Read(connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = ReadEpisodeSql;
            using var reader = command.ExecuteReader();
            if (!reader.Read() || reader.IsDBNull(0))
            {
                return null;
            }

            var reason = reader.IsDBNull(1) ? "the journal was full before the gateway restarted" : reader.GetString(1);
            var since = !reader.IsDBNull(2) && DateTimeOffset.TryParse(reader.GetString(2), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
                ? at
                : _time.GetUtcNow();
            return new JournalEpisode(reader.GetInt64(0), reason, since);
        });
        if (saved is null)
        {
            return;
        }

        _episodeSaved = saved;
        _full = true;
        _isFull = true;
        _episodeDropped = saved.Dropped;
        _fullReason = saved.Reason;
        _fullSince = saved.Since;
        var max = _limits.MaxRecords;
        _faultJournaled = _waitingAtOpen <= max - ResumeMargin(max) && !database.BallastFreed;
        _wake = true;
    }

    /// <summary>A journal-full episode as gateway_meta records it.</summary>
    /// <param name="Dropped">Events dropped in it so far.</param>
    /// <param name="Reason">Why it began.</param>
    /// <param name="Since">Its first drop.</param>
    private sealed record JournalEpisode(long Dropped, string Reason, DateTimeOffset Since);

    /// <summary>A write of the episode into gateway_meta.</summary>
    /// <param name="To">What it becomes; null when no episode is open any more.</param>
    private sealed record EpisodeWrite(JournalEpisode? To);
}
