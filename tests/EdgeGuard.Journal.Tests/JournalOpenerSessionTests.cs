using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The MQTT session counter "never decreases" (docs/mqtt.asyncapi.yaml) across a new journal: a
/// damaged file replaced, the volatile fallback, and the real journal taking over from it. Before,
/// a new journal counted from 0 and the takeover did not carry the counter, so the office, which
/// may ignore the will of an earlier session, could ignore a real <c>offline</c>.
/// </summary>
public sealed class JournalOpenerSessionTests : JournalOpenerFixture
{
    [Fact]
    public void The_session_after_a_damaged_journal_is_replaced_is_above_the_last_one_handed_out()
    {
        long before;
        using (var database = JournalDatabase.Open(Real))
        {
            before = Sessions(database, 5); // five starts: the office saw session 5
        }

        var garbage = new byte[8192];
        new Random(3).NextBytes(garbage);
        File.WriteAllBytes(Real, garbage);

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var fresh = opening.Database;
        Assert.IsType<JournalReplaced>(opening.Fault);
        var after = Sessions(fresh, 1);
        Assert.True(after > before, $"session went from {before} to {after}");
        Assert.Equal(JournalOpener.SessionFloor(Time) + 1, after);
    }

    [Fact]
    public void The_session_on_the_volatile_journal_and_back_on_the_real_one_never_decreases()
    {
        long before;
        using (var database = JournalDatabase.Open(Real))
        {
            before = Sessions(database, 5);
        }

        // The card is full at the next start: the gateway runs on the RAM journal, three restarts.
        long onVolatile = 0;
        for (var i = 0; i < 3; i++)
        {
            var opening = JournalOpener.Open(Real, Volatile, Time, TimeSpan.FromSeconds(10), FullCard);
            using var db = opening.Database;
            Assert.Equal(FallbackFile, db.Path);
            onVolatile = Sessions(db, 1);
        }

        // The card is back: the real journal takes over.
        var back = JournalOpener.Open(Real, Volatile, Time);
        using var real = back.Database;
        Assert.Equal(Real, real.Path);
        var after = Sessions(real, 1);
        Assert.True(onVolatile > before && after > onVolatile,
            $"sessions: {before} on the real journal, {onVolatile} on the RAM journal, then {after}");
        Assert.Equal(onVolatile + 1, after);
    }

    [Fact]
    public void A_real_journal_already_above_the_volatile_one_keeps_its_own_session()
    {
        // A volatile journal left stale by a retirement that failed: the real journal ran on after
        // it and counted further. Taking the larger value, the real one's is kept.
        using (var database = JournalDatabase.Open(Real))
        {
            database.RaiseFloors(0, 5_000_000_000, JournalGapCause.NewJournal);
        }

        using (var fallback = JournalDatabase.Open(FallbackFile))
        {
            fallback.RaiseFloors(Floor - 1, JournalOpener.SessionFloor(Time), JournalGapCause.NewJournal);
        }

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var real = opening.Database;
        Assert.Equal(Real, real.Path);
        Assert.Equal(5_000_000_001, Sessions(real, 1));
    }

    // The next start's session numbers, as the publisher takes them.
    private long Sessions(JournalDatabase database, int count)
    {
        using var journal = new EventJournal(database, Time);
        long last = 0;
        for (var i = 0; i < count; i++)
        {
            last = journal.NextSession();
        }

        return last;
    }
}
