using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>The handler as an idempotent receiver (the same payload twice), and a failing replay store, without a broker.</summary>
public sealed class CommandHandlerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_copy_arriving_while_the_command_is_queued_is_answered_accepted_again_and_after_it_finished_with_its_result()
    {
        await using var gateway = new CommandHarness(output);
        var payload = gateway.Sign(CommandType.Lockdown);

        var first = await gateway.ReceiveAsync(payload);
        var whileQueued = await gateway.ReceiveAsync(payload);
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown started");
        var done = await gateway.Handler.ExecuteAsync(first.Command!, CancellationToken.None);
        var afterwards = await gateway.ReceiveAsync(payload);

        Assert.Equal((CommandResultKind.Accepted, true), (first.Result, first.Command is not null));
        Assert.Equal((CommandResultKind.Accepted, null, null), (whileQueued.Result, whileQueued.Reason, whileQueued.Command));
        Assert.Equal((CommandResultKind.Done, "lockdown started"), done);
        Assert.Equal((CommandResultKind.Done, "lockdown started", null), (afterwards.Result, afterwards.Reason, afterwards.Command));
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal(0, gateway.Handler.InFlight);
        // Audited, never as an alarm, and never as a rejection.
        Assert.Equal(["command.received", "command.repeated", "command.repeated"], gateway.Journal.Events.Select(e => e.Type));
        Assert.All(gateway.Journal.Events.OfType<CommandRepeated>(), e => Assert.Equal(Severity.Info, e.Severity));
        Assert.Equal(["accepted", "done"], gateway.Journal.Events.OfType<CommandRepeated>().Select(e => e.Answer));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_copy_arriving_while_the_command_is_executing_is_answered_accepted_and_later_copies_get_its_done(bool sqlite)
    {
        // The controller has it (marked started in the replay store) when the same bytes arrive
        // again: a QoS 1 redelivery, or anyone re-publishing them. Not "interrupted": it runs here.
        using var temp = new TempDirectory();
        using var database = sqlite ? JournalDatabase.Open(Path.Combine(temp.Path, JournalDatabase.FileName)) : null;
        await using var gateway = new CommandHarness(output, seen: database is null ? null : new SqliteSeenCommandIds(database));
        var payload = gateway.Sign(CommandType.Lockdown);
        var first = await gateway.ReceiveAsync(payload);
        var release = new TaskCompletionSource();
        gateway.Executor.Hold = release.Task;
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown started");

        var executing = gateway.Handler.ExecuteAsync(first.Command!, CancellationToken.None);
        await gateway.Executor.Started.Task.WaitAsync(TimeSpan.FromSeconds(15));
        var whileExecuting = await gateway.ReceiveAsync(payload);
        release.SetResult();
        var done = await executing;
        var afterwards = await gateway.ReceiveAsync(payload);

        Assert.Equal((CommandResultKind.Accepted, null, null), (whileExecuting.Result, whileExecuting.Reason, whileExecuting.Command));
        Assert.Equal((CommandResultKind.Done, "lockdown started"), done);
        Assert.Equal((CommandResultKind.Done, "lockdown started", null), (afterwards.Result, afterwards.Reason, afterwards.Command));
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal(0, gateway.Handler.InFlight);
        Assert.Equal(["accepted", "done"], gateway.Journal.Events.OfType<CommandRepeated>().Select(e => e.Answer));
    }

    [Fact]
    public async Task A_copy_after_the_final_result_could_not_be_stored_gets_that_result_from_this_process()
    {
        // Executed to the end, but the store kept only its "started" mark: this process still
        // knows the result, and answers a copy with it rather than calling it interrupted.
        var store = new FinishFailsOnceSeenCommandIds();
        await using var gateway = new CommandHarness(output, seen: store);
        var payload = gateway.Sign(CommandType.Lockdown);
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown started");

        var results = await gateway.Handler.HandleAsync(payload, retained: false, CancellationToken.None);
        var copy = await gateway.ReceiveAsync(payload);

        Assert.Equal([CommandResultKind.Accepted, CommandResultKind.Done], results.Select(r => r.Result));
        Assert.Equal((CommandResultKind.Done, "lockdown started", null), (copy.Result, copy.Reason, copy.Command));
        Assert.Single(gateway.Executor.Executed);

        // The disk answered again by the copy: the result was stored then, so after a restart the
        // command that ran to the end is not called interrupted.
        await using var restarted = new CommandHarness(output, seen: store, supervisor: gateway.Supervisor);
        var afterRestart = await restarted.ReceiveAsync(payload);
        Assert.Equal((CommandResultKind.Done, "lockdown started"), (afterRestart.Result, afterRestart.Reason));
        Assert.Empty(restarted.Executor.Executed);
    }

    /// <summary>A replay store whose first write of a final result fails (a passing disk error).</summary>
    private sealed class FinishFailsOnceSeenCommandIds : ISeenCommandIds
    {
        private readonly InMemorySeenCommandIds _inner = new();
        private int _finishes;

        public SeenCommand Record(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final = null) =>
            _inner.Record(id, payloadHash, window, now, final);

        public void Start(string id) => _inner.Start(id);

        public SeenCommand? Find(string id, byte[] payloadHash) => _inner.Find(id, payloadHash);

        public void Finish(string id, CommandFinal final)
        {
            if (Interlocked.Increment(ref _finishes) == 1)
            {
                throw new JournalException("disk I/O error");
            }

            _inner.Finish(id, final);
        }
    }

    [Fact]
    public async Task A_command_that_could_not_be_journaled_is_never_executed_by_a_copy_even_after_a_restart()
    {
        // The office was told "not acted on": the same bytes, sent again by anyone, never act.
        var after = await RedeliveredAfterCrashAsync(async (crashed, payload) =>
        {
            crashed.Journal.Fail = true;
            var refused = await crashed.ReceiveAsync(payload);
            Assert.Equal((CommandResultKind.Rejected, null), (refused.Result, refused.Command));
            Assert.StartsWith("unavailable: the command could not be journaled", refused.Reason, StringComparison.Ordinal);
            crashed.Journal.Fail = false;
            var copy = Assert.Single(await crashed.Handler.HandleAsync(payload, retained: false, CancellationToken.None));
            Assert.Equal((refused.Result, refused.Reason), copy);
        });

        var redelivered = Assert.Single(after.Redelivered);
        Assert.Equal(CommandResultKind.Rejected, redelivered.Result);
        Assert.StartsWith("unavailable: the command could not be journaled", redelivered.Reason, StringComparison.Ordinal);
        Assert.Equal(redelivered, Assert.Single(after.Again));
        Assert.Equal(0, after.Executed);
        Assert.All(after.Journaled, e => Assert.IsType<CommandRepeated>(e));
    }

    [Fact]
    public async Task A_command_that_could_not_be_journaled_nor_its_refusal_stored_is_refused_again_by_this_process()
    {
        // The disk fails both writes: the store cannot keep the refusal, this process still does.
        var store = new FinishFailsOnceSeenCommandIds();
        await using var gateway = new CommandHarness(output, seen: store);
        var payload = gateway.Sign(CommandType.Lockdown);
        gateway.Journal.Fail = true;
        var refused = await gateway.ReceiveAsync(payload);
        gateway.Journal.Fail = false;

        var copy = Assert.Single(await gateway.Handler.HandleAsync(payload, retained: false, CancellationToken.None));

        Assert.Equal(CommandResultKind.Rejected, refused.Result);
        Assert.Equal((refused.Result, refused.Reason), copy);
        Assert.Empty(gateway.Executor.Executed);
        Assert.Equal(0, gateway.Handler.InFlight);

        // The disk answered again by the copy: the refusal was stored then, so a copy after a
        // restart is refused too, never executed.
        await using var restarted = new CommandHarness(output, seen: store, supervisor: gateway.Supervisor);
        var afterRestart = Assert.Single(await restarted.Handler.HandleAsync(payload, retained: false, CancellationToken.None));
        Assert.Equal((refused.Result, refused.Reason), afterRestart);
        Assert.Empty(restarted.Executor.Executed);
    }

    [Fact]
    public async Task A_command_recorded_but_never_executed_before_a_crash_is_executed_when_redelivered()
    {
        // Verified, recorded and journaled; the process dies before the PUBACK and before executing it.
        var after = await RedeliveredAfterCrashAsync(async (crashed, payload) => Assert.NotNull((await crashed.ReceiveAsync(payload)).Command));

        Assert.Equal([CommandResultKind.Accepted, CommandResultKind.Done], after.Redelivered.Select(r => r.Result));
        Assert.Equal([CommandResultKind.Done], after.Again.Select(r => r.Result));
        Assert.Equal(1, after.Executed);
        Assert.DoesNotContain(after.Journaled, e => e is CommandRejected);
    }

    [Fact]
    public async Task A_command_cut_short_by_a_stop_while_executing_is_never_run_again_and_a_resend_is_told_so()
    {
        await using var gateway = new CommandHarness(output);
        var payload = gateway.Sign(CommandType.Lockdown);
        var attempt = await gateway.ReceiveAsync(payload);
        gateway.Executor.Hold = new TaskCompletionSource().Task;
        using var stop = new CancellationTokenSource();

        var executing = gateway.Handler.ExecuteAsync(attempt.Command!, stop.Token);
        await gateway.Executor.Started.Task.WaitAsync(TimeSpan.FromSeconds(15));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => executing);
        gateway.Executor.Hold = null;

        Assert.Equal(0, gateway.Handler.InFlight);
        // The controller had it: it may have taken effect, so the resend is not executed.
        var resent = Assert.Single(await gateway.Handler.HandleAsync(payload, false, CancellationToken.None));
        Assert.Equal(CommandResultKind.Rejected, resent.Result);
        Assert.StartsWith("interrupted: ", resent.Reason, StringComparison.Ordinal);
        Assert.Single(gateway.Executor.Executed);
    }

    [Fact]
    public async Task A_command_handed_to_the_controller_before_a_crash_is_answered_interrupted_when_redelivered_and_never_run_again()
    {
        var after = await RedeliveredAfterCrashAsync(async (crashed, payload) =>
        {
            var attempt = await crashed.ReceiveAsync(payload);
            crashed.Executor.Hold = new TaskCompletionSource().Task; // the process dies while the controller has it
            _ = crashed.Handler.ExecuteAsync(attempt.Command!, CancellationToken.None);
            await crashed.Executor.Started.Task.WaitAsync(TimeSpan.FromSeconds(15));
        });

        var redelivered = Assert.Single(after.Redelivered);
        Assert.Equal((CommandResultKind.Rejected, CommandVerifier.Interrupted.Reason), (redelivered.Result, redelivered.Reason));
        Assert.Equal(redelivered, Assert.Single(after.Again));
        Assert.Equal(0, after.Executed);
    }

    /// <summary>
    /// A gateway over a real SQLite file does <paramref name="beforeCrash"/> with a signed lockdown, then
    /// "crashes" (dropped with its database); a restarted one gets the same payload twice, as a broker
    /// redelivers it. What it answered, executed and journaled.
    /// </summary>
    private async Task<(IReadOnlyList<(CommandResultKind Result, string? Reason)> Redelivered, IReadOnlyList<(CommandResultKind Result, string? Reason)> Again, int Executed, IReadOnlyList<DomainEvent> Journaled)> RedeliveredAfterCrashAsync(
        Func<CommandHarness, byte[], Task> beforeCrash)
    {
        using var temp = new TempDirectory();
        var path = Path.Combine(temp.Path, JournalDatabase.FileName);
        using var supervisor = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] payload;
        using (var database = JournalDatabase.Open(path))
        {
            await using var crashed = new CommandHarness(output, seen: new SqliteSeenCommandIds(database), supervisor: supervisor);
            payload = crashed.Sign(CommandType.Lockdown);
            await beforeCrash(crashed, payload);
        }

        using var reopened = JournalDatabase.Open(path);
        await using var restarted = new CommandHarness(output, seen: new SqliteSeenCommandIds(reopened), supervisor: supervisor);
        var redelivered = await restarted.Handler.HandleAsync(payload, retained: false, CancellationToken.None);
        var again = await restarted.Handler.HandleAsync(payload, retained: false, CancellationToken.None);
        return (redelivered, again, restarted.Executor.Executed.Count, [.. restarted.Journal.Events]);
    }

    [Fact]
    public async Task A_command_whose_start_cannot_be_recorded_is_not_executed()
    {
        var store = new StartFailsSeenCommandIds();
        await using var gateway = new CommandHarness(output, seen: store);
        var payload = gateway.Sign(CommandType.Lockdown);

        var results = await gateway.Handler.HandleAsync(payload, retained: false, CancellationToken.None);

        Assert.Equal([CommandResultKind.Accepted, CommandResultKind.Rejected], results.Select(r => r.Result));
        Assert.StartsWith("unavailable: ", results[1].Reason, StringComparison.Ordinal);
        Assert.Empty(gateway.Executor.Executed);
    }

    /// <summary>A replay store that records ids but cannot mark one started (the disk failed in between).</summary>
    private sealed class StartFailsSeenCommandIds : ISeenCommandIds
    {
        private readonly InMemorySeenCommandIds _inner = new();

        public SeenCommand Record(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final = null) =>
            _inner.Record(id, payloadHash, window, now, final);

        public void Start(string id) => throw new JournalException("disk I/O error");

        public void Finish(string id, CommandFinal final) => _inner.Finish(id, final);

        public SeenCommand? Find(string id, byte[] payloadHash) => _inner.Find(id, payloadHash);
    }

    [Fact]
    public async Task A_failing_replay_store_refuses_the_command_and_journals_the_refusal()
    {
        await using var gateway = new CommandHarness(output, seen: new BrokenSeenCommandIds());
        var payload = gateway.Sign(CommandType.Lockdown);

        var result = Assert.Single(await gateway.Handler.HandleAsync(payload, retained: false, CancellationToken.None));

        Assert.Equal(CommandResultKind.Rejected, result.Result);
        Assert.StartsWith("unavailable: ", result.Reason, StringComparison.Ordinal);
        Assert.Empty(gateway.Executor.Executed);
        var rejected = Assert.IsType<CommandRejected>(Assert.Single(gateway.Journal.Events));
        Assert.Equal((CommandRejection.Unavailable, CommandType.Lockdown, "sup.jones"), (rejected.Rejection, rejected.CommandType, rejected.Operator));
        Assert.Equal(result.Reason, rejected.Reason);
        Assert.NotEqual(Severity.Alarm, rejected.Severity);
    }

    /// <summary>A replay store on a failing disk.</summary>
    private sealed class BrokenSeenCommandIds : ISeenCommandIds
    {
        public SeenCommand Record(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final = null) =>
            throw new JournalException("disk I/O error");

        public void Start(string id) => throw new JournalException("disk I/O error");

        public void Finish(string id, CommandFinal final) => throw new JournalException("disk I/O error");

        public SeenCommand? Find(string id, byte[] payloadHash) => throw new JournalException("disk I/O error");
    }
}
