using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A copy of a command's bytes that comes after the command expired (the broker redelivers it
/// after a link was down longer than its lifetime, its PUBACK lost with the link) is answered with
/// what became of the command, as the contract says of every verbatim copy, and audited as
/// <c>command.repeated</c>. It was answered <c>rejected: expired</c>, with the office's correlation
/// data and payload hash: after the <c>done</c>, the office read a lockdown carried out as refused.
/// </summary>
public sealed class ExpiredCopyAnswerTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_copy_after_its_command_expired_is_answered_with_the_final_result_and_raises_no_clock_fault(bool sqlite)
    {
        using var temp = new TempDirectory();
        using var database = sqlite ? JournalDatabase.Open(Path.Combine(temp.Path, JournalDatabase.FileName)) : null;
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = new CommandHarness(output, seen: database is null ? null : new SqliteSeenCommandIds(database), time: time);
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown started");
        var payload = gateway.Sign(CommandType.Lockdown, issuedAt: time.GetUtcNow(), ttl: Lifetime);

        var first = await gateway.ReceiveAsync(payload);
        var done = await gateway.Handler.ExecuteAsync(first.Command!, CancellationToken.None);
        // Past its expiry and the 30 s skew, within the 5 minutes past it that its id is kept.
        time.Advance(Lifetime + TimeSpan.FromSeconds(30) + TimeSpan.FromMinutes(2));
        var copy = await gateway.ReceiveAsync(payload);

        Assert.Equal((CommandResultKind.Done, "lockdown started"), done);
        Assert.Equal((CommandResultKind.Done, "lockdown started", null), (copy.Result, copy.Reason, copy.Command));
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal(["command.received", "command.repeated"], gateway.Journal.Events.Select(e => e.Type));
        Assert.Equal("done", gateway.Journal.Events.OfType<CommandRepeated>().Single().Answer);
        Assert.False(gateway.Handler.ClockFaultOpen);
    }

    [Fact]
    public async Task A_copy_after_its_command_expired_while_it_still_executes_here_is_answered_accepted()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = new CommandHarness(output, time: time);
        var payload = gateway.Sign(CommandType.Lockdown, issuedAt: time.GetUtcNow(), ttl: Lifetime);
        var first = await gateway.ReceiveAsync(payload);
        var release = new TaskCompletionSource();
        gateway.Executor.Hold = release.Task;
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown started");

        var executing = gateway.Handler.ExecuteAsync(first.Command!, CancellationToken.None);
        await gateway.Executor.Started.Task.WaitAsync(TimeSpan.FromSeconds(15));
        time.Advance(Lifetime + TimeSpan.FromSeconds(31));
        var copy = await gateway.ReceiveAsync(payload);
        release.SetResult();

        Assert.Equal((CommandResultKind.Accepted, null, null), (copy.Result, copy.Reason, copy.Command));
        Assert.Equal((CommandResultKind.Done, "lockdown started"), await executing);
        Assert.Single(gateway.Executor.Executed);
    }

    [Fact]
    public async Task A_command_first_seen_after_its_expiry_is_still_refused_as_expired()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = new CommandHarness(output, time: time);
        var payload = gateway.Sign(CommandType.Lockdown, issuedAt: time.GetUtcNow(), ttl: Lifetime);
        time.Advance(Lifetime + TimeSpan.FromSeconds(30));

        var attempt = await gateway.ReceiveAsync(payload);

        Assert.Equal(CommandResultKind.Rejected, attempt.Result);
        Assert.StartsWith("expired: ", attempt.Reason, StringComparison.Ordinal);
        Assert.Empty(gateway.Executor.Executed);
        Assert.Equal(["fault.clock", "command.rejected"], gateway.Journal.Events.Select(e => e.Type));
    }
}
