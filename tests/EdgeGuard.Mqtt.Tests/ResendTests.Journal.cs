using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace EdgeGuard.Mqtt.Tests;

// The outcome's journal record outlasting the flush bound (a card hung in fsync) after the
// resend or heard was carried out: answered as what happened, the record stays queued.
public sealed partial class ResendTests
{
    [Fact]
    public async Task A_resend_and_a_heard_carried_out_are_answered_done_when_their_record_outlasts_the_flush_bound()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.Outbox.AppendMany(10);
        await harness.StartAndCatchUpAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var sink = new RecordingSink();
        var never = new TaskCompletionSource();
        var executor = new ResendCommandExecutor(harness.Publisher, new FlushingCommandJournal(sink, () => never.Task, time), new CountingExecutor(), time);

        var resending = executor.ExecuteAsync(Resend(3, 8), CancellationToken.None);
        time.Advance(FlushingCommandJournal.FlushWait);
        var resent = await resending.WaitAsync(Patience);
        var hearing = executor.ExecuteAsync(Heard(2), CancellationToken.None);
        time.Advance(FlushingCommandJournal.FlushWait);
        var heard = await hearing.WaitAsync(Patience);

        Assert.True(resent.Done, resent.Detail);
        Assert.StartsWith("resending seqs 3 to 8 below the live stream", resent.Detail, StringComparison.Ordinal);
        Assert.True(heard.Done, heard.Detail);
        Assert.StartsWith("the office has every event through seq 2", heard.Detail, StringComparison.Ordinal);
        // Both records are queued, written when the disk answers.
        Assert.All(sink.Events, e => Assert.IsType<CommandDone>(e));
        Assert.Equal(2, sink.Events.Count);
    }

    // A journal that fails outright (a disk I/O error, not a hang) once the effect happened: the
    // answer was "rejected: failed: ..." and that was stored as the final result while the events
    // were being re-sent (the range trimmed). What happened is the answer; the log has the fault.
    [Fact]
    public async Task A_resend_and_a_heard_carried_out_are_answered_done_when_their_record_fails_with_an_io_error()
    {
        await using var broker = await MosquittoBroker.StartAsync();
        await using var harness = new PublisherHarness(PublisherHarness.Plain(broker.Port), output);
        harness.Outbox.AppendMany(10);
        await harness.StartAndCatchUpAsync();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var failing = new FlushingCommandJournal(new RecordingSink(), () => Task.FromException(new IOException("disk I/O error")), time);
        var log = new RecordingLog<ResendCommandExecutor>(output);
        var executor = new ResendCommandExecutor(harness.Publisher, failing, new CountingExecutor(), time, log);

        var resent = await executor.ExecuteAsync(Resend(3, 8), CancellationToken.None).WaitAsync(Patience);
        var heard = await executor.ExecuteAsync(Heard(2), CancellationToken.None).WaitAsync(Patience);

        Assert.True(resent.Done, resent.Detail);
        Assert.StartsWith("resending seqs 3 to 8 below the live stream", resent.Detail, StringComparison.Ordinal);
        Assert.True(heard.Done, heard.Detail);
        Assert.StartsWith("the office has every event through seq 2", heard.Detail, StringComparison.Ordinal);
        // Each lost record is an error in the log, named.
        Assert.Equal(
            [(LogLevel.Error, 369), (LogLevel.Error, 369)],
            log.Lines.Select(l => (l.Level, l.EventId)));
        Assert.All(log.Lines, l => Assert.Contains("command.done could not be journaled", l.Message, StringComparison.Ordinal));
    }
}
