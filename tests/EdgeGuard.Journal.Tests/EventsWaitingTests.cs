using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// <see cref="EventJournal.EventsWaiting"/> is what the publisher's orderly stop asks before it
/// sends the points' retained state: true only while an event handed to the journal cannot be
/// read. A batch announced after its commit (the first after a start, every batch of a full or
/// failing episode) is readable from that announcement; the flag stayed true through the rest of
/// the writer's round (retention, the owed session, the ballast), and a stop landing there waited
/// its whole second for a record that never came, then left every point's state behind its last
/// delivered event (review of 2026-12-05).
/// </summary>
public sealed class EventsWaitingTests : IDisposable
{
    private readonly JournalHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task A_batch_announced_after_its_commit_is_no_longer_waiting_while_the_writer_housekeeps()
    {
        using var housekeeping = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        _h.Journal.BeforeHousekeep = () =>
        {
            housekeeping.Set();
            release.Wait(Patience);
        };
        try
        {
            _h.Publish(Activated(1)); // the first batch after a start: queued, announced after its commit
            await _h.Journal.WaitForRecordsAfterAsync(0, CancellationToken.None).WaitAsync(Patience);
            Assert.True(housekeeping.Wait(Patience));
            Assert.Equal(1, _h.Journal.LastSeq);
            Assert.Single(_h.Journal.ReadAfter(0, 10));
            Assert.False(_h.Journal.EventsWaiting, "readable, yet reported as waiting");
        }
        finally
        {
            release.Set();
            _h.Journal.BeforeHousekeep = null;
        }
    }
}
