using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Publishing;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// The publisher over the real journal while the journal cannot write (a card the kernel remounted
/// read-only): the office still receives the episode's fault and a lockdown, handed out from
/// memory, and later the journal.gap that declares their seqs. Without that, the office saw a
/// healthy, quiet, online gateway while the site was in lockdown.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class JournalWriteFailureTests(ITestOutputHelper output)
{
    private const string Events = "edgeguard/v1/site-1/gw-1/events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task While_the_journal_cannot_write_the_office_receives_the_fault_and_the_lockdown_then_the_gap_that_declares_them()
    {
        using var directory = new TempDirectory();
        var path = directory.File(JournalDatabase.FileName);
        await using var broker = await MosquittoBroker.StartAsync();
        await using var office = await TestSubscriber.ConnectAsync(broker.Port, Events, "office");
        using var database = JournalDatabase.Open(path);
        using var journal = new EventJournal(database, TimeProvider.System);
        // Committed before anything fails: its commit reserves the seqs that follow.
        journal.Publish([Opened(1)]);
        await journal.FlushAsync();

        var publisher = new OutboxPublisher(PublisherHarness.Plain(broker.Port), journal, new FakeSiteState(), () => 1, new RecordingSink(), TimeProvider.System, new TestLog<OutboxPublisher>(output));
        await publisher.StartAsync(CancellationToken.None);
        try
        {
            using (var caughtUp = new CancellationTokenSource(Patience))
            {
                await publisher.WaitUntilCaughtUpAsync(caughtUp.Token);
            }

            // Every write of the journal's connection fails from now on (SQLITE_READONLY): its
            // commits, and the publisher's cursor writes too.
            database.Read(connection => Pragma(connection, "query_only = 1"));
            journal.Publish([Opened(2)]);
            await journal.FlushAsync();
            journal.Publish([new LockdownStarted(At(3), "panic button", "panic-1")]);
            await journal.FlushAsync();
            Assert.True(journal.IsFull);
            Assert.Equal(1, journal.DurableSeq);

            await Eventually.TrueAsync(() => Types(office).Contains("lockdown.started"), Patience, "lockdown.started at the office");
            Assert.Equal(
                [(1L, "point.activated"), (2, "point.activated"), (3, "fault.journal-full"), (4, "lockdown.started")],
                Received(office));
            await Eventually.TrueAsync(() => publisher.AcknowledgedThrough == 4, Patience, "PUBACK of seq 4");

            // Writable again: the next commit declares the seqs handed out from memory skipped.
            database.Read(connection => Pragma(connection, "query_only = 0"));
            journal.Publish([Opened(5)]);
            await journal.FlushAsync();

            await Eventually.TrueAsync(() => Received(office).Count == 8, Patience, "the gap, the fault, the recovery and door-5 at the office");
            var received = Received(office);
            Assert.Equal(
                [(5L, "journal.gap"), (6, "fault.journal-full"), (7, "journal.recovered"), (8, "point.activated")],
                received.Skip(4));
            var gap = office.On(Events).Select(receipt => receipt.Json).Single(json => json.GetProperty("type").GetString() == "journal.gap").GetProperty("data");
            Assert.Equal(2, gap.GetProperty("fromSeq").GetInt64());
            Assert.Equal(4, gap.GetProperty("throughSeq").GetInt64());
            Assert.Equal("write-failed", gap.GetProperty("cause").GetString());
            await Eventually.TrueAsync(() => publisher.AcknowledgedThrough == 8, Patience, "PUBACK of seq 8");
        }
        finally
        {
            await publisher.StopAsync(CancellationToken.None);
            publisher.Dispose();
        }

        Assert.Equal(8, journal.DeliveredThrough);
    }

    private static List<(long Seq, string Type)> Received(TestSubscriber office) =>
        [.. office.On(Events).Select(receipt => receipt.Json).Select(json => (json.GetProperty("seq").GetInt64(), json.GetProperty("type").GetString()!)).Distinct()];

    private static List<string> Types(TestSubscriber office) => [.. Received(office).Select(received => received.Type)];

    private static long Pragma(SqliteConnection connection, string pragma)
    {
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA {pragma};";
        command.ExecuteNonQuery();
        return 0;
    }

    private static DateTimeOffset At(int i) => new DateTimeOffset(2026, 12, 1, 21, 0, 0, TimeSpan.Zero).AddSeconds(i);

    private static PointActivated Opened(int i) => new(At(i), $"door-{i}", PointKind.DoorContact, "lobby");
}
