using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
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
    public void The_volatile_journal_starts_above_the_cards_seqs_and_sessions_when_the_clock_is_behind_them()
    {
        // The card's journal was made when the clock read a day later (a damaged one replaced):
        // a gateway without an RTC boots at the time it last saved, before NTP answers, so a
        // floor from this clock is below what the office saw from the card.
        var later = new FakeTimeProvider(Now.AddDays(1));
        long cardSession;
        long cardTop;
        using (var database = JournalDatabase.Open(Real))
        {
            database.RaiseFloors(JournalOpener.SeqFloor(later) - 1, JournalOpener.SessionFloor(later), JournalGapCause.NewJournal);
            using (var journal = new EventJournal(database, Time))
            {
                journal.NextSession();
                cardSession = journal.NextSession();
            }

            cardTop = database.SeqTop();
        }

        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(30), FullCard);
        using var db = opening.Database;
        Assert.Equal(FallbackFile, db.Path);
        // SeqTop is the highest seq it may have given out: its first is above it.
        Assert.True(db.SeqTop() >= cardTop, $"the RAM journal's seqs start above {db.SeqTop()}, the card's reached {cardTop}");
        using var onRam = new EventJournal(db, Time);
        var session = onRam.NextSession();
        Assert.True(session > cardSession, $"session {session} on the RAM journal after {cardSession} on the card");
    }

    private static long ReplayClock(JournalDatabase database) => database.Read(connection =>
    {
        using var read = connection.CreateCommand();
        read.CommandText = "SELECT coalesce((SELECT elapsed_ms FROM seen_commands_clock WHERE id = 1), 0);";
        return (long)read.ExecuteScalar()!;
    });
}
