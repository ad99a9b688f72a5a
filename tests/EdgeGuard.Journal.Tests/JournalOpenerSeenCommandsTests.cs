using EdgeGuard.Core.Commands;
using Microsoft.Data.Sqlite;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// Commands recorded as seen on the volatile journal stay seen once the real journal takes over.
/// Before, the takeover carried only the safety state and the seq floor: a signed command replayed
/// (or redelivered) inside its window after the card came back ran a second time.
/// </summary>
public sealed class JournalOpenerSeenCommandsTests : JournalOpenerFixture
{
    private static readonly byte[] Hash = [7, .. new byte[31]];

    private static ReplayWindow Window => new(Now.AddSeconds(-30), Now.AddMinutes(10));

    [Fact]
    public void A_command_done_on_the_volatile_journal_is_still_seen_after_the_real_journal_takes_over()
    {
        using (JournalDatabase.Open(Real))
        {
        }

        RecordOnVolatile("cmd-1", new CommandFinal(true, null));

        Time.Advance(TimeSpan.FromSeconds(20)); // a restart 20 s later, the card back
        var back = JournalOpener.Open(Real, Volatile, Time);
        using var real = back.Database;
        Assert.Equal(Real, real.Path);
        using var seenAfter = new SqliteSeenCommandIds(real, Time);
        // The same bytes redelivered or replayed inside their window: known, never run again.
        var again = seenAfter.Record("cmd-1", Hash, Window, Now.AddSeconds(20));
        Assert.Equal(SeenStatus.Finished, again.Status);
    }

    [Fact]
    public void An_id_the_card_already_has_keeps_the_row_further_along_and_the_larger_replay_clock_goes_on()
    {
        // The card's journal ran for an hour of replay clock and saw cmd-1 with other bytes,
        // accepted but never run (past both clocks at the seed, which leaves it out).
        var cardHash = new byte[32];
        using (var database = JournalDatabase.Open(Real))
        {
            using var seen = new SqliteSeenCommandIds(database, Time);
            Assert.Equal(SeenStatus.New, seen.Record("cmd-1", cardHash, Window, Now).Status);
            Time.Advance(TimeSpan.FromHours(1));
            Assert.Equal(SeenStatus.New, seen.Record("cmd-0", cardHash, Window, Now).Status);
        }

        RecordOnVolatile("cmd-1", new CommandFinal(true, null));
        RecordOnVolatile("cmd-2", new CommandFinal(true, null));

        var back = JournalOpener.Open(Real, Volatile, Time);
        using var real = back.Database;
        Assert.Equal(Real, real.Path);
        var clock = real.Read(connection =>
        {
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT elapsed_ms FROM seen_commands_clock WHERE id = 1;";
            return (long)read.ExecuteScalar()!;
        });
        Assert.True(clock >= TimeSpan.FromHours(1).TotalMilliseconds, $"replay clock {clock} ms");

        using var seenAfter = new SqliteSeenCommandIds(real, Time);
        // The volatile row for cmd-1, run, replaces the card's, never run: kept, the card's would
        // let its bytes run under an id already run with others (a card row further along is kept:
        // JournalOpenerSeenCommandsMergeTests). A copy of either is answered or refused, not run.
        Assert.Equal(SeenStatus.Finished, seenAfter.Record("cmd-1", Hash, Window, Now).Status);
        Assert.Equal(SeenStatus.OtherPayload, seenAfter.Record("cmd-1", cardHash, Window, Now).Status);
        Assert.Equal(SeenStatus.Finished, seenAfter.Record("cmd-2", Hash, Window, Now).Status);
        Assert.Equal(3, seenAfter.Count);
        // cmd-2's keep_until counts from the card's clock: kept for its window's running time.
        var keepUntil = real.Read(connection =>
        {
            using var read = connection.CreateCommand();
            read.CommandText = "SELECT keep_until FROM seen_commands WHERE id = 'cmd-2';";
            return (long)read.ExecuteScalar()!;
        });
        Assert.True(keepUntil > clock, $"keep_until {keepUntil} ms at clock {clock} ms");
    }

    // A start on the volatile journal (the card full) that records a command as seen.
    private void RecordOnVolatile(string id, CommandFinal final)
    {
        var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(10), path =>
            path == Real
                ? throw new JournalException("full", new SqliteException("database or disk is full", 13))
                : JournalDatabase.Open(path));
        using var db = opening.Database;
        Assert.Equal(FallbackFile, db.Path);
        using var seen = new SqliteSeenCommandIds(db, Time);
        Assert.Equal(SeenStatus.New, seen.Record(id, Hash, Window, Now, final).Status);
    }
}
