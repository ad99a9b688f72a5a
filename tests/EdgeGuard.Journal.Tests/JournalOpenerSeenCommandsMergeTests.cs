using EdgeGuard.Core.Commands;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A command the card and the volatile journal both remember comes out of the takeover in the
/// further-along state of the two (finished over started over accepted), with its result. Before,
/// the card's row always stayed: a command the card had accepted (or handed to the controller)
/// before a stop, then run on the volatile journal when the office resent it, was "not yet run"
/// again on the card, and a further copy within its lifetime ran a second time (an evacuation or
/// a lockdown repeated after an all-clear) or was answered "interrupted".
/// </summary>
public sealed class JournalOpenerSeenCommandsMergeTests : JournalOpenerFixture
{
    private static readonly byte[] Hash = [9, .. new byte[31]];

    private static readonly CommandFinal Ran = new(true, "lockdown running");

    private static ReplayWindow Window => new(Now.AddSeconds(-30), Now.AddMinutes(10));

    [Fact]
    public void A_command_accepted_on_the_card_and_run_on_the_volatile_journal_stays_finished_after_the_takeover()
    {
        RecordOnTheCard(started: false);
        RunOnTheVolatileJournal(expected: SeenStatus.Unfinished);

        using var real = TakeOver();
        using var seen = new SqliteSeenCommandIds(real, Time);
        var again = seen.Record("cmd-x", Hash, Window, Now.AddSeconds(40));
        // Not Unfinished, which the handler executes as new: the same signed command twice.
        Assert.Equal(new SeenCommand(SeenStatus.Finished, Ran), again);
    }

    [Fact]
    public void A_command_started_on_the_card_and_finished_on_the_volatile_journal_keeps_its_result_after_the_takeover()
    {
        RecordOnTheCard(started: true);
        RunOnTheVolatileJournal(expected: SeenStatus.Started);

        using var real = TakeOver();
        using var seen = new SqliteSeenCommandIds(real, Time);
        var again = seen.Record("cmd-x", Hash, Window, Now.AddSeconds(40));
        // Not Started, answered "interrupted" though the volatile journal knows how it ended.
        Assert.Equal(new SeenCommand(SeenStatus.Finished, Ran), again);
    }

    [Theory]
    [InlineData(false)] // the volatile journal accepted it, and the restart came before it ran
    [InlineData(true)]  // it was handed to the controller there, then the restart
    public void A_command_finished_on_the_card_is_not_set_back_by_the_volatile_journal(bool startedOnVolatile)
    {
        // Run on the card; an hour of replay clock later its row is past both clocks at the seed,
        // which leaves it out, so the volatile journal records the office's copy afresh.
        using (var card = JournalDatabase.Open(Real))
        using (var seen = new SqliteSeenCommandIds(card, Time))
        {
            Assert.Equal(SeenStatus.New, seen.Record("cmd-x", Hash, Window, Now, Ran).Status);
            Time.Advance(TimeSpan.FromHours(1));
            Assert.Equal(SeenStatus.New, seen.Record("cmd-0", Hash, Window, Now).Status);
        }

        using (var db = OnTheVolatileJournal())
        using (var seen = new SqliteSeenCommandIds(db, Time))
        {
            Assert.Equal(SeenStatus.New, seen.Record("cmd-x", Hash, Window, Now).Status);
            if (startedOnVolatile)
            {
                seen.Start("cmd-x");
            }
        }

        using var real = TakeOver();
        // The card's result stays, and the volatile row's later keep_until: the card's own is
        // behind the replay clock, which would prune the row while the wall clock is in its window.
        Assert.True(KeepUntil(real, "cmd-x") > ReplayClock(real), $"keep_until {KeepUntil(real, "cmd-x")} ms");
        using var seenAfter = new SqliteSeenCommandIds(real, Time);
        Assert.Equal(new SeenCommand(SeenStatus.Finished, Ran), seenAfter.Record("cmd-x", Hash, Window, Now));
    }

