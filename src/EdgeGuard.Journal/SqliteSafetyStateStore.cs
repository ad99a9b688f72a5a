using System.Collections.Immutable;
using System.Globalization;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Core.Site;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal;

/// <summary>
/// Keeps the <see cref="SafetyState"/> in the single row of the journal's <c>safety_state</c>
/// table. <see cref="Save"/> returns only after a durable commit, so the controller can drive
/// outputs knowing a power cut will restore the same state; <see cref="Load"/> refuses a row it
/// cannot read exactly rather than fall back to <see cref="SiteMode.Normal"/> quietly: the
/// controller then boots in the initial state and says so (fault.safety-state-unreadable), and
/// the next save overwrites the row.
/// </summary>
/// <remarks>Like the controller that owns it, one instance is used from one loop at a time.</remarks>
public sealed partial class SqliteSafetyStateStore : ISafetyStateStore
{
    // Persisted names of the modes, spelled out rather than taken from Enum.ToString so that
    // renaming an enum member can never change what a gateway reads back after an update.
    private const string NormalText = "normal";
    private const string LockdownText = "lockdown";
    private const string EvacuationText = "evacuation";
    private const string ShelterInPlaceText = "shelter-in-place";
    private const string FireEgressReleasedText = "fire-egress-released";

    private const string UpsertSql = """
        INSERT INTO safety_state (id, mode, cause, cause_point, since, siren, life_safety, door_releases, scenario, drill, threat_level, door_alarms, bypasses, suspended, perimeter_breaches, held_panics, fire_raised, updated_at, revision)
        VALUES (1, $mode, $cause, $cause_point, $since, $siren, $life_safety, $door_releases, $scenario, $drill, $threat_level, $door_alarms, $bypasses, $suspended, $perimeter_breaches, $held_panics, $fire_raised, $updated_at, 1)
        ON CONFLICT (id) DO UPDATE SET
            mode        = excluded.mode,
            cause       = excluded.cause,
            cause_point = excluded.cause_point,
            since       = excluded.since,
            siren       = excluded.siren,
            life_safety = excluded.life_safety,
            door_releases = excluded.door_releases,
            scenario    = excluded.scenario,
            drill       = excluded.drill,
            threat_level = excluded.threat_level,
            door_alarms = excluded.door_alarms,
            bypasses    = excluded.bypasses,
            suspended   = excluded.suspended,
            perimeter_breaches = excluded.perimeter_breaches,
            held_panics = excluded.held_panics,
            fire_raised = excluded.fire_raised,
            updated_at  = excluded.updated_at,
            revision    = safety_state.revision + 1;
        """;

    private const string SelectSql = """
        SELECT mode, cause, cause_point, since, siren, life_safety, door_releases, scenario, drill, threat_level, door_alarms, bypasses, suspended, perimeter_breaches, held_panics, fire_raised FROM safety_state WHERE id = 1;
        """;

    private readonly JournalDatabase _database;
    private readonly TimeProvider _timeProvider;

    /// <summary>
    /// The least <see cref="Save"/> waits for the journal's other writers before it gives up. The
    /// controller saves before it drives outputs, so the wait bounds how long a lockdown can wait for
    /// a disk busy with an event batch, retention or a WAL checkpoint. It is sized by the disk: three
    /// typical transactions (<see cref="JournalDatabase.TypicalHold"/>), at least this and at most
    /// <see cref="MaxSaveWait"/>, so that on a slow SD card, where one ordinary commit can take longer
    /// than 50 ms (an estimate; not measured on a card here), the save waits out the one under way
    /// instead of giving up in normal operation. A save that gives up is reported by the controller
    /// and tried again on its retry timer.
    /// </summary>
    public static readonly TimeSpan SaveWait = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The most <see cref="Save"/> waits for the journal's other writers, however slow the disk.
    /// The controller's bound for a late save (SiteController.SafetySaveLateBound) is derived
    /// from it: change one, check the other.
    /// </summary>
    public static readonly TimeSpan MaxSaveWait = TimeSpan.FromSeconds(1);

    /// <summary>Creates a store over an open journal database, stamping saves with the system clock.</summary>
    /// <param name="database">The gateway's journal database.</param>
    public SqliteSafetyStateStore(JournalDatabase database)
        : this(database, TimeProvider.System)
    {
    }

