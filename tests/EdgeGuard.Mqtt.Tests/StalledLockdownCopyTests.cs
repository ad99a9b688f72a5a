using System.Buffers;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using EdgeGuard.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A copy of an office <c>lockdown</c> arriving while the replay store does not answer in time
/// (an SD card hung in fsync): only an id the store is known not to hold may run without its
/// record. One the store holds is answered from its committed row, read without the writer's
/// lock; one it cannot even read is refused <c>unavailable</c>. And a lockdown already journaled
/// whose start mark then times out is carried out, kept in memory, never refused silently.
/// </summary>
public sealed class StalledLockdownCopyTests(ITestOutputHelper output)
{
    private static Task<IReadOnlyList<(CommandResultKind Result, string? Reason)>> HandleAsync(CommandHandler handler, byte[] payload) =>
        handler.HandleAsync(payload, retained: false, CancellationToken.None);

    [Fact]
    public async Task A_lockdown_finished_and_stored_is_not_run_again_by_a_copy_during_a_stall()
    {
        // L ran and the store recorded it done; the all-clear came since. A copy of L's bytes (a
        // broker redelivery, a captured copy still valid) during a stall locked the site again.
        var store = new HungSeenCommandIds { Hung = false };
        await using var gateway = new CommandHarness(output, seen: store);
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown running");
        var payload = gateway.Sign(CommandType.Lockdown);
        var first = await HandleAsync(gateway.Handler, payload);
        store.Hung = true;

        var copy = await HandleAsync(gateway.Handler, payload);

        Assert.Equal(first[^1], Assert.Single(copy));
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal(0, gateway.Handler.Unrecorded);
    }

    [Fact]
    public async Task Another_payload_under_a_stored_id_during_a_stall_is_a_replay()
    {
        var store = new HungSeenCommandIds { Hung = false };
        await using var gateway = new CommandHarness(output, seen: store);
        var payload = gateway.Sign(CommandType.Lockdown);
        await HandleAsync(gateway.Handler, payload);
        var id = CommandEnvelope.TryParse(payload, out _, out _, out _)!.Id;
        var reused = CommandSigner.Sign(
            CommandSigner.Create(CommandType.Lockdown, CommandHarness.Site, CommandHarness.Gateway, "sup.jones", DateTimeOffset.UtcNow, TimeSpan.FromSeconds(60)) with { Id = id },
            gateway.Supervisor).ToPayload();
        store.Hung = true;

        var result = Assert.Single(await HandleAsync(gateway.Handler, reused));

        Assert.Equal(CommandResultKind.Rejected, result.Result);
        Assert.StartsWith("replayed: ", result.Reason, StringComparison.Ordinal);
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal(0, gateway.Handler.Unrecorded);
    }

    [Fact]
    public async Task A_copy_is_refused_unavailable_when_the_store_cannot_even_be_read()
    {
        var store = new HungSeenCommandIds { Hung = false };
        await using var gateway = new CommandHarness(output, seen: store);
        var payload = gateway.Sign(CommandType.Lockdown);
        await HandleAsync(gateway.Handler, payload);
        store.Hung = true;
        store.FindFails = true;

        var copy = Assert.Single(await HandleAsync(gateway.Handler, payload));
        var fresh = Assert.Single(await HandleAsync(gateway.Handler, gateway.Sign(CommandType.Lockdown)));

        // Whether the store holds either is unknown: neither runs (the safe side).
        Assert.Equal((CommandResultKind.Rejected, CommandResultKind.Rejected), (copy.Result, fresh.Result));
        Assert.StartsWith("unavailable: ", copy.Reason, StringComparison.Ordinal);
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal(0, gateway.Handler.Unrecorded);
    }

    [Fact]
    public async Task A_copy_during_a_stall_while_the_first_runs_leaves_its_bookkeeping_to_the_store()
    {
        var store = new HungSeenCommandIds { Hung = false };
        await using var gateway = new CommandHarness(output, seen: store);
        var hold = new TaskCompletionSource();
        gateway.Executor.Hold = hold.Task;
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown running");
        var payload = gateway.Sign(CommandType.Lockdown);
        var first = gateway.Handler.HandleAsync(payload, false, CancellationToken.None);
        await gateway.Executor.Started.Task.WaitAsync(TimeSpan.FromSeconds(10));
        store.Hung = true;

        var copy = await HandleAsync(gateway.Handler, payload);
        Assert.Equal(0, gateway.Handler.Unrecorded);
        store.Hung = false;
        hold.SetResult();
        var done = (await first)[^1];

        Assert.Equal(CommandResultKind.Accepted, Assert.Single(copy).Result);
        // Recorded as usual before the stall: its done says nothing is missing.
        Assert.Equal((CommandResultKind.Done, "lockdown running"), done);
        await using var restarted = new CommandHarness(output, seen: store, supervisor: gateway.Supervisor);
        Assert.Equal(done, Assert.Single(await HandleAsync(restarted.Handler, payload)));
        Assert.Single(gateway.Executor.Executed);
        Assert.Empty(restarted.Executor.Executed);
    }

