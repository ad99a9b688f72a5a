using System.Buffers;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>Office commands under a stuck journal (an SD card hanging in fsync): answered promptly, never run late.</summary>
public sealed class CommandStallTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset GatewayNow = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_command_whose_journal_record_outlasted_its_lifetime_is_refused_as_expired_not_executed()
    {
        // Signed at 10:00 for 60 s; the journal's commit hangs for ten minutes, then completes.
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, time: time);
        var payload = gateway.Sign(CommandType.Evacuate, issuedAt: GatewayNow, ttl: TimeSpan.FromSeconds(60));
        var (held, release) = gateway.Journal.HoldNextReceived();

        var handling = gateway.Handler.HandleAsync(payload, retained: false, CancellationToken.None);
        await held.WaitAsync(TimeSpan.FromSeconds(15));
        time.Advance(TimeSpan.FromMinutes(10));
        release.SetResult();
        var results = await handling.WaitAsync(TimeSpan.FromSeconds(15));

        Assert.Empty(gateway.Executor.Executed);
        Assert.Equal(CommandResultKind.Rejected, results[^1].Result);
        Assert.StartsWith("expired: expired before it could be executed", results[^1].Reason);
        // Audited: the refusal is in the journal, as a rejection the office reads.
        var refused = Assert.Single(gateway.Journal.Events.OfType<CommandRejected>());
        Assert.Equal(CommandRejection.Expired, refused.Rejection);
        // Its final result: a copy within the skew is answered with it, never executed.
        Assert.Equal(0, gateway.Handler.InFlight);
    }

    [Fact]
    public async Task The_command_journal_gives_up_on_a_flush_the_disk_never_finishes_within_its_bound()
    {
        // The journal writer is stuck in fsync: its flush never completes. The wait is bounded on
        // the gateway's clock, so the command gets a prompt refusal instead of no answer.
        var time = new FakeTimeProvider(GatewayNow);
        var sink = new CountingSink();
        var never = new TaskCompletionSource();
        var journal = new FlushingCommandJournal(sink, () => never.Task, time);

        var recording = journal.RecordAsync(new CommandRejected(GatewayNow, "c-1", null, null, CommandRejection.Malformed, "x"), CancellationToken.None);
        time.Advance(FlushingCommandJournal.FlushWait - TimeSpan.FromMilliseconds(1));
        Assert.False(recording.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(1));

        var thrown = await Assert.ThrowsAsync<TimeoutException>(() => recording.WaitAsync(TimeSpan.FromSeconds(15)));
        Assert.Contains("not journaled within", thrown.Message);
        Assert.Equal(1, sink.Published);
    }

    private sealed class CountingSink : IEventSink
    {
        public int Published { get; private set; }

        public void Publish(IReadOnlyList<DomainEvent> events) => Published += events.Count;
    }
}
