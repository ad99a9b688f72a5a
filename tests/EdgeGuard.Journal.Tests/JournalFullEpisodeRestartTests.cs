using System.Text.Json;
using EdgeGuard.Core.Lockdown;
using static EdgeGuard.Journal.Tests.JournalDatabaseTests;
using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// The office link is down, a chattering door fills the journal, events are dropped, and the
/// gateway restarts (power cut, update, watchdog) before the office is back. The contract promises
/// journal.recovered with the count of every event that could not be journaled: the episode, its
/// count with it, must survive the restart (schema 17, gateway_meta).
/// </summary>
public sealed class JournalFullEpisodeRestartTests
{
    private static readonly TimeSpan Month = TimeSpan.FromDays(30);

    [Fact]
    public async Task Drops_before_a_restart_are_counted_in_the_journal_recovered_that_ends_the_episode_after_it()
    {
        using var h = await JournalThatDropped50();

        h.Reopen();
        await h.PublishAndFlush(Activated(151)); // still full: dropped too
        Assert.True(h.Journal.IsFull);

        // The office is back and acknowledges everything; the next event ends the episode.
        h.Journal.MarkDelivered(h.Journal.LastSeq);
        await h.PublishAndFlush(Activated(152));

        Assert.False(h.Journal.IsFull);
        Assert.Equal([51L], Recovered(h));
        Assert.Equal("point.activated", h.All()[^1].Type);
        Assert.Empty(h.Errors);
    }

    [Fact]
    public async Task An_episode_a_restart_finds_room_for_is_closed_with_journal_recovered_for_its_drops_before_new_events()
    {
        using var h = await JournalThatDropped50();
        h.Journal.MarkDelivered(h.Journal.LastSeq); // the office caught up, no event since
        var before = h.Journal.LastSeq;

        h.Reopen();
        await h.PublishAndFlush(Activated(151));

        var after = h.Journal.ReadAfter(before, 100);
        Assert.Equal(["journal.recovered", "point.activated"], after.Select(r => r.Type));
        Assert.Equal([50L], Recovered(h));
        Assert.False(h.Journal.IsFull);
        Assert.Equal(0L, RecordedDropped(h));
        Assert.Empty(h.Errors);
    }

    [Fact]
    public async Task The_episode_is_recorded_with_the_commit_that_drops_and_cleared_with_the_recovery()
    {
        using var h = await JournalThatDropped50();
        Assert.Equal(50L, RecordedDropped(h));

        // A batch that only drops records its new count on its own.
        await h.PublishAndFlush(Activated(151), Activated(152));
        Assert.Equal(52L, RecordedDropped(h));

        h.Journal.MarkDelivered(h.Journal.LastSeq);
        await h.PublishAndFlush(Activated(153));
        Assert.Equal([52L], Recovered(h));
        Assert.Equal(0L, RecordedDropped(h));
    }

    /// <summary>A journal with a limit of 100 that dropped 50 of 150 door events.</summary>
    private static async Task<JournalHarness> JournalThatDropped50()
    {
        var h = new JournalHarness(new JournalLimits(100, Month));
        await h.PublishAndFlush(Enumerable.Range(1, 150).Select(i => (DomainEvent)Activated(i)).ToArray());
        Assert.True(h.Journal.IsFull);
        Assert.Equal(50, h.Journal.Dropped);
        return h;
    }

    private static List<long> Recovered(JournalHarness h) =>
        [.. h.All().Where(r => r.Type == "journal.recovered").Select(r => JsonDocument.Parse(r.DataJson).RootElement.GetProperty("dropped").GetInt64())];

    // gateway_meta.full_dropped; 0 when no episode is recorded.
    private static long RecordedDropped(JournalHarness h) =>
        h.Database.Read(connection => Scalar<long>(connection, "SELECT coalesce((SELECT full_dropped FROM gateway_meta WHERE id = 1), 0);"));
}