    [Fact]
    public async Task A_lockdown_whose_flush_hangs_is_carried_out_when_the_shared_store_then_hangs_too()
    {
        // The likely case at the start of a stall on an idle gateway: the store shares the
        // writer's lock, so the start mark times out right after the flush did.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 10, 0, 0, TimeSpan.Zero));
        var sink = new RecordingSink();
        var never = new TaskCompletionSource();
        var store = new HungSeenCommandIds { Hung = false };
        await using var gateway = new CommandHarness(output, time: time, seen: store);
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown running");
        var options = new CommandVerifierOptions(CommandHarness.Site, CommandHarness.Gateway);
        var handler = new CommandHandler(
            new CommandVerifier(gateway.Keys, store, options, new UnrecordedCommands(time)), new FlushingCommandJournal(sink, () => never.Task, time),
            gateway.Executor, options.MaxPayloadBytes, time, NullLogger<CommandHandler>.Instance);
        var payload = gateway.Sign(CommandType.Lockdown, issuedAt: time.GetUtcNow());
        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(payload), retained: false, CancellationToken.None);
        store.Hung = true;
        time.Advance(FlushingCommandJournal.FlushWait);
        var attempt = await receiving.WaitAsync(TimeSpan.FromSeconds(15));

        var done = await handler.ExecuteAsync(attempt.Command!, CancellationToken.None);

        Assert.Equal((CommandResultKind.Done, CommandResultKind.Accepted), (done.Result, attempt.Result));
        Assert.Contains("without a durable record", done.Reason, StringComparison.Ordinal);
        Assert.Contains("command.received was on disk", done.Reason, StringComparison.Ordinal);
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal(["command.received"], sink.Events.Select(e => e.Type));
        // A copy while the store hangs is answered from memory, never run again (its
        // command.repeated waits out the flush bound too).
        var copying = HandleAsync(handler, payload);
        time.Advance(FlushingCommandJournal.FlushWait);
        Assert.Equal(done, Assert.Single(await copying.WaitAsync(TimeSpan.FromSeconds(15))));
        // The disk answers: the store's row is finished, so a copy after a restart is answered.
        store.Hung = false;
        handler.StoreUnstoredResults();
        Assert.Equal(0, handler.Unrecorded);
        await using var restarted = new CommandHarness(output, time: time, seen: store, supervisor: gateway.Supervisor);
        Assert.Equal(done, Assert.Single(await HandleAsync(restarted.Handler, payload)));
        Assert.Single(gateway.Executor.Executed);
    }

    [Fact]
    public async Task A_command_whose_start_mark_is_refused_after_its_command_received_gets_a_command_rejected_behind_it()
    {
        // The journal never shows a command received and left open.
        var store = new HungSeenCommandIds { Hung = false };
        await using var gateway = new CommandHarness(output, seen: store);
        var payload = gateway.Sign(CommandType.AllClear);
        var attempt = await gateway.Handler.ReceiveAsync(new ReadOnlySequence<byte>(payload), false, CancellationToken.None);
        store.Hung = true; // not a lockdown: refused as before

        var done = await gateway.Handler.ExecuteAsync(attempt.Command!, CancellationToken.None);

        Assert.Equal(CommandResultKind.Rejected, done.Result);
        Assert.Empty(gateway.Executor.Executed);
        Assert.Equal(["command.received", "command.rejected"], gateway.Journal.Events.Select(e => e.Type));
        var rejected = Assert.IsType<CommandRejected>(gateway.Journal.Events[^1]);
        Assert.Equal((CommandRejection.Unavailable, attempt.CommandId), (rejected.Rejection, rejected.CommandId));
    }

    [Fact]
    public async Task A_lockdown_carried_out_unrecorded_is_handed_to_the_store_once_it_answers_with_no_command_after()
    {
        // No office command follows the stall: a power cut before the next one let a copy still
        // valid lock the site again. The subscriber tries the hand-over by itself.
        var store = new HungSeenCommandIds();
        await using var gateway = new CommandHarness(
            output, brokerPort: MosquittoBroker.FreePort(), seen: store, tune: o => o with { HandOverInterval = TimeSpan.FromMilliseconds(50) });
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown running");
        var payload = gateway.Sign(CommandType.Lockdown);
        var done = (await HandleAsync(gateway.Handler, payload))[^1];
        await gateway.Subscriber!.StartAsync(CancellationToken.None);
        await Task.Delay(TimeSpan.FromMilliseconds(300));
        Assert.Equal(1, gateway.Handler.Unrecorded); // the disk still hangs: kept in memory

        store.Hung = false;

        await Eventually.TrueAsync(() => gateway.Handler.Unrecorded == 0, TimeSpan.FromSeconds(15), "the hand-over");
        await using var restarted = new CommandHarness(output, seen: store, supervisor: gateway.Supervisor);
        Assert.Equal(done, Assert.Single(await HandleAsync(restarted.Handler, payload)));
        Assert.Empty(restarted.Executor.Executed);
    }
}