    [Fact]
    public void A_command_finished_on_the_card_keeps_its_row_against_other_bytes_finished_on_the_volatile_journal()
    {
        // Both ran (the seed left the card's row out): neither is further along, so the card's,
        // handled first, stays; a copy of the other is refused as a replay, never run again.
        var otherHash = new byte[32];
        using (var card = JournalDatabase.Open(Real))
        using (var seen = new SqliteSeenCommandIds(card, Time))
        {
            Assert.Equal(SeenStatus.New, seen.Record("cmd-x", Hash, Window, Now, Ran).Status);
            Time.Advance(TimeSpan.FromHours(1));
            Assert.Equal(SeenStatus.New, seen.Record("cmd-0", Hash, Window, Now).Status);
        }

        using (var db = OnTheVolatileJournal())
        using (var seen = new SqliteSeenCommandIds(db, Time))
        {
            Assert.Equal(SeenStatus.New, seen.Record("cmd-x", otherHash, Window, Now, new CommandFinal(false, "refused")).Status);
        }

        using var real = TakeOver();
        using var seenAfter = new SqliteSeenCommandIds(real, Time);
        Assert.Equal(new SeenCommand(SeenStatus.Finished, Ran), seenAfter.Record("cmd-x", Hash, Window, Now));
        Assert.Equal(SeenStatus.OtherPayload, seenAfter.Record("cmd-x", otherHash, Window, Now).Status);
    }

    // The card records cmd-x accepted (and maybe handed to the controller), then a stop or a power
    // cut before it finished.
    private void RecordOnTheCard(bool started)
    {
        using var card = JournalDatabase.Open(Real);
        using var seen = new SqliteSeenCommandIds(card, Time);
        Assert.Equal(SeenStatus.New, seen.Record("cmd-x", Hash, Window, Now).Status);
        if (started)
        {
            seen.Start("cmd-x");
        }
    }

    // The next start, 20 s later, runs on the volatile journal (the card full), seeded with the
    // card's row; the office resends the same bytes and the command ends finished there: run, or,
    // when it was started before, finished by whatever carried it out (HandOverUnrecorded).
    private void RunOnTheVolatileJournal(SeenStatus expected)
    {
        Time.Advance(TimeSpan.FromSeconds(20));
        using var db = OnTheVolatileJournal();
        using var seen = new SqliteSeenCommandIds(db, Time);
        Assert.Equal(expected, seen.Record("cmd-x", Hash, Window, Now.AddSeconds(20)).Status);
        if (expected == SeenStatus.Unfinished)
        {
            seen.Start("cmd-x");
        }

        seen.Finish("cmd-x", Ran);
        Assert.Equal(SeenStatus.Finished, seen.Record("cmd-x", Hash, Window, Now.AddSeconds(20)).Status);
    }

    private JournalDatabase OnTheVolatileJournal()
    {
        var db = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(10), FullCard).Database;
        Assert.Equal(FallbackFile, db.Path);
        return db;
    }

    // A restart 20 s later with room on the card again: the real journal takes over.
    private JournalDatabase TakeOver()
    {
        Time.Advance(TimeSpan.FromSeconds(20));
        var real = JournalOpener.Open(Real, Volatile, Time).Database;
        Assert.Equal(Real, real.Path);
        return real;
    }

    private static long ReplayClock(JournalDatabase database) =>
        Scalar(database, "SELECT elapsed_ms FROM seen_commands_clock WHERE id = 1;");

    private static long KeepUntil(JournalDatabase database, string id) =>
        Scalar(database, $"SELECT keep_until FROM seen_commands WHERE id = '{id}';");

    private static long Scalar(JournalDatabase database, string sql) => database.Read(connection =>
    {
        using var read = connection.CreateCommand();
        read.CommandText = sql;
        return (long)read.ExecuteScalar()!;
    });
}
