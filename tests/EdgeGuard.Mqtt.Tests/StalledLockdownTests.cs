using System.Buffers;
using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Journal;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using EdgeGuard.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// An authentic office <c>lockdown</c> during an SD card stall (the replay store's or the journal's
/// bounded wait runs out): carried out once, guarded by memory, while every other command stays
/// refused <c>unavailable</c> as before.
/// </summary>
public sealed class StalledLockdownTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset GatewayNow = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);

    private static Task<IReadOnlyList<(CommandResultKind Result, string? Reason)>> HandleAsync(CommandHandler handler, byte[] payload) =>
        handler.HandleAsync(payload, retained: false, CancellationToken.None);

    [Fact]
    public async Task An_authentic_lockdown_the_hung_replay_store_cannot_record_is_carried_out_once_and_says_so()
    {
        var store = new HungSeenCommandIds();
        await using var gateway = new CommandHarness(output, seen: store);
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown running");
        var payload = gateway.Sign(CommandType.Lockdown);

        var results = await HandleAsync(gateway.Handler, payload);

        Assert.Equal([CommandResultKind.Accepted, CommandResultKind.Done], results.Select(r => r.Result));
        Assert.StartsWith("lockdown running; carried out", results[1].Reason, StringComparison.Ordinal);
        Assert.Contains("the disk did not answer", results[1].Reason, StringComparison.Ordinal);
        Assert.Contains("only until it restarts", results[1].Reason, StringComparison.Ordinal);
        Assert.Single(gateway.Executor.Executed);
        // Journaled as received, never as refused.
        Assert.Equal(["command.received"], gateway.Journal.Events.Select(e => e.Type));
        Assert.Equal(0, gateway.Handler.InFlight);
    }

    [Fact]
    public async Task The_same_bytes_again_are_answered_from_memory_and_never_run_twice_and_the_store_gets_them_when_it_answers()
    {
        var store = new HungSeenCommandIds();
        await using var gateway = new CommandHarness(output, seen: store);
        var payload = gateway.Sign(CommandType.Lockdown);
        var first = await HandleAsync(gateway.Handler, payload);

        var whileHung = await HandleAsync(gateway.Handler, payload);

        Assert.Equal(first[^1], Assert.Single(whileHung));
        Assert.Single(gateway.Executor.Executed);
        Assert.Equal(["accepted", "done"], [.. gateway.Journal.Events.OfType<CommandReceived>().Select(_ => "accepted"), .. gateway.Journal.Events.OfType<CommandRepeated>().Select(e => e.Answer)]);

        // The card answers again: the next command the store answers hands the lockdown over, so a
        // copy (here, or after a restart) is answered from the store.
        store.Hung = false;
        var other = gateway.Sign(CommandType.Lockdown);
        await HandleAsync(gateway.Handler, other);
        Assert.Equal(0, gateway.Handler.Unrecorded);
        await using var restarted = new CommandHarness(output, seen: store, supervisor: gateway.Supervisor);
        Assert.Equal(first[^1], Assert.Single(await HandleAsync(restarted.Handler, payload)));
        Assert.Empty(restarted.Executor.Executed);
        Assert.Equal(2, gateway.Executor.Executed.Count);
    }

    [Theory]
    [InlineData(CommandType.AllClear)]
    [InlineData(CommandType.Evacuate)]
    [InlineData(CommandType.Shelter)]
    [InlineData(CommandType.DrillStart)]
    public async Task Any_other_command_is_still_refused_unavailable_while_the_replay_store_hangs(CommandType type)
    {
        await using var gateway = new CommandHarness(output, seen: new HungSeenCommandIds());
        var args = type == CommandType.DrillStart ? JsonObjectItem.Empty with { Members = JsonObjectItem.Empty.Members.Add("scenario", new JsonStringItem("drill-1")) } : null;
        var payload = gateway.Sign(type, args: args);

        var result = Assert.Single(await HandleAsync(gateway.Handler, payload));

        Assert.Equal(CommandResultKind.Rejected, result.Result);
        Assert.StartsWith("unavailable: ", result.Reason, StringComparison.Ordinal);
        Assert.Empty(gateway.Executor.Executed);
        Assert.Equal(CommandRejection.Unavailable, Assert.IsType<CommandRejected>(Assert.Single(gateway.Journal.Events)).Rejection);
    }

    [Theory]
    [InlineData("forged", "bad-signature: ")]
    [InlineData("expired", "expired: ")]
    [InlineData("elsewhere", "wrong-gateway: ")]
    [InlineData("stranger", "unknown-operator: ")]
    public async Task A_lockdown_that_fails_its_checks_is_refused_for_them_while_the_replay_store_hangs(string which, string reason)
    {
        await using var gateway = new CommandHarness(output, seen: new HungSeenCommandIds());
        var payload = which switch
        {
            "forged" => gateway.Sign(CommandType.Lockdown, key: gateway.Stranger),
            "expired" => gateway.Sign(CommandType.Lockdown, issuedAt: DateTimeOffset.UtcNow.AddMinutes(-5), ttl: TimeSpan.FromMinutes(1)),
            "elsewhere" => gateway.Sign(CommandType.Lockdown, gateway: "gw-2"),
            _ => gateway.Sign(CommandType.Lockdown, @operator: "mallory", key: gateway.Stranger),
        };

        var result = Assert.Single(await HandleAsync(gateway.Handler, payload));

        Assert.Equal(CommandResultKind.Rejected, result.Result);
        Assert.StartsWith(reason, result.Reason, StringComparison.Ordinal);
        Assert.Empty(gateway.Executor.Executed);
        Assert.Equal(0, gateway.Handler.Unrecorded);
    }

    [Fact]
    public async Task A_lockdown_from_a_role_that_may_not_send_it_is_refused_unavailable_as_before_while_the_replay_store_hangs()
    {
        // A technician may not lock down. Today's answer with a hung store stays: unavailable
        // (the role is reported after the replay check), and nothing runs.
        await using var gateway = new CommandHarness(output);
        using var technician = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keys = new OperatorKeyRing([OperatorKey.FromPem("tech.lee", OperatorRole.Technician, technician.ExportSubjectPublicKeyInfoPem())]);
        var options = new CommandVerifierOptions(CommandHarness.Site, CommandHarness.Gateway);
        var verifier = new CommandVerifier(keys, new HungSeenCommandIds(), options);
        var handler = new CommandHandler(verifier, gateway.Journal, gateway.Executor, options.MaxPayloadBytes, TimeProvider.System, NullLogger<CommandHandler>.Instance);

        var result = Assert.Single(await HandleAsync(handler, gateway.Sign(CommandType.Lockdown, @operator: "tech.lee", key: technician)));

        Assert.Equal(CommandResultKind.Rejected, result.Result);
        Assert.StartsWith("unavailable: ", result.Reason, StringComparison.Ordinal);
        Assert.Empty(gateway.Executor.Executed);
        Assert.Equal(0, verifier.Unrecorded.Count);
    }

    [Fact]
    public async Task A_lockdown_whose_journal_flush_hangs_is_carried_out_and_its_record_follows_when_the_disk_answers()
    {
        var time = new FakeTimeProvider(GatewayNow);
        var sink = new RecordingSink();
        var never = new TaskCompletionSource();
        await using var gateway = new CommandHarness(output, time: time);
        var options = new CommandVerifierOptions(CommandHarness.Site, CommandHarness.Gateway);
        var handler = new CommandHandler(
            new CommandVerifier(gateway.Keys, gateway.Seen, options), new FlushingCommandJournal(sink, () => never.Task, time),
            gateway.Executor, options.MaxPayloadBytes, time, NullLogger<CommandHandler>.Instance);
        gateway.Executor.Answer = _ => new CommandExecution(true, "lockdown running");
        var payload = gateway.Sign(CommandType.Lockdown, issuedAt: GatewayNow);

        var receiving = handler.ReceiveAsync(new ReadOnlySequence<byte>(payload), retained: false, CancellationToken.None);
        time.Advance(FlushingCommandJournal.FlushWait);
        var attempt = await receiving.WaitAsync(TimeSpan.FromSeconds(15));
        var done = await handler.ExecuteAsync(attempt.Command!, CancellationToken.None);

        Assert.Equal(CommandResultKind.Accepted, attempt.Result);
        Assert.Equal(CommandResultKind.Done, done.Result);
        Assert.StartsWith("lockdown running; carried out", done.Reason, StringComparison.Ordinal);
        Assert.Contains("journal", done.Reason, StringComparison.Ordinal);
        Assert.Single(gateway.Executor.Executed);
        // Its command.received stays queued, written when the disk answers; no refusal follows it.
        Assert.Equal(["command.received"], sink.Events.Select(e => e.Type));
        // The store recorded it as usual: a copy is answered, never run again.
        Assert.Equal(done, Assert.Single(await HandleAsync(gateway.Handler, payload)));
        Assert.Single(gateway.Executor.Executed);
    }
}
