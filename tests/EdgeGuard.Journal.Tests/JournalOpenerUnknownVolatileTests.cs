using EdgeGuard.Core.Lockdown;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// A volatile journal seeded from the card while the wall clock was behind the card's (no RTC,
/// before NTP), then unreadable at a later start of the same boot: the journal that follows gives
/// out no seq and no session it gave out, by the floors written beside it (JournalOpener.FloorMark).
/// Before, the floor then came from the wall clock alone, below the card's top, so the real journal
/// (card back) or a new volatile one (card still full) handed out the same seqs again: two events
/// under one seq at the office, and the same session.
/// </summary>
public sealed class JournalOpenerUnknownVolatileTests : JournalOpenerFixture
{
    [Fact]
    public async Task The_real_journal_back_starts_above_an_unreadable_volatile_journal_seeded_from_it()
    {
        var card = await WriteCardADayAheadAsync(sessions: 1);
        var onRam = await RunOnAFullCardAsync();
        Assert.True(onRam.Top > card.Top, "the volatile journal went on above the card");
        Garbage(Volatile);

        Time.Advance(TimeSpan.FromSeconds(20)); // the restart, the card back
        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;

        Assert.Equal(Real, database.Path);
        Assert.IsType<JournalReplaced>(opening.Fault); // the volatile journal kept aside as damaged
        AssertAbove(database, onRam);
    }

    [Fact]
    public async Task A_new_volatile_journal_starts_above_an_unreadable_one_seeded_from_the_same_card()
    {
        await WriteCardADayAheadAsync(sessions: 1);
        var onRam = await RunOnAFullCardAsync();
        Garbage(Volatile);

        Time.Advance(TimeSpan.FromSeconds(20)); // the restart, the card still full
        var opening = JournalOpener.Open(Real, Volatile, Time, Patience, FullCard);
        using var database = opening.Database;

        Assert.Equal(FallbackFile, database.Path);
        AssertAbove(database, onRam);
    }

    [Theory]
    [InlineData(false)] // set aside, and the start killed before it made the next one
    [InlineData(true)] // its successor made, and the start killed before that one's floors
    public async Task The_real_journal_back_starts_above_a_volatile_journal_gone_or_replaced_by_an_empty_one(bool empty)
    {
        await WriteCardADayAheadAsync(sessions: 1);
        var onRam = await RunOnAFullCardAsync();
        foreach (var file in new[] { FallbackFile, FallbackFile + "-wal", FallbackFile + "-shm" })
        {
            File.Delete(file);
        }

        if (empty)
        {
            JournalDatabase.Open(FallbackFile).Dispose();
        }

        Time.Advance(TimeSpan.FromSeconds(20)); // the restart, the card back
        using var database = JournalOpener.Open(Real, Volatile, Time).Database;

        Assert.Equal(Real, database.Path);
        AssertAbove(database, onRam);
    }

    [Fact]
    public void With_the_clock_right_a_volatile_journal_starts_at_the_clocks_floor_however_long_the_gateway_ran()
    {
        // The floors of an unreadable one are bounded by its mark, not by a lead over the clock
        // that grew with each fallback (a real journal then ran ahead of SeqFloor, which a journal
        // replaced later would start below).
        Time.Advance(TimeSpan.FromDays(300));
        using (var card = JournalDatabase.Open(Real))
        {
            card.RaiseFloors(JournalOpener.SeqFloor(Time) - 1, JournalOpener.SessionFloor(Time), JournalGapCause.NewJournal); // replaced today
        }

        Time.Advance(TimeSpan.FromMinutes(1));
        using var database = JournalOpener.Open(Real, Volatile, Time, Patience, FullCard).Database;

        Assert.Equal(FallbackFile, database.Path);
        Assert.Equal(JournalOpener.SeqFloor(Time) - 1, database.SeqTop());
    }

    // A start on the volatile journal a full card leaves: the session it takes and the events it
    // journals (the gap, the fault, a door) reach the office.
    private async Task<(long Session, long Top)> RunOnAFullCardAsync()
    {
        var opening = JournalOpener.Open(Real, Volatile, Time, Patience, FullCard);
        using var database = opening.Database;
        Assert.Equal(FallbackFile, database.Path);
        using var journal = new EventJournal(database, Time);
        var session = journal.NextSession();
        journal.Publish([opening.Fault!, JournalHarness.Activated(1)]);
        await journal.FlushAsync().WaitAsync(Patience);
        return (session, database.SeqTop());
    }

    private void AssertAbove(JournalDatabase database, (long Session, long Top) onRam)
    {
        Assert.True(database.SeqTop() >= onRam.Top, $"seqs from {database.SeqTop() + 1} on; the unreadable volatile journal gave out up to {onRam.Top}");
        using var journal = new EventJournal(database, Time);
        var session = journal.NextSession();
        Assert.True(session > onRam.Session, $"session {session}; the unreadable volatile journal's was {onRam.Session}");
    }
}
