using static EdgeGuard.Journal.Tests.JournalHarness;

namespace EdgeGuard.Journal.Tests;

/// <summary>
/// What the outbox reads is what <see cref="EventJournal.LastSeq"/> announces, so the publisher
/// can acknowledge every record it was given. Regression for a publisher that read a committed row
/// before the writer announced it, delivered it, and had <c>MarkDelivered</c> refuse the seq.
/// </summary>
public sealed class OutboxConsistencyTests : IDisposable
{
    private readonly JournalHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public async Task The_first_batch_after_opening_is_announced_only_after_its_commit_and_every_seq_read_can_be_marked_delivered()
    {
        using var release = new ManualResetEventSlim();
        var held = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        // No seqs are reserved yet, so this batch may not be handed out early. Hold the writer
        // after its commit, before it moves LastSeq: the window an earlier bug lived in.
        _h.Journal.AfterCommit = last =>
        {
            held.TrySetResult(last);
            release.Wait(Patience);
        };

        try
        {
            _h.Publish(Activated(1), Activated(2));
            Assert.Equal(2, await held.Task.WaitAsync(Patience));

            // The rows are on disk and visible to the reader connection...
            Assert.Equal([1L, 2], _h.Journal.Read(0, 100).Select(record => record.Seq));
            // ...but not announced, so the outbox must not see them yet.
            Assert.Equal(0, _h.Journal.LastSeq);
            Assert.Empty(_h.Journal.ReadAfter(0, 100));
            Assert.Throws<ArgumentOutOfRangeException>(() => _h.Journal.MarkDelivered(1));
        }
        finally
        {
            release.Set();
        }

        await _h.Journal.WaitForRecordsAfterAsync(0, CancellationToken.None).WaitAsync(Patience);
        var announced = _h.Journal.ReadAfter(_h.Journal.DeliveredThrough, 100);
        Assert.Equal([1L, 2], announced.Select(record => record.Seq));
        _h.Journal.MarkDelivered(announced[^1].Seq);
        Assert.Equal(2, _h.Journal.DeliveredThrough);
    }

    [Fact]
    public async Task A_batch_inside_the_reservation_is_handed_to_the_outbox_while_its_commit_is_still_running()
    {
        await _h.PublishAndFlush(Activated(1), Activated(2));
        using var release = new ManualResetEventSlim();
        var held = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        // Hold the writer inside the transaction: rows inserted, not committed.
        _h.Journal.BeforeCommit = last =>
        {
            held.TrySetResult(last);
            release.Wait(Patience);
        };

        try
        {
            _h.Publish(Activated(3), Activated(4));
            Assert.Equal(4, await held.Task.WaitAsync(Patience));

            // Announced and readable by the outbox (from memory) before they are durable...
            Assert.Equal(4, _h.Journal.LastSeq);
            Assert.Equal(2, _h.Journal.DurableSeq);
            var early = _h.Journal.ReadAfter(2, 100);
            Assert.Equal([3L, 4], early.Select(record => record.Seq));
            Assert.Equal(["p3", "p4"], early.Select(record => record.Point));
            // ...while SQLite readers still see only the committed rows.
            Assert.Equal([1L, 2], _h.Journal.Read(0, 100).Select(record => record.Seq));
        }
        finally
        {
            release.Set();
        }

        await _h.Flush();
        Assert.Equal(4, _h.Journal.DurableSeq);
        // What was handed out early is exactly what was committed.
        Assert.Equal(_h.Journal.ReadAfter(2, 100), _h.Journal.Read(3, 100));
        _h.Journal.MarkDelivered(4);
        Assert.Equal(4, _h.Journal.DeliveredThrough);
    }

    [Fact]
    public async Task A_publisher_racing_the_writer_never_reads_past_LastSeq_and_can_acknowledge_everything_it_read()
    {
        const int Events = 5_000;
        var violations = new List<string>();

        // The publisher's loop without MQTT: wait for records, read, acknowledge the last one read.
        var publisher = Task.Run(async () =>
        {
            var sent = 0L;
            while (sent < Events)
            {
                await _h.Journal.WaitForRecordsAfterAsync(sent, CancellationToken.None);
                var records = _h.Journal.ReadAfter(sent, 64);
                var announced = _h.Journal.LastSeq;
                foreach (var record in records)
                {
                    if (record.Seq != sent + 1 || record.Seq > announced)
                    {
                        violations.Add($"read seq {record.Seq} after {sent} with LastSeq {announced}");
                    }

                    sent = record.Seq;
                }

                if (records.Count > 0)
                {
                    _h.Journal.MarkDelivered(sent); // throws if sent was never announced
                }
            }
        });

        // Many small batches, so the writer's commit/announce window opens thousands of times.
        for (var i = 1; i <= Events; i++)
        {
            _h.Publish(Activated(i));
            if (i % 7 == 0)
            {
                await Task.Yield();
            }
        }

        await _h.Flush();
        await publisher.WaitAsync(Patience);
        Assert.Empty(violations);
        Assert.Equal(Events, _h.Journal.DeliveredThrough);
        Assert.Empty(_h.Errors);
    }
}
