using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The real journal back after a run on the volatile one (JournalOpener.TakeOverFromFallback): the
/// volatile journal above it is newer, so its seqs, safety state and undelivered count carry over,
/// and a real journal that cannot take them leaves the gateway on the volatile one, never exits it.
/// </summary>
public sealed class JournalOpenerTakeOverTests : JournalOpenerFixture
{
    [Fact]
    public async Task A_real_journal_back_read_only_leaves_the_gateway_on_the_volatile_one_with_its_lockdown()
    {
        // The card remounted read-only between the two starts: the take-over cannot be written.
        JournalDatabase.Open(Real).Dispose();
        var top = await VolatileJournalAsync(Lockdown);

        var opening = JournalOpener.Open(Real, Volatile, Time, open: path => path == Real
            ? JournalDatabase.Open(path, null, SqliteOpenMode.ReadOnly)
            : JournalDatabase.Open(path));
        using var database = opening.Database;

        Assert.Equal(FallbackFile, database.Path);
        var fault = Assert.IsType<JournalUnavailable>(opening.Fault);
        Assert.Equal(Real, fault.Path);
        Assert.Contains("read-only", fault.Reason, StringComparison.Ordinal);
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(database).Load());
        Assert.Equal(top, database.SeqTop());
    }

    [Fact]
    public async Task A_lockdown_cleared_on_the_newer_volatile_journal_does_not_come_back_from_the_real_ones_older_row()
    {
        using (var real = JournalDatabase.Open(Real))
        {
            new SqliteSafetyStateStore(real).Save(Lockdown); // the run before the card stopped answering
        }

        await VolatileJournalAsync(SafetyState.Initial); // the lockdown was cleared on it

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;

        Assert.Equal(Real, database.Path);
        Assert.Equal(SafetyState.Initial, new SqliteSafetyStateStore(database).Load());
    }

    [Fact]
    public async Task A_journal_created_in_place_of_a_damaged_one_takes_over_the_volatile_ones_lockdown()
    {
        var top = await VolatileJournalAsync(Lockdown);
        Directory.CreateDirectory(Path.GetDirectoryName(Real)!);
        var garbage = new byte[8192];
        new Random(5).NextBytes(garbage);
        File.WriteAllBytes(Real, garbage);
        Time.Advance(TimeSpan.FromMinutes(1)); // the new journal's floor is above the volatile top

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;

        Assert.Equal(Real, database.Path);
        Assert.Equal(Lockdown, new SqliteSafetyStateStore(database).Load());
        Assert.True(database.SeqTop() > top);
        var fault = Assert.IsType<JournalReplaced>(opening.Fault);
        Assert.Contains(" 2 of its events were not delivered", fault.Problem, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Volatile, JournalDatabase.FileName));
    }

    // The office link was down while the gateway ran on the volatile journal: it filled, and
    // dropped events. The real journal that takes over counts them in its journal.recovered,
    // as the volatile journal, retired with its undelivered events, never will.
    [Fact]
    public async Task The_real_journal_counts_the_drops_of_the_volatile_ones_open_episode_in_its_recovery()
    {
        JournalDatabase.Open(Real).Dispose();
        long dropped;
        using (var fallback = JournalDatabase.Open(FallbackFile))
        {
            fallback.RaiseFloors(Floor - 1, 0, JournalGapCause.NewJournal);
            using var full = new EventJournal(fallback, Time, new JournalLimits(10, TimeSpan.FromDays(30)));
            full.Publish(Enumerable.Range(1, 15).Select(i => (DomainEvent)Activated(i)).ToArray());
            await full.FlushAsync().WaitAsync(Patience);
            dropped = full.Dropped;
            Assert.True(full.IsFull);
        }

        var opening = JournalOpener.Open(Real, Volatile, Time);
        using var database = opening.Database;
        Assert.Equal(Real, database.Path);
        using var journal = new EventJournal(database, Time);
        journal.Publish([Activated(16)]);
        await journal.FlushAsync().WaitAsync(Patience);

        var records = journal.Read(0, int.MaxValue);
        var recovered = Assert.Single(records, r => r.Type == "journal.recovered");
        Assert.Equal(dropped, System.Text.Json.JsonDocument.Parse(recovered.DataJson).RootElement.GetProperty("dropped").GetInt64());
        Assert.Equal("point.activated", records[^1].Type);
        Assert.False(journal.IsFull);
    }

    // A volatile journal as a start on it leaves it: at the floor, the safety state saved, two
    // events the office never acknowledged. Returns its top seq.
    private async Task<long> VolatileJournalAsync(SafetyState state)
    {
        using var fallback = JournalDatabase.Open(FallbackFile);
        new SqliteSafetyStateStore(fallback).Save(state);
        fallback.RaiseFloors(Floor - 1, 0, JournalGapCause.NewJournal);
        using var journal = new EventJournal(fallback, Time);
        journal.Publish([Activated(1), Activated(2)]);
        await journal.FlushAsync().WaitAsync(Patience);
        return journal.LastSeq;
    }

    private static PointActivated Activated(int n) =>
        new(Now.AddSeconds(n), "door-" + n, PointKind.DoorContact, "lobby");
}