    /// <summary>Creates a store over an open journal database.</summary>
    /// <param name="database">The gateway's journal database.</param>
    /// <param name="timeProvider">Clock for the row's <c>updated_at</c> (audit only; never read back).</param>
    public SqliteSafetyStateStore(JournalDatabase database, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _database = database;
        _timeProvider = timeProvider;
    }

    /// <summary>A fixed wait for the database, set by tests; null: sized by the disk (<see cref="EffectiveWait"/>).</summary>
    internal TimeSpan? Wait { get; set; }

    /// <summary>How long the next <see cref="Save"/> waits for the journal's other writers.</summary>
    internal TimeSpan EffectiveWait =>
        Wait ?? TimeSpan.FromTicks(Math.Clamp(3 * _database.TypicalHold.Ticks, SaveWait.Ticks, MaxSaveWait.Ticks));

    /// <summary>
    /// How long <see cref="Load"/> waits for another process's lock on the file (a sqlite3
    /// session, a journal tool, its WAL recovery after a crash) before it throws SQLITE_BUSY. The
    /// boot reads the row within 5 s (SiteController.BootLoadDeadline) and tries a busy read again
    /// meanwhile; with the connection's own 5 s busy timeout, one read outlasted the boot's bound
    /// and was never tried again, so a lock held for a second or two dropped the lockdown in force.
    /// Short, so a lock held for 1-4 s is waited out by the tries; long enough that a lock held
    /// for a few milliseconds (a checkpoint) does not fail a try.
    /// </summary>
    public static readonly TimeSpan LoadBusyTimeout = TimeSpan.FromMilliseconds(250);

    /// <inheritdoc />
    /// <remarks>
    /// Waits at most <see cref="LoadBusyTimeout"/> (per step, about 1.4 s in all with
    /// Microsoft.Data.Sqlite's own retries for its 1 s command timeout) for another process's lock.
    /// </remarks>
    /// <exception cref="JournalException">
    /// The stored row cannot be read back exactly, or the database stayed locked (the message says
    /// "locked by another process"; <see cref="IsPassingLoadFailure"/> is true for it).
    /// </exception>
    public SafetyState Load()
    {
        try
        {
            return _database.ReadWaitingAtMost(LoadBusyTimeout, LoadRow);
        }
        catch (JournalException ex) when (ex.InnerException is SqliteException sqlite && IsLock(sqlite))
        {
            // Named as a lock, not as a disk that did not answer: the technician closes the other
            // program instead of replacing the SD card.
            throw JournalException.For(_database.Path, string.Create(CultureInfo.InvariantCulture,
                $"the database was locked by another process (a sqlite3 session, a journal tool, or its WAL recovery) for longer than the read waits ({LoadBusyTimeout.TotalMilliseconds:0} ms a try): {sqlite.Message}"), sqlite);
        }
    }

