namespace EdgeGuard.Journal;

/// <summary>
/// The schema of the journal database as an ordered list of migrations. <c>PRAGMA user_version</c>
/// records how many have been applied; each runs in the same transaction that bumps the version,
/// so a power cut mid-migration leaves the previous version intact rather than half a schema.
/// </summary>
internal static class JournalSchema
{
    /// <summary>
    /// <c>PRAGMA application_id</c> of an EdgeGuard journal ("EGJL"). It lets us refuse a SQLite
    /// file that belongs to something else instead of adding our tables to it.
    /// </summary>
    public const int ApplicationId = 0x45474A4C;

    /// <summary>
    /// Migration <c>i</c> takes the schema from version <c>i</c> to <c>i + 1</c>. Append only:
    /// an existing migration is never edited, since gateways in the field already ran it.
    /// </summary>
    private static readonly string[] Migrations =
    [
        // 1: the persisted safety state. One row (id = 1) because there is exactly one current
        // state; STRICT so a wrong type is an error, not a silently coerced value. The mode has no
        // CHECK list on purpose: a new mode must not need a table rebuild, and the reader rejects
        // any value it does not know (a corrupt safety state must be loud, never "normal").
        """
        CREATE TABLE safety_state (
            id          INTEGER PRIMARY KEY CHECK (id = 1),
            mode        TEXT    NOT NULL,
            cause       TEXT    NULL,
            cause_point TEXT    NULL,
            since       TEXT    NULL,
            siren       INTEGER NOT NULL CHECK (siren IN (0, 1)),
            updated_at  TEXT    NOT NULL,
            revision    INTEGER NOT NULL CHECK (revision >= 1),
            CHECK ((cause IS NULL) = (since IS NULL)),
            CHECK (cause_point IS NULL OR cause IS NOT NULL)
        ) STRICT;
        """,

        // 2: the event journal, the outbox cursor and gateway-wide counters.
        // events: seq is assigned by the journal (last + 1, from 1), never by SQLite, so it is
        // exactly the number the office sees; no AUTOINCREMENT because we never let SQLite pick.
        // Rows are only ever deleted from the front (retention), so the table stays one
        // contiguous range of seq (since migration 11, but for ranges a journal.gap row declares).
        // ts is UTC ISO-8601 'O' text: fixed width, so it sorts as text.
        // outbox: one row, the highest seq the broker acknowledged.
        // gateway_meta: one row; session counts MQTT sessions (birth/will), last_seq keeps the
        // sequence going even when retention has emptied the events table.
        """
        CREATE TABLE events (
            seq      INTEGER PRIMARY KEY CHECK (seq >= 1),
            id       TEXT    NOT NULL UNIQUE,
            ts       TEXT    NOT NULL,
            mono     INTEGER NOT NULL,
            type     TEXT    NOT NULL,
            point    TEXT    NULL,
            zone     TEXT    NULL,
            severity TEXT    NOT NULL,
            drill    INTEGER NOT NULL CHECK (drill IN (0, 1)),
            data     TEXT    NOT NULL
        ) STRICT;

        CREATE TABLE outbox (
            id                INTEGER PRIMARY KEY CHECK (id = 1),
            delivered_through INTEGER NOT NULL CHECK (delivered_through >= 0)
        ) STRICT;
        INSERT INTO outbox (id, delivered_through) VALUES (1, 0);

        CREATE TABLE gateway_meta (
            id       INTEGER PRIMARY KEY CHECK (id = 1),
            session  INTEGER NOT NULL CHECK (session >= 0),
            last_seq INTEGER NOT NULL CHECK (last_seq >= 0)
        ) STRICT;
        INSERT INTO gateway_meta (id, session, last_seq) VALUES (1, 0, 0);
        """,

        // 3: the life-safety overlay (fire released egress) survives power loss like the mode.
        // Text for the same reason as mode; existing rows had no fire release.
        """
        ALTER TABLE safety_state ADD COLUMN life_safety TEXT NOT NULL DEFAULT 'normal';
        """,

        // 4: doors held released by a request to exit or delayed egress ("door=how;door=how", ids
        // never contain ';' or '='). Delayed egress is irreversible: a power cut must not undo it.
        """
        ALTER TABLE safety_state ADD COLUMN door_releases TEXT NOT NULL DEFAULT '';
        """,

        // 5: which scenario is running and whether it is a drill. Rows written before scenarios
        // existed were the built-in lockdown, for real.
        """
        ALTER TABLE safety_state ADD COLUMN scenario TEXT NULL;
        ALTER TABLE safety_state ADD COLUMN drill INTEGER NOT NULL DEFAULT 0 CHECK (drill IN (0, 1));
        """,

        // 6: the threat level; NULL until it was first changed (the config's initial level).
        """
        ALTER TABLE safety_state ADD COLUMN threat_level INTEGER NULL;
        """,

        // 7: doors with a forced or held-open alarm active ("door=forced+held-open;…"), so that
        // every alarm raised before a restart is restored after it rather than forgotten.
        """
        ALTER TABLE safety_state ADD COLUMN door_alarms TEXT NOT NULL DEFAULT '';
        """,

        // 8: the hash chain (JournalChain). Every event row written from now on carries the hash
        // of the row before it (prev_hash) and its own (hash), 32-byte SHA-256 blobs: blobs, not
        // hex text, because they add 64 bytes to every one of up to 100 million rows.
        // gateway_meta: chain_start is the first seq with a hash; rows already in the table stay
        // unchained, since hashing them now would vouch for whatever they hold at upgrade time.
        // chain_anchor_seq/_hash is where the chain continues from: at first the genesis value
        // (zeros) before chain_start, then the last row retention deleted, moved in the same
        // transaction as the delete. chain_head is the newest row's hash, written with last_seq,
        // so the writer continues the chain even when retention has emptied the table.
        """
        ALTER TABLE events ADD COLUMN prev_hash BLOB NULL;
        ALTER TABLE events ADD COLUMN hash BLOB NULL;
        ALTER TABLE gateway_meta ADD COLUMN chain_start INTEGER NOT NULL DEFAULT 1;
        ALTER TABLE gateway_meta ADD COLUMN chain_anchor_seq INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE gateway_meta ADD COLUMN chain_anchor_hash BLOB NULL;
        ALTER TABLE gateway_meta ADD COLUMN chain_head BLOB NULL;
        INSERT OR IGNORE INTO gateway_meta (id, session, last_seq) VALUES (1, 0, 0);
        UPDATE gateway_meta SET
            chain_anchor_seq = max(last_seq,
                coalesce((SELECT max(seq) FROM events), 0),
                coalesce((SELECT delivered_through FROM outbox WHERE id = 1), 0)),
            chain_start = max(last_seq,
                coalesce((SELECT max(seq) FROM events), 0),
                coalesce((SELECT delivered_through FROM outbox WHERE id = 1), 0)) + 1,
            chain_anchor_hash = zeroblob(32),
            chain_head = zeroblob(32)
        WHERE id = 1;
        """,

        // 9: ids of authenticated office commands (CommandVerifier's replay check), so a command
        // captured off the broker is refused after a restart too. forget_after is Unix time in ms:
        // after it the command is refused as expired anyway, so rows past it are pruned. The index
        // keeps that prune a range delete rather than a scan of every remembered id.
        """
        CREATE TABLE seen_commands (
            id           TEXT    PRIMARY KEY,
            forget_after INTEGER NOT NULL
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX seen_commands_forget_after ON seen_commands (forget_after);
        """,

        // 10: points the office bypassed, each until its signed end ("point=until|operator;…",
        // until as ISO-8601 'O', operator percent-encoded since names may hold any character), so a
        // restart neither forgets a bypass nor lets one outlive what the office signed.
        """
        ALTER TABLE safety_state ADD COLUMN bypasses TEXT NOT NULL DEFAULT '';
        """,

        // 11: seqs the writer may hand to the publisher before their rows are committed (see
        // EventJournal.Tail.cs). Raised in the same transaction as each batch, to the batch's last
        // seq plus EventJournal.ReserveAhead; lowered to last_seq on a clean shutdown. A start that
        // finds it above last_seq knows the previous run may have published seqs it never made
        // durable, skips them, and journals journal.gap. 0 (no reservation) on upgrade.
        // events_gaps: the few journal.gap rows, so a start finds the skipped ranges (which neither
        // retention nor the journal-full policy may count as records) without scanning the table.
        """
        ALTER TABLE gateway_meta ADD COLUMN reserved_through INTEGER NOT NULL DEFAULT 0;
        CREATE INDEX events_gaps ON events (seq) WHERE type = 'journal.gap';
        """,

        // 12: seen_commands becomes an idempotent receiver's memory (SqliteSeenCommandIds):
        // payload_sha256 (32-byte SHA-256 of the signed payload bytes) tells a broker redelivery
        // (same bytes) from an id reused with other bytes; result/reason, NULL until the
        // command's handling finished, are what a redelivery is answered with instead of being
        // executed again; result 'started' (no reason) marks one handed to the controller and not
        // finished, which must never run again whatever cut it short. Rows from before this migration have no hash: they are treated as
        // "seen with other bytes" (refused as replays, as they were), and pruned within minutes.
        """
        ALTER TABLE seen_commands ADD COLUMN payload_sha256 BLOB NULL;
        ALTER TABLE seen_commands ADD COLUMN result TEXT NULL CHECK (result IN ('started', 'done', 'rejected'));
        ALTER TABLE seen_commands ADD COLUMN reason TEXT NULL;
        """,

        // 13: seen_commands are forgotten by elapsed time too (RunningClock, ReplayHorizon), so a
        // wall clock stepped forward (a bad or spoofed NTP answer, an operator) and back cannot
        // drop an id while its command is still valid and so reopen its replay window.
        // seen_commands_clock: one row, the replay clock in ms: time the store has been open,
        // summed over restarts (time powered off is not counted, which only keeps rows longer).
        // keep_until: the clock's reading before which the row is never pruned, whatever the wall
        // clock says. Rows from before this migration get a day counted from zero (the default),
        // more than any command's window: commands.maxLifetimeSeconds is at most 3600 and
        // clockSkewSeconds at most 300. New rows always give it.
        """
        ALTER TABLE seen_commands ADD COLUMN keep_until INTEGER NOT NULL DEFAULT 86400000;
        CREATE TABLE seen_commands_clock (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            elapsed_ms INTEGER NOT NULL CHECK (elapsed_ms >= 0)
        ) STRICT;
        INSERT INTO seen_commands_clock (id, elapsed_ms) VALUES (1, 0);
        """,

        // 14: delivered events age by the retention clock, not the wall clock
        // (EventJournal.RetentionClock.cs), so a wall clock stepped ahead (a bad NTP or GPS answer
        // on a gateway without an RTC) cannot make the whole history "old" and have retention
        // delete it. retention_clock: one row, the clock in ms: time the journal has been open,
        // summed over restarts. retention_marks: "every row up to seq was journaled by the time the
        // clock read elapsed_ms", one per age check at most; retention deletes a delivered row once
        // a mark covering it is MaxDeliveredAge behind the clock. Rows from before this migration
        // have no mark: the first age check after the upgrade covers them, so they are kept for
        // MaxDeliveredAge of running time from then.
        """
        CREATE TABLE retention_clock (
            id         INTEGER PRIMARY KEY CHECK (id = 1),
            elapsed_ms INTEGER NOT NULL CHECK (elapsed_ms >= 0)
        ) STRICT;
        INSERT INTO retention_clock (id, elapsed_ms) VALUES (1, 0);
        CREATE TABLE retention_marks (
            seq        INTEGER PRIMARY KEY CHECK (seq >= 1),
            elapsed_ms INTEGER NOT NULL CHECK (elapsed_ms >= 0)
        ) STRICT;
        """,

        // 15: real scenarios a takeover suspended (SafetyState.Suspensions), oldest first, so a
        // power cut neither unlocks the locks they keep nor forgets that they run again. An ordered
        // list, not a map: "mode|scenario|cause|point|since|drill;…", texts percent-encoded, point
        // empty when none, since as ISO-8601 'O', drill 0 or 1. Existing rows suspended nothing.
        """
        ALTER TABLE safety_state ADD COLUMN suspended TEXT NOT NULL DEFAULT '';
        """,

        // 16: perimeter points whose breach was raised and which have not restored since
        // (SafetyState.Breaches), "id;id", empty when none, so the boot judges an active point it
        // does not hold (cut while the gateway was off) and not one the office already dealt
        // with. NULL only for rows from before this migration: not recorded then, so the first
        // boot takes every active perimeter point as judged, as boots did (BreachesUnrecorded).
        """
        ALTER TABLE safety_state ADD COLUMN perimeter_breaches TEXT NULL;
        """,

        // 17: the journal-full episode (EventJournal.Episode.cs), written in the commit that
        // changes it, so a restart in the middle of one neither forgets what it dropped (the office
        // got a journal.recovered that counted only the drops after the restart, or none at all)
        // nor how it began. full_dropped: events dropped so far in the open episode, NULL when no
        // episode is open; full_reason: why it began; full_since: its first drop, ISO-8601 'O'.
        // Files from before this migration had no episode recorded: none is open.
        """
        ALTER TABLE gateway_meta ADD COLUMN full_dropped INTEGER NULL CHECK (full_dropped >= 0);
        ALTER TABLE gateway_meta ADD COLUMN full_reason TEXT NULL;
        ALTER TABLE gateway_meta ADD COLUMN full_since TEXT NULL;
        """,

        // 18: a journal created in place of a damaged one (JournalDatabase.Replace.cs) says so
        // until it has taken over from the volatile journal, so a start killed between the two
        // does not leave the next start to take the volatile journal (below the new journal's
        // floor, yet newer) for stale and drop the lockdown started on it. replace_pending: 1
        // from the commit of the new journal's floors to the commit of the takeover. Files from
        // before this migration were not created by a replace still pending.
        // pending_fault_*: the fault.journal-replaced the opener raised (its time as ISO-8601 'O',
        // the file it names, its text), written in the commit of the step it reports (the new
        // journal's floors, the takeover) and cleared in the commit that journals it, so a kill
        // in between does not lose it; NULL when none is pending.
        """
        ALTER TABLE gateway_meta ADD COLUMN replace_pending INTEGER NOT NULL DEFAULT 0 CHECK (replace_pending IN (0, 1));
        ALTER TABLE gateway_meta ADD COLUMN pending_fault_at TEXT NULL;
        ALTER TABLE gateway_meta ADD COLUMN pending_fault_kept_at TEXT NULL;
        ALTER TABLE gateway_meta ADD COLUMN pending_fault_problem TEXT NULL;
        """,

        // 19: panic buttons (silent hold-ups too) whose press was decided and which have not
        // restored since (SafetyState.HeldPanics), "id;id", empty when none held, so the boot does
        // not take a button stuck or cut through a restart for a new press (a retrigger and the
        // siren at every reboot), and does take one released and pressed again. NULL: not recorded
        // (rows from before this migration, a quiet state in normal mode); the boot then takes only
        // the button that started the restored scenario (or a suspended one) as held through it.
        """
        ALTER TABLE safety_state ADD COLUMN held_panics TEXT NULL;
        """,

        // 20: the fire inputs that raised fire.alarm under the saved fire release
        // (SafetyState.FireRaised), "id;id", so the boot raises a fire input it finds active only
        // when it is not here (it went active while the gateway was off) and not one that raised
        // before the restart, at every reboot. NULL: none recorded (no release, or a row from
        // before this migration, whose first boot raises each active fire input once and saves it).
        """
        ALTER TABLE safety_state ADD COLUMN fire_raised TEXT NULL;
        """,
    ];

    /// <summary>The schema version this build creates and understands.</summary>
    public static int CurrentVersion => Migrations.Length;

    /// <summary>The SQL that upgrades the schema from <paramref name="fromVersion"/> by one.</summary>
    public static string MigrationFrom(int fromVersion) => Migrations[fromVersion];
}
