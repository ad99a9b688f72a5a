using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// What the office saw from the card's journal goes on in the RAM journal a full card leaves the
/// gateway on: the commands it had seen, its seqs and its sessions. Before, only the safety state
/// was seeded: a signed command run before the restart, its captured message re-sent within its
/// window, was new to the RAM journal and ran a second time.
/// </summary>
public sealed class JournalOpenerFullCardReplayTests : JournalOpenerFixture
{
    private static readonly byte[] Hash = [9, .. new byte[31]];

    private static readonly CommandFinal Done = new(true, null);

    private static ReplayWindow Window => new(Now.AddSeconds(-30), Now.AddMinutes(10));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_command_run_before_the_restart_is_refused_as_a_repeat_on_the_volatile_journal(bool olderSchema)
    {
        using (var database = JournalDatabase.Open(Real))
        using (var seen = new SqliteSeenCommandIds(database, Time))
        {
            Assert.Equal(SeenStatus.New, seen.Record("cmd-done", Hash, Window, Now, Done).Status);
            Assert.Equal(SeenStatus.New, seen.Record("cmd-cut", Hash, Window, Now).Status);
            seen.Start("cmd-cut"); // handed to the controller, then the restart cut it short
        }

        SaveLockdownOnTheCard(olderSchema);

        Time.Advance(TimeSpan.FromSeconds(20)); // the restart, the card full
        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), FullCard);
        using var db = opening.Database;
        Assert.Equal(FallbackFile, db.Path);
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        Assert.Contains("the office commands it had seen", fault.Reason, StringComparison.Ordinal);

        // The captured messages re-sent within their window: answered as before, never run again.
        using var onRam = new SqliteSeenCommandIds(db, Time);
        Assert.Equal(SeenStatus.Finished, onRam.Record("cmd-done", Hash, Window, Time.GetUtcNow()).Status);
        Assert.Equal(SeenStatus.Started, onRam.Record("cmd-cut", Hash, Window, Time.GetUtcNow()).Status);
        Assert.Equal(2, onRam.Count);
    }

    [Fact]
    public void Only_commands_still_inside_their_replay_window_are_seeded()
    {
        using (var database = JournalDatabase.Open(Real))
        using (var seen = new SqliteSeenCommandIds(database, Time))
        {
            // 3 min of replay clock; kept past it only while the wall clock was before its end.
            seen.Record("cmd-old", Hash, new ReplayWindow(Now.AddMinutes(-1), Now.AddMinutes(2)), Now, Done);
            Time.Advance(TimeSpan.FromMinutes(5));
            seen.Record("cmd-new", Hash, Window, Now.AddMinutes(1), Done);
        }

        // Both clocks are past cmd-old now: the card's next record would prune it.
        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), FullCard);
        using var db = opening.Database;
        Assert.Equal(FallbackFile, db.Path);
        using var onRam = new SqliteSeenCommandIds(db, Time);
        Assert.Equal(1, onRam.Count);
        Assert.Equal(SeenStatus.Finished, onRam.Record("cmd-new", Hash, Window, Now.AddMinutes(1)).Status);
    }

    [Fact]
    public void The_takeover_back_to_the_card_neither_duplicates_nor_loses_the_seeded_commands()
    {
        long cardClock;
        using (var database = JournalDatabase.Open(Real))
        using (var seen = new SqliteSeenCommandIds(database, Time))
        {
            seen.Record("cmd-1", Hash, Window, Now, Done);
            Time.Advance(TimeSpan.FromMinutes(1));
            seen.Record("cmd-0", Hash, Window, Now, Done);
            cardClock = ReplayClock(database);
        }

        using (var db = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), FullCard).Database)
        using (var onRam = new SqliteSeenCommandIds(db, Time))
        {
            Assert.Equal(FallbackFile, db.Path);
            Assert.Equal(cardClock, ReplayClock(db)); // the card's rows keep their running time
            Assert.Equal(SeenStatus.Finished, onRam.Record("cmd-1", Hash, Window, Now).Status);
            Time.Advance(TimeSpan.FromMinutes(1));
            Assert.Equal(SeenStatus.New, onRam.Record("cmd-2", Hash, Window, Now, Done).Status);
        }

        var back = JournalOpener.Open(Real, Volatile, Time);
        using var real = back.Database;
        Assert.Equal(Real, real.Path);
        using var seenAfter = new SqliteSeenCommandIds(real, Time);
        Assert.Equal(3, seenAfter.Count);
        Assert.Equal(SeenStatus.Finished, seenAfter.Record("cmd-0", Hash, Window, Now).Status);
        Assert.Equal(SeenStatus.Finished, seenAfter.Record("cmd-1", Hash, Window, Now).Status);
        Assert.Equal(SeenStatus.Finished, seenAfter.Record("cmd-2", Hash, Window, Now).Status);
        Assert.True(ReplayClock(real) >= cardClock + 60_000, $"replay clock {ReplayClock(real)} ms");
    }

    [Fact]
    public async Task The_volatile_journal_starts_above_the_cards_seqs_and_sessions_when_the_clock_is_behind_them()
    {
        // The card's journal was made when the clock read a day later (a damaged one replaced):
        // a gateway without an RTC boots at the time it last saved, before NTP answers, so a
        // floor from this clock is below what the office saw from the card.
        var card = await WriteCardADayAheadAsync(sessions: 2);

        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), FullCard);
        using var db = opening.Database;
        Assert.Equal(FallbackFile, db.Path);
        AssertSeqsAndSessionsAbove(db, card);
    }

    // With the clock behind the card's, the volatile journal's floor was the card's top itself: until
    // its first event committed, its top equalled the card's, and the takeover judged it stale (only
    // a journal above the card's ran after it). A lockdown saved on it before then was dropped, and
    // the card's older state came back.
    [Fact]
    public async Task A_lockdown_saved_on_the_volatile_journal_before_its_first_event_is_taken_over_when_the_clock_is_behind_the_card()
    {
        var card = await WriteCardADayAheadAsync(sessions: 1);
        using (var db = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), FullCard).Database)
        {
            Assert.Equal(FallbackFile, db.Path);
            Assert.True(db.SeqTop() > card.Top, $"the volatile journal's top {db.SeqTop()} is not above the card's {card.Top}");
            new SqliteSafetyStateStore(db, Time).Save(Lockdown); // a panic at boot; killed before any event commits
        }

        var back = JournalOpener.Open(Real, Volatile, Time);
        using var real = back.Database;
        Assert.Equal(Real, real.Path);
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(real, Time).Load());
    }

    [Fact]
    public async Task A_damaged_replay_store_on_the_card_still_raises_the_volatile_journals_seqs_and_sessions_above_the_cards()
    {
        // As above, the clock a day behind the card's; and a page of seen_commands damaged. Read in
        // one go with them, the card's seqs and session were lost with the commands: the RAM
        // journal started below what the office saw, and a takeover back later in the same boot
        // took the RAM journal for stale and dropped a lockdown started on it.
        var card = await WriteCardADayAheadAsync(sessions: 1, database =>
        {
            using var seen = new SqliteSeenCommandIds(database, Time);
            // Enough rows that seen_commands' root page is an interior page of its own.
            for (var i = 0; i < 400; i++)
            {
                seen.Record($"cmd-{i:D4}-{new string('x', 40)}", Hash, Window, Now, Done);
            }
        });

        SaveLockdownOnTheCard(olderSchema: false);
        using var db = OpenOnTheFullCardWithABadBlockUnder("seen_commands", out var reason);
        Assert.Contains("the office commands it had seen cannot be read", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("seqs", reason, StringComparison.Ordinal);
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(db, Time).Load());
        AssertSeqsAndSessionsAbove(db, card);
    }

    [Fact]
    public void A_damaged_seq_and_session_record_on_the_card_is_named_in_the_fault_and_costs_neither_the_commands_nor_the_lockdown()
    {
        using (var database = JournalDatabase.Open(Real))
        using (var seen = new SqliteSeenCommandIds(database, Time))
        {
            seen.Record("cmd-done", Hash, Window, Now, Done);
        }

        SaveLockdownOnTheCard(olderSchema: false);
        using var db = OpenOnTheFullCardWithABadBlockUnder("gateway_meta", out var reason);
        Assert.Contains("its highest seq (", reason, StringComparison.Ordinal);
        Assert.Contains("and its MQTT session counter (", reason, StringComparison.Ordinal);
        Assert.Contains("the volatile journal's seqs and sessions start from the wall clock alone", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("commands it had seen cannot be read", reason, StringComparison.Ordinal);
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(db, Time).Load());
        using var onRam = new SqliteSeenCommandIds(db, Time);
        Assert.Equal(SeenStatus.Finished, onRam.Record("cmd-done", Hash, Window, Now).Status);
    }

    [Fact]
    public async Task A_damaged_events_page_on_the_card_still_raises_the_volatile_journals_seqs_above_the_cards_from_gateway_meta()
    {
        // The clock a day behind the card's, and a bad block under the events table (the biggest,
        // most written one). Read in one statement with gateway_meta, the card's highest seq was
        // lost with it, though gateway_meta's reservation bounds every seq handed out.
        var card = await WriteCardADayAheadAsync(sessions: 0, async database =>
        {
            using var journal = new EventJournal(database, Time);
            // Enough rows that the events table's root page is an interior page of its own.
            for (var i = 0; i < 40; i++)
            {
                foreach (var n in Enumerable.Range(i * 50, 50))
                {
                    journal.Publish([JournalHarness.Activated(n)]);
                }

                await journal.FlushAsync();
            }
        });

        SaveLockdownOnTheCard(olderSchema: false);
        using var db = OpenOnTheFullCardWithABadBlockUnder("events", out var reason);
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(db, Time).Load());
        AssertSeqsAbove(db, card.Top);
        Assert.DoesNotContain("its highest seq (", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_damaged_safety_state_page_on_the_card_costs_the_lockdown_alone_and_the_fault_says_so()
    {
        // The lockdown is lost with its page, unavoidably; read in one go with it, the card's seqs,
        // session and seen commands were lost too, and the fault blamed the whole read.
        var card = await WriteCardADayAheadAsync(sessions: 1, database =>
        {
            using var seen = new SqliteSeenCommandIds(database, Time);
            seen.Record("cmd-done", Hash, Window, Now, Done);
        });

        SaveLockdownOnTheCard(olderSchema: false);
        using var db = OpenOnTheFullCardWithABadBlockUnder("safety_state", out var reason);
        Assert.Contains("its saved safety state cannot be read (", reason, StringComparison.Ordinal);
        Assert.Contains("a lockdown in force on it may have been lost", reason, StringComparison.Ordinal);
        Assert.Contains("the office commands it had seen were read", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("its highest seq (", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("its MQTT session counter (", reason, StringComparison.Ordinal);
        AssertSeqsAndSessionsAbove(db, card);

        using var seenOnRam = new SqliteSeenCommandIds(db, Time);
        Assert.Equal(SeenStatus.Finished, seenOnRam.Record("cmd-done", Hash, Window, Now).Status);
    }

    // SeqTop is the highest seq it may have given out: its first is above it.
    private static void AssertSeqsAbove(JournalDatabase db, long cardTop) =>
        Assert.True(db.SeqTop() > cardTop, $"the RAM journal's seqs start above {db.SeqTop()}, the card's reached {cardTop}");

    // The RAM journal's seqs and its next MQTT session both above what the office saw from the card.
    private void AssertSeqsAndSessionsAbove(JournalDatabase db, (long Session, long Top) card)
    {
        AssertSeqsAbove(db, card.Top);
        using var onRam = new EventJournal(db, Time);
        var session = onRam.NextSession();
        Assert.True(session > card.Session, $"session {session} on the RAM journal after {card.Session} on the card");
    }

    /// <summary>
    /// A bad block under <paramref name="table"/>'s root page, then the restart on the full card:
    /// the gateway goes on in the RAM journal, whose fault's <paramref name="reason"/> says what of
    /// the card could not be read.
    /// </summary>
    private JournalDatabase OpenOnTheFullCardWithABadBlockUnder(string table, out string reason)
    {
        DamageRootPageOf(table);
        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), FullCard);
        try
        {
            Assert.Equal(FallbackFile, opening.Database.Path);
            reason = Assert.IsType<JournalUnavailable>(opening.Fault).Reason;
            return opening.Database;
        }
        catch
        {
            opening.Database.Dispose(); // the test's using never got it
            throw;
        }
    }

    // Overwrites the table's root page in the checkpointed file, as a card's bad block would.
    private void DamageRootPageOf(string table)
    {
        long root;
        long pageSize;
        using (var connection = new SqliteConnection($"Data Source={Real};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            command.ExecuteNonQuery();
            command.CommandText = "SELECT rootpage FROM sqlite_schema WHERE name = $table;";
            command.Parameters.AddWithValue("$table", table);
            root = (long)command.ExecuteScalar()!;
            command.Parameters.Clear();
            command.CommandText = "PRAGMA page_size;";
            pageSize = (long)command.ExecuteScalar()!;
            // No WAL left beside the file: the salvage reads the file alone.
            command.CommandText = "PRAGMA journal_mode=DELETE;";
            command.ExecuteNonQuery();
        }

        using var file = new FileStream(Real, FileMode.Open, FileAccess.ReadWrite);
        file.Position = (root - 1) * pageSize;
        file.Write(Enumerable.Repeat((byte)0xA5, (int)pageSize).ToArray());
    }

    private static long ReplayClock(JournalDatabase database) => database.Read(connection =>
    {
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT coalesce((SELECT elapsed_ms FROM seen_commands_clock WHERE id = 1), 0);";
        return (long)read.ExecuteScalar()!;
    });
}
