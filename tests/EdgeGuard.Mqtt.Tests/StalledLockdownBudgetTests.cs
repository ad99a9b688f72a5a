using System.Buffers;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Site;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using EdgeGuard.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// How long an office <c>lockdown</c> waits for the disk during an SD card stall before the
/// controller gets it: the replay store's wait and the journal flush's wait share one deadline of
/// 1 s from when the handler starts recording it. Before, it waited out both bounds in turn (the
/// store's up to 5 s, then the flush's 5 s): up to 10 s with the guard at the door. Every other
/// type keeps its own bounds, and stays refused <c>unavailable</c>.
/// </summary>
public sealed class StalledLockdownBudgetTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset GatewayNow = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan OneSecond = TimeSpan.FromSeconds(1);

    // Only guards a hang: nothing here is timed by the wall clock.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_lockdown_reaches_the_executor_once_one_second_passes_while_the_replay_store_and_the_journal_flush_hang()
    {
        var time = new FakeTimeProvider(GatewayNow);
        var store = new HungSeenCommandIds();
        var sink = new RecordingSink();
        var never = new TaskCompletionSource();
        await using var gateway = new CommandHarness(output, seen: store, time: time);
        var handler = HandlerOver(gateway, store, new FlushingCommandJournal(sink, () => never.Task, time), time);
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown running");

        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow)), retained: false, CancellationToken.None);
        time.Advance(OneSecond);
        var attempt = await receiving.WaitAsync(Patience);
        var done = await handler.ExecuteAsync(attempt.Command!, CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(CommandResultKind.Accepted, attempt.Result);
        Assert.Equal(CommandResultKind.Done, done.Result);
        Assert.Single(gateway.Executor.Executed);
        // Both stalls are named in its done: no durable record yet, and the journal's comes late.
        Assert.Contains("only until it restarts", done.Reason, StringComparison.Ordinal);
        Assert.Contains("before its command.received was on disk", done.Reason, StringComparison.Ordinal);
        Assert.Equal(["command.received"], sink.Events.Select(e => e.Type));
        Assert.Equal(1, handler.Unrecorded);
        // The store was asked to wait no longer than the deadline (none of it had passed yet).
        Assert.Equal([OneSecond], store.Waits);
        Assert.Equal(OneSecond, CommandHandler.LockdownRecordingBudget);
    }

    [Fact]
    public async Task The_time_the_replay_store_waited_is_taken_from_the_journal_flushs_share_of_the_second()
    {
        // The store gives up after 600 ms of the second (a card that hangs: its bound ran out):
        // the flush gets the 400 ms left, not a second of its own.
        var time = new FakeTimeProvider(GatewayNow);
        var store = new HungSeenCommandIds { Waiting = _ => time.Advance(TimeSpan.FromMilliseconds(600)) };
        var never = new TaskCompletionSource();
        await using var gateway = new CommandHarness(output, seen: store, time: time);
        var handler = HandlerOver(gateway, store, new FlushingCommandJournal(new RecordingSink(), () => never.Task, time), time);

        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow)), retained: false, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(400));
        var attempt = await receiving.WaitAsync(Patience);
        await handler.ExecuteAsync(attempt.Command!, CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(CommandResultKind.Accepted, attempt.Result);
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal([OneSecond], store.Waits);
    }

    [Fact]
    public async Task A_lockdown_reaches_the_executor_while_the_journal_writer_still_holds_the_database_in_a_hung_commit()
    {
        // The real store and journal on one SQLite file, the writer hung inside its commit (holding
        // the database) until the test ends; the store sized for a slow card (its longest wait).
        using var hung = new HungWriter(SqliteSeenCommandIds.MaxWait);
        hung.Journal.Publish([new PointActivated(GatewayNow, "door-1", PointKind.DoorContact, "lobby")]);
        await hung.Held.Task.WaitAsync(Patience);

        // The flush's wait runs on the fake clock; the store's on its own real one. Advancing
        // one second lets the flush give up only if its share of the deadline is that second.
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, seen: hung.Store, time: time);
        var handler = HandlerOver(gateway, hung.Store, new FlushingCommandJournal(hung.Journal, hung.Journal.FlushAsync, time), time);
        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow)), retained: false, CancellationToken.None);
        time.Advance(OneSecond);
        var attempt = await receiving.WaitAsync(Patience);
        var done = await handler.ExecuteAsync(attempt.Command!, CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(CommandResultKind.Accepted, attempt.Result);
        Assert.Equal(CommandResultKind.Done, done.Result);
        Assert.Single(gateway.Executor.Executed);
        // Still inside the hung commit: nothing after it is durable yet.
        Assert.False(hung.Journal.FlushAsync().IsCompleted);
    }

    [Fact]
    public async Task A_lockdown_whose_flush_used_up_the_second_does_not_wait_the_stores_own_bound_for_its_start_mark()
    {
        // The store recorded it before the card hung; its command.received then outlasted the
        // second. The start mark, the next wait on the same card, has no time left either.
        var time = new FakeTimeProvider(GatewayNow);
        var store = new HungSeenCommandIds { Hung = false };
        var never = new TaskCompletionSource();
        await using var gateway = new CommandHarness(output, seen: store, time: time);
        var handler = HandlerOver(gateway, store, new FlushingCommandJournal(new RecordingSink(), () => never.Task, time), time);
        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow)), retained: false, CancellationToken.None);
        time.Advance(OneSecond);
        var attempt = await receiving.WaitAsync(Patience);
        store.Hung = true;

        var done = await handler.ExecuteAsync(attempt.Command!, CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(CommandResultKind.Done, done.Result);
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal([TimeSpan.Zero], store.StartWaits);
    }

    [Fact]
    public async Task A_lockdown_journaled_in_time_marks_its_start_within_the_stores_own_bound_as_before()
    {
        var store = new HungSeenCommandIds { Hung = false };
        await using var gateway = new CommandHarness(output, seen: store);

        var results = await gateway.Handler.HandleAsync(gateway.Sign(CommandType.Lockdown), retained: false, CancellationToken.None);

        Assert.Equal([CommandResultKind.Accepted, CommandResultKind.Done], results.Select(r => r.Result));
        Assert.InRange(Assert.Single(store.Waits)!.Value, TimeSpan.Zero, OneSecond);
        Assert.Equal([null], store.StartWaits);
    }

    [Fact]
    public async Task A_lockdown_the_store_recorded_before_the_writer_hung_reaches_the_executor_without_waiting_out_the_start_mark()
    {
        // The real store and journal: the store records the lockdown, then the writer hangs in the
        // commit of its command.received (holding the database). The store's own bound here
        // outlasts the test's patience: only a start mark that does not wait it out gets through.
        using var hung = new HungWriter(2 * Patience);
        var time = new FakeTimeProvider(GatewayNow);
        await using var gateway = new CommandHarness(output, seen: hung.Store, time: time);
        var handler = HandlerOver(gateway, hung.Store, new FlushingCommandJournal(hung.Journal, hung.Journal.FlushAsync, time), time);
        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow)), retained: false, CancellationToken.None);
        await hung.Held.Task.WaitAsync(Patience);
        time.Advance(OneSecond);
        var attempt = await receiving.WaitAsync(Patience);

        var done = await Task.Run(() => handler.ExecuteAsync(attempt.Command!, CancellationToken.None)).WaitAsync(Patience);

        Assert.Equal(CommandResultKind.Done, done.Result);
        Assert.Single(gateway.Executor.Executed);
        Assert.Contains("only until it restarts", done.Reason, StringComparison.Ordinal);
        Assert.False(hung.Journal.FlushAsync().IsCompleted);
    }

    [Fact]
    public async Task A_lockdown_whose_second_went_to_a_slow_store_commit_still_waits_a_healthy_journal_flush()
    {
        // A slow but healthy card: the store's own commit takes 1.1 s (no wait ran out), then the
        // journal commits the command.received in 20 ms. Its flush still gets the floor, so the
        // lockdown is on disk before the controller gets it, with a done that says nothing missing.
        var time = new FakeTimeProvider(GatewayNow);
        var store = new HungSeenCommandIds { Hung = false, Committing = () => time.Advance(TimeSpan.FromMilliseconds(1100)) };
        await using var gateway = new CommandHarness(output, seen: store, time: time);
        var handler = HandlerOver(gateway, store, new FlushingCommandJournal(new RecordingSink(), () => Task.Delay(TimeSpan.FromMilliseconds(20), time), time), time);

        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow)), retained: false, CancellationToken.None);
        time.Advance(TimeSpan.FromMilliseconds(20));
        var attempt = await receiving.WaitAsync(Patience);
        var done = await handler.ExecuteAsync(attempt.Command!, CancellationToken.None).WaitAsync(Patience);

        Assert.Equal((CommandResultKind.Accepted, CommandResultKind.Done), (attempt.Result, done.Result));
        Assert.Single(gateway.Executor.Executed);
        Assert.DoesNotContain("did not answer in time", done.Reason ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal([null], store.StartWaits);
        Assert.Equal(TimeSpan.FromMilliseconds(250), CommandHandler.LockdownFlushFloor);
    }

    [Fact]
    public async Task A_lockdown_that_restores_the_clock_waits_for_the_disk_within_its_second_only()
    {
        // Two commands refused for their times (the gateway's clock was wrong), then the card
        // hangs, then a good lockdown: its fault.clock-restored is queued ahead of its
        // command.received, not waited for with the journal's full 5 s bound on its own.
        var time = new FakeTimeProvider(GatewayNow);
        var sink = new RecordingSink();
        var never = new TaskCompletionSource();
        var hung = false;
        await using var gateway = new CommandHarness(output, time: time);
        var store = new HungSeenCommandIds { Hung = false };
        var handler = HandlerOver(gateway, store, new FlushingCommandJournal(sink, () => hung ? never.Task : Task.CompletedTask, time), time);
        foreach (var _ in new[] { 1, 2 })
        {
            var future = gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow.AddMinutes(10));
            Assert.Equal(CommandResultKind.Rejected, (await handler.ReceiveAsync(new ReadOnlySequence<byte>(future), retained: false, CancellationToken.None)).Result);
        }

        hung = true;
        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow)), retained: false, CancellationToken.None);
        time.Advance(OneSecond);
        var attempt = await receiving.WaitAsync(Patience);
        var done = await handler.ExecuteAsync(attempt.Command!, CancellationToken.None).WaitAsync(Patience);

        Assert.Equal((CommandResultKind.Accepted, CommandResultKind.Done), (attempt.Result, done.Result));
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal(["fault.clock-restored", "command.received"], sink.Events.Select(e => e.Type).SkipWhile(t => t != "fault.clock-restored").Take(2));
    }

    [Theory]
    [InlineData(CommandType.AllClear, true)]
    [InlineData(CommandType.Evacuate, true)]
    [InlineData(CommandType.AllClear, false)]
    [InlineData(CommandType.Evacuate, false)]
    public async Task Any_other_command_keeps_its_old_bounds_and_is_refused_unavailable_under_the_same_stall(CommandType type, bool storeHangs)
    {
        // storeHangs: the store's and the flush's waits both run out, as for the lockdown above;
        // otherwise the store answered before the card hung and only the flush waits.
        var time = new FakeTimeProvider(GatewayNow);
        var store = new HungSeenCommandIds { Hung = storeHangs };
        var never = new TaskCompletionSource();
        await using var gateway = new CommandHarness(output, seen: store, time: time);
        var handler = HandlerOver(gateway, store, new FlushingCommandJournal(new RecordingSink(), () => never.Task, time), time);

        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(gateway.Sign(type, issuedAt: GatewayNow)), retained: false, CancellationToken.None);
        time.Advance(OneSecond);
        Assert.False(receiving.IsCompleted, "a second is the lockdown's deadline only");
        time.Advance(FlushingCommandJournal.FlushWait - OneSecond);
        var attempt = await receiving.WaitAsync(Patience);

        Assert.Equal(CommandResultKind.Rejected, attempt.Result);
        Assert.StartsWith("unavailable: ", attempt.Reason, StringComparison.Ordinal);
        Assert.Null(attempt.Command);
        Assert.Empty(gateway.Executor.Executed);
        // The store waited its own bound (sized by the disk), not a share of a second.
        Assert.Equal([null], store.Waits);
        Assert.Equal(0, handler.Unrecorded);
    }

    private static CommandHandler HandlerOver(CommandHarness gateway, ISeenCommandIds store, ICommandJournal journal, TimeProvider time)
    {
        var options = new CommandVerifierOptions(CommandHarness.Site, CommandHarness.Gateway);
        return new CommandHandler(
            new CommandVerifier(gateway.Keys, store, options, new UnrecordedCommands(time)), journal, gateway.Executor,
            options.MaxPayloadBytes, time, NullLogger<CommandHandler>.Instance);
    }

    /// <summary>
    /// The real replay store and journal on one SQLite file, whose writer hangs inside its next
    /// commit (holding the database, as on a card hung in fsync) until disposed.
    /// </summary>
    private sealed class HungWriter : IDisposable
    {
        private readonly TempDirectory _directory = new();
        private readonly ManualResetEventSlim _release = new(false);
        private readonly JournalDatabase _database;

        /// <param name="storeWait">The store's own bound (sized for the card).</param>
        public HungWriter(TimeSpan storeWait)
        {
            _database = JournalDatabase.Open(_directory.File(JournalDatabase.FileName));
            Journal = new EventJournal(_database, TimeProvider.System);
            Store = new SqliteSeenCommandIds(_database) { Wait = storeWait };
            Journal.BeforeCommit = _ =>
            {
                Held.TrySetResult();
                _release.Wait(2 * Patience);
            };
        }

        public EventJournal Journal { get; }

        public SqliteSeenCommandIds Store { get; }

        /// <summary>Completes once the writer hangs in a commit.</summary>
        public TaskCompletionSource Held { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Dispose()
        {
            _release.Set();
            Journal.Dispose();
            Store.Dispose();
            _database.Dispose();
            _release.Dispose();
            _directory.Dispose();
        }
    }
}