    private SafetyState LoadRow(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = SelectSql;
        // Microsoft.Data.Sqlite retries a busy step by itself until the command timeout (the
        // connection's 5 s): the least it allows, so a try gives up soon and the boot tries again.
        command.CommandTimeout = JournalDatabase.BoundedCommandTimeoutSeconds;
        using var reader = command.ExecuteReader();
        if (!reader.Read())
        {
            return SafetyState.Initial;
        }

        var mode = ParseMode(reader.GetString(0));
        var cause = reader.IsDBNull(1) ? null : reader.GetString(1);
        var point = reader.IsDBNull(2) ? null : reader.GetString(2);
        var since = reader.IsDBNull(3) ? null : reader.GetString(3);
        var siren = reader.GetInt64(4);
        var lifeSafety = ParseLifeSafety(reader.GetString(5));
        var doors = ParseDoorReleases(reader.GetString(6));
        var lockdown = ParseLockdown(cause, point, since);
        if (mode != SiteMode.Normal && lockdown is null)
        {
            throw Corrupt($"has mode '{reader.GetString(0)}' but no cause; refusing to guess which scenario holds the locks.");
        }

        if (lockdown is not null)
        {
            // Rows from before scenarios existed were the built-in lockdown, for real.
            var scenario = reader.IsDBNull(7) ? ScenarioDefinition.LockdownId : reader.GetString(7);
            lockdown = lockdown with { Scenario = scenario, Drill = ParseDrill(reader.GetInt64(8)) };
        }

        var suspended = ParseSuspended(reader.GetString(12));
        if (mode == SiteMode.Normal && suspended is not null)
        {
            // Save refuses this: with nothing running, nothing would ever resume them.
            throw Corrupt(string.Create(CultureInfo.InvariantCulture,
                $"has mode 'normal' but {suspended.Count} suspended scenario(s); refusing to guess which locks they keep locked."));
        }

        if (lockdown is { Drill: true } && suspended is not null)
        {
            // Save refuses this too: a drill never takes over a real scenario.
            throw Corrupt(string.Create(CultureInfo.InvariantCulture,
                $"has a drill running over {suspended.Count} suspended scenario(s); refusing to guess which is real."));
        }

        int? threat = reader.IsDBNull(9) ? null : checked((int)reader.GetInt64(9));
        // NULL: a row from before the record (schema 16), not "none breached" (BreachesUnrecorded).
        var unrecorded = reader.IsDBNull(13);
        var breaches = unrecorded ? null : ParseBreaches(reader.GetString(13));
        // NULL: not recorded (a row from before schema 19, or a quiet state in normal mode), not "none held".
        var heldPanics = reader.IsDBNull(14) ? null : ParseHeldPanics(reader.GetString(14));
        // NULL: none recorded (no release, or a row from before schema 20: its boot raises each active fire input once).
        var fireRaised = reader.IsDBNull(15) ? null : ParseFireRaised(reader.GetString(15));
        return new SafetyState(mode, lockdown, ParseSiren(siren), lifeSafety, doors, threat, ParseDoorAlarms(reader.GetString(10)), ParseBypasses(reader.GetString(11)), suspended,
            breaches, unrecorded, heldPanics, fireRaised);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Waits at most <see cref="EffectiveWait"/> for the journal's other writers (they share one
    /// connection), and goes before any that ask meanwhile; then commits, which takes as long as the
    /// disk does.
    /// </remarks>
    /// <exception cref="JournalException">
    /// The state could not be committed, or the database stayed busy for <see cref="EffectiveWait"/>;
    /// the previous state is still stored.
    /// </exception>
    public void Save(SafetyState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Mode != SiteMode.Normal && state.Lockdown is null)
        {
            // It could not be loaded back (Load refuses it): refuse it here, where the caller sees it.
            throw new ArgumentException($"Mode {state.Mode} needs its scenario's details (cause, since).", nameof(state));
        }

        if (state.Mode == SiteMode.Normal && state.SuspendedScenarios.Count > 0)
        {
            // Nothing runs in normal mode, so nothing would ever resume them; Load refuses it too.
            throw new ArgumentException("Mode Normal cannot have suspended scenarios: no running scenario would resume them.", nameof(state));
        }

        if (state.Lockdown is { Drill: true } && state.SuspendedScenarios.Count > 0)
        {
            // A drill never replaces a real scenario, so none can be suspended under one; Load refuses it too.
            throw new ArgumentException("A drill cannot run over suspended scenarios: a drill never takes over a real one.", nameof(state));
        }

        var suspended = FormatSuspended(state);

        var mode = ModeText(state.Mode);
        var lifeSafety = state.LifeSafety switch
        {
            LifeSafety.Normal => NormalText,
            LifeSafety.FireEgressReleased => FireEgressReleasedText,
            _ => throw new ArgumentOutOfRangeException(nameof(state), state.LifeSafety, "This safety state store has no persisted name for the life-safety state."),
        };
        var lockdown = state.Lockdown;
        var updatedAt = _timeProvider.GetUtcNow().ToString("O", CultureInfo.InvariantCulture);

        _database.InUrgentTransaction(EffectiveWait, transaction =>
        {
            using var command = JournalDatabase.Command(transaction, UpsertSql);
            command.Parameters.AddWithValue("$mode", mode);
            command.Parameters.AddWithValue("$cause", (object?)lockdown?.Cause ?? DBNull.Value);
            command.Parameters.AddWithValue("$cause_point", (object?)lockdown?.Point ?? DBNull.Value);
            // 'O' keeps every tick and the offset: the lockdown start is reported back exactly as
            // the controller recorded it, in the time zone it was recorded in.
            command.Parameters.AddWithValue(
                "$since",
                (object?)lockdown?.Since.ToString("O", CultureInfo.InvariantCulture) ?? DBNull.Value);
            command.Parameters.AddWithValue("$siren", state.SirenSounding ? 1L : 0L);
            command.Parameters.AddWithValue("$life_safety", lifeSafety);
            command.Parameters.AddWithValue("$scenario", (object?)lockdown?.Scenario ?? DBNull.Value);
            command.Parameters.AddWithValue("$drill", lockdown?.Drill == true ? 1L : 0L);
            command.Parameters.AddWithValue("$threat_level", (object?)state.ThreatLevel ?? DBNull.Value);
            command.Parameters.AddWithValue("$door_alarms", FormatMap(state.ActiveDoorAlarms, DoorAlarmText));
            command.Parameters.AddWithValue("$door_releases", FormatMap(state.ReleasedDoors, DoorReleaseText));
            command.Parameters.AddWithValue("$bypasses", FormatMap(state.BypassedPoints, BypassText));
            command.Parameters.AddWithValue("$suspended", suspended);
            // In the same row and commit as the decision that raised the breach (a lockdown it
            // started): a power cut can never keep one without the other.
            command.Parameters.AddWithValue("$perimeter_breaches", state.BreachesUnrecorded ? DBNull.Value : string.Join(';', state.BreachedPoints));
            // With the decision the press made (a lockdown it started), for the same reason.
            command.Parameters.AddWithValue("$held_panics", state.HeldPanics is { } held ? string.Join(';', held) : DBNull.Value);
            // With the decision that raised the fire (the release it latched), or just after a
            // second input's alarm (SiteController.DecisionSave.cs): NULL when none is recorded.
            command.Parameters.AddWithValue("$fire_raised", state.FireRaised is { Count: > 0 } raised ? string.Join(';', raised) : DBNull.Value);
            command.Parameters.AddWithValue("$updated_at", updatedAt);
            return command.ExecuteNonQuery();
        });
    }

