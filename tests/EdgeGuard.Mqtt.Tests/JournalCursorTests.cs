using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The publisher over the real journal: each journal commit writes the acknowledged prefix as the
/// delivery cursor, so while events flow no commit of the cursor alone is needed; the publisher
/// never writes it (an fsync on its loop), it only reports its PUBACKs.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class JournalCursorTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_cursor_is_made_durable_by_the_journals_commits_not_by_a_write_of_the_publishers_own()
    {
        using var directory = new TempDirectory();
        var path = directory.File(JournalDatabase.FileName);
        await using var broker = await MosquittoBroker.StartAsync();
        using (var database = JournalDatabase.Open(path))
        using (var journal = new EventJournal(database, TimeProvider.System))
        {
            // The first batch after opening commits before it is announced; the rest are handed out.
            journal.Publish([Opened(1)]);
            await journal.FlushAsync();

            // The publisher on a clock that never moves: nothing of its own comes due by time.
            var time = new FakeTimeProvider();
            var publisher = new OutboxPublisher(PublisherHarness.Plain(broker.Port), journal, new FakeSiteState(), () => 1, new RecordingSink(), time, new TestLog<OutboxPublisher>(output));
            await publisher.StartAsync(CancellationToken.None);
            using (var caughtUp = new CancellationTokenSource(Patience))
            {
                await publisher.WaitUntilCaughtUpAsync(caughtUp.Token);
            }

            // Event 1 went out as a replay; no event came to carry its PUBACK, so the idle writer
            // commits the cursor alone within its interval.
            await Eventually.TrueAsync(() => journal.DeliveredThrough == 1, Patience, "cursor 1 committed alone");
            Assert.Equal(1, journal.CursorCommits);

            // From here on only events may carry it: an interval that does not pass in the test.
            journal.CursorWriteInterval = TimeSpan.FromHours(1);
            for (var i = 2; i <= 5; i++)
            {
                journal.Publish([Opened(i)]);
                await Eventually.TrueAsync(() => publisher.AcknowledgedThrough == i, Patience, $"PUBACK of seq {i}");
            }

            // Event 5's commit carried cursor 5 if its PUBACK came within the hold; else event 6's
            // does (its PUBACK is not awaited: the flush commits it at once).
            journal.Publish([Opened(6)]);
            await journal.FlushAsync();
            Assert.True(journal.DeliveredThrough >= 5, $"cursor {journal.DeliveredThrough}: the commits did not carry the acknowledged prefix");
            Assert.Equal(6, journal.DurableSeq);
            Assert.Equal(1, journal.CursorCommits);

            // The stop drains only what is in flight: 6 must have been sent and acknowledged first.
            await Eventually.TrueAsync(() => publisher.AcknowledgedThrough == 6, Patience, "PUBACK of seq 6");
            await publisher.StopAsync(CancellationToken.None);
            publisher.Dispose();
        }

        // Durable: what a restart reads.
        using var reopenedDatabase = JournalDatabase.Open(path);
        using var reopened = new EventJournal(reopenedDatabase, TimeProvider.System);
        Assert.Equal(6, reopened.DeliveredThrough);
        Assert.Empty(reopened.ReadAfter(reopened.DeliveredThrough, 10));
    }

    private static PointActivated Opened(int i) =>
        new(new DateTimeOffset(2026, 12, 1, 21, 0, 0, TimeSpan.Zero).AddSeconds(i), $"door-{i}", PointKind.DoorContact, "lobby");
}
