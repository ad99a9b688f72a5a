using System.Buffers;
using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using EdgeGuard.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A command refused because its journal record outlasted the flush bound (a card hung in fsync)
/// while the replay store could not take the refusal either: the office was told "not acted on",
/// so that must stay true in the journal and across a restart.
/// </summary>
public sealed class CommandRefusalDurabilityTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset GatewayNow = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_refusal_the_store_could_not_keep_is_stored_later_so_a_restart_never_runs_the_command(bool atStop)
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, JournalDatabase.FileName);
        using var supervisor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var time = new FakeTimeProvider(GatewayNow);
        var sink = new RecordingSink();
        var never = new TaskCompletionSource();
        byte[] payload;
        using (var database = JournalDatabase.Open(path))
        {
            var store = new FinishFailsSeenCommandIds(new SqliteSeenCommandIds(database));
            await using var gateway = new CommandHarness(output, seen: store, supervisor: supervisor, time: time);
            var handler = HandlerOver(gateway, store, new FlushingCommandJournal(sink, () => never.Task, time), time);
            // Not a lockdown: one whose flush hangs is carried out instead (StalledLockdownTests).
            payload = gateway.Sign(CommandType.Evacuate, issuedAt: GatewayNow, ttl: TimeSpan.FromMinutes(15));

            var refused = await ReceiveTimingOutAsync(handler, payload, time);

            Assert.Equal(CommandResultKind.Rejected, refused.Result);
            Assert.StartsWith("unavailable: ", refused.Reason, StringComparison.Ordinal);
            // The journal reads received, then rejected: queued without a wait, written when the
            // disk answers.
            Assert.Equal(["command.received", "command.rejected"], sink.Events.Select(e => e.Type));
            var rejected = (CommandRejected)sink.Events[1];
            Assert.Equal((CommandRejection.Unavailable, refused.CommandId), (rejected.Rejection, rejected.CommandId));

            // The store answers again: the refusal is stored at the next command or at the stop.
            store.FailFinish = false;
            if (atStop)
            {
                handler.StoreUnstoredResults();
            }
            else
            {
                await ReceiveTimingOutAsync(handler, gateway.Sign(CommandType.Evacuate, issuedAt: GatewayNow), time);
            }
        }

        using var reopened = JournalDatabase.Open(path);
        await using var restarted = new CommandHarness(output, seen: new SqliteSeenCommandIds(reopened), supervisor: supervisor, time: time);
        var again = await restarted.Handler.HandleAsync(payload, retained: false, CancellationToken.None);

        Assert.Empty(restarted.Executor.Executed);
        var answer = Assert.Single(again);
        Assert.Equal(CommandResultKind.Rejected, answer.Result);
        Assert.StartsWith("unavailable: the command could not be journaled", answer.Reason, StringComparison.Ordinal);
    }

    private static CommandHandler HandlerOver(CommandHarness gateway, ISeenCommandIds store, ICommandJournal journal, TimeProvider time)
    {
        var options = new CommandVerifierOptions(CommandHarness.Site, CommandHarness.Gateway) { ClockSkew = TimeSpan.FromSeconds(30) };
        return new CommandHandler(
            new CommandVerifier(gateway.Keys, store, options), journal, gateway.Executor, options.MaxPayloadBytes, time, NullLogger<CommandHandler>.Instance);
    }

    // The flush never completes: the journal's wait runs out on the gateway's clock.
    private static async Task<CommandAttempt> ReceiveTimingOutAsync(CommandHandler handler, byte[] payload, FakeTimeProvider time)
    {
        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(payload), retained: false, CancellationToken.None);
        time.Advance(FlushingCommandJournal.FlushWait);
        return await receiving.WaitAsync(TimeSpan.FromSeconds(15));
    }


    /// <summary>A replay store whose final results cannot be written while <see cref="FailFinish"/> (its wait for a busy writer ran out).</summary>
    private sealed class FinishFailsSeenCommandIds(ISeenCommandIds inner) : ISeenCommandIds
    {
        public bool FailFinish { get; set; } = true;

        public SeenCommand Record(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final = null) =>
            inner.Record(id, payloadHash, window, now, final);

        public void Start(string id) => inner.Start(id);

        public SeenCommand? Find(string id, byte[] payloadHash) => inner.Find(id, payloadHash);

        public void Finish(string id, CommandFinal final)
        {
            if (FailFinish)
            {
                throw new JournalException("the journal's writer held the database past the wait");
            }

            inner.Finish(id, final);
        }
    }
}