    private static string ModeText(SiteMode mode) => mode switch
    {
        SiteMode.Normal => NormalText,
        SiteMode.Lockdown => LockdownText,
        SiteMode.Evacuation => EvacuationText,
        SiteMode.ShelterInPlace => ShelterInPlaceText,
        // A mode this store cannot name would read back as "unknown" and stop the gateway at the
        // next boot; better to fail the save now, where the caller sees it.
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "This safety state store has no persisted name for the mode."),
    };

    private SiteMode ParseMode(string text) =>
        ModeFromText(text) ?? throw Corrupt($"has unknown mode '{text}'; refusing to guess a mode for the locks and sirens.");

    // The inverse of ModeText; null for a text it never writes.
    private static SiteMode? ModeFromText(string text) => text switch
    {
        NormalText => SiteMode.Normal,
        LockdownText => SiteMode.Lockdown,
        EvacuationText => SiteMode.Evacuation,
        ShelterInPlaceText => SiteMode.ShelterInPlace,
        _ => null,
    };

    private LifeSafety ParseLifeSafety(string text) => text switch
    {
        NormalText => LifeSafety.Normal,
        FireEgressReleasedText => LifeSafety.FireEgressReleased,
        // Unknown is not "normal": guessing could re-lock egress doors after a fire.
        _ => throw Corrupt($"has unknown life-safety state '{text}'; refusing to guess whether egress doors may lock."),
    };

    private LockdownInfo? ParseLockdown(string? cause, string? point, string? since)
    {
        if (cause is null)
        {
            return since is null && point is null
                ? null
                : throw Corrupt("has a lockdown start time or point but no cause.");
        }

        if (since is null)
        {
            throw Corrupt("has a lockdown cause but no start time.");
        }

        if (!DateTimeOffset.TryParseExact(since, "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var sinceValue))
        {
            throw Corrupt($"has a lockdown start time '{since}' that is not an ISO-8601 round-trip timestamp.");
        }

        return new LockdownInfo(cause, point, sinceValue);
    }

    // Unknown is neither real nor a drill: a drill mutes outputs, a real scenario may not be muted.
    private bool ParseDrill(long value) => value switch
    {
        0 => false,
        1 => true,
        _ => throw Corrupt(string.Create(CultureInfo.InvariantCulture, $"has drill value {value}; expected 0 or 1.")),
    };

    private bool ParseSiren(long value) => value switch
    {
        0 => false,
        1 => true,
        _ => throw Corrupt(string.Create(CultureInfo.InvariantCulture, $"has siren value {value}; expected 0 or 1.")),
    };

    private JournalException Corrupt(string problem) =>
        JournalException.For(_database.Path, "the stored safety state " + problem);
}
