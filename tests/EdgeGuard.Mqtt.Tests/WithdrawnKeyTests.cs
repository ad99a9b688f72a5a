using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using EdgeGuard.Core.Commands;
using EdgeGuard.Core.Lockdown;
using EdgeGuard.Mqtt.Commands;
using EdgeGuard.Mqtt.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// A key withdrawn (its file removed: a stolen key revoked) or rotated while a command it verified
/// waits in the execute queue. The controller hears of the withdrawal first, with no approval of
/// that operator's to drop, and then counted the queued all-clear as an approval: "every approver
/// must still be trusted when the second approval would lift the scenario" did not hold. The
/// handler checks the key again just before it hands a command over, for every type.
/// </summary>
public sealed class WithdrawnKeyTests : IDisposable
{
    private const string Operator = "sup.jones";

    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly MutableKeys _keys = new();
    private readonly RecordingCommandJournal _journal = new();
    private readonly FakeExecutor _executor = new();
    private readonly CommandHandler _handler;

    public WithdrawnKeyTests()
    {
        _keys.Keys[Operator] = KeyOf(_key);
        var verifier = new CommandVerifier(_keys, new InMemorySeenCommandIds(), new CommandVerifierOptions("site-a", "gw-1"));
        _handler = new CommandHandler(verifier, _journal, _executor, 8 * 1024, TimeProvider.System, NullLogger<CommandHandler>.Instance);
    }

    public void Dispose() => _key.Dispose();

    [Theory]
    [InlineData(CommandType.AllClear)]
    [InlineData(CommandType.Lockdown)]
    [InlineData(CommandType.DrillStop)]
    public async Task A_command_whose_key_was_withdrawn_after_it_verified_is_refused_key_unavailable_not_executed(CommandType type)
    {
        var payload = Sign(type);
        var attempt = await ReceiveAsync(payload);
        Assert.Equal(CommandResultKind.Accepted, attempt.Result);

        // The re-check withdraws the key while the command is queued behind another.
        _keys.Keys.TryRemove(Operator, out _);
        var (result, reason) = await _handler.ExecuteAsync(attempt.Command!, CancellationToken.None);

        Assert.Empty(_executor.Executed);
        Assert.Equal(CommandResultKind.Rejected, result);
        Assert.StartsWith("key-unavailable: the key of operator 'sup.jones' that verified it was withdrawn", reason, StringComparison.Ordinal);
        // Journaled behind its command.received, so the journal never shows it received and left open.
        Assert.Equal(["command.received", "command.rejected"], _journal.Events.Select(e => e.Type));
        var refused = Assert.IsType<CommandRejected>(_journal.Events[^1]);
        Assert.Equal((attempt.CommandId, CommandRejection.KeyUnavailable, type), (refused.CommandId, refused.Rejection, refused.CommandType));
        Assert.Equal(0, _handler.InFlight);
    }

    [Fact]
    public async Task A_command_whose_key_was_rotated_after_it_verified_is_refused_and_the_refusal_is_its_final_result()
    {
        var payload = Sign(CommandType.AllClear);
        var attempt = await ReceiveAsync(payload);

        // The file now holds a new key: what the old one signed is no longer trusted.
        using var rotated = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        _keys.Keys[Operator] = KeyOf(rotated);
        var (result, reason) = await _handler.ExecuteAsync(attempt.Command!, CancellationToken.None);
        // The old key put back: a verbatim copy is answered with the refusal, never executed.
        _keys.Keys[Operator] = KeyOf(_key);
        var copy = await ReceiveAsync(payload);

        Assert.Empty(_executor.Executed);
        Assert.Equal(CommandResultKind.Rejected, result);
        Assert.StartsWith("key-unavailable: the key of operator 'sup.jones' that verified it was withdrawn or replaced", reason, StringComparison.Ordinal);
        Assert.Equal((CommandResultKind.Rejected, reason, null), (copy.Result, copy.Reason, copy.Command));
    }

    [Fact]
    public async Task A_key_read_again_unchanged_while_the_command_waited_lets_it_execute()
    {
        var attempt = await ReceiveAsync(Sign(CommandType.AllClear));

        // The timer's re-read of an unchanged file: an equal key, another instance.
        _keys.Keys[Operator] = KeyOf(_key);
        _executor.Answer = _ => new CommandExecution(true, "approved by 'sup.jones'; a second supervisor must approve within 120 s");
        var (result, _) = await _handler.ExecuteAsync(attempt.Command!, CancellationToken.None);

        Assert.Equal(CommandResultKind.Done, result);
        Assert.Single(_executor.Executed);
    }

    private static OperatorKey KeyOf(ECDsa key) => new(Operator, OperatorRole.Supervisor, [.. key.ExportSubjectPublicKeyInfo()], []);

    private byte[] Sign(CommandType type) =>
        CommandSigner.Sign(CommandSigner.Create(type, "site-a", "gw-1", Operator, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1)), _key).ToPayload();

    private Task<CommandAttempt> ReceiveAsync(byte[] payload) =>
        _handler.ReceiveAsync(new ReadOnlySequence<byte>(payload), retained: false, CancellationToken.None);

    private sealed class MutableKeys : IOperatorKeys
    {
        public ConcurrentDictionary<string, OperatorKey> Keys { get; } = new(StringComparer.Ordinal);

        public OperatorKey? Find(string @operator) => Keys.GetValueOrDefault(@operator);
    }
}
