using EdgeGuard.Core.Commands;

namespace EdgeGuard.Core.Tests.Commands;

/// <summary>
/// A verbatim copy that comes after its command's expiry (a QoS 1 redelivery after a long outage)
/// is answered with what became of the command while its id is remembered, not as expired: the
/// office reads the answer by its correlation data and payload hash, and an "expired" after a
/// "done" told it that a lockdown carried out was refused.
/// </summary>
public sealed class ExpiredCopyTests : IDisposable
{
    private readonly CommandKit _kit = new();
    private static readonly DateTimeOffset Now = CommandKit.Now;

    public void Dispose() => _kit.Dispose();

    private DateTimeOffset ExpiredAt(CommandEnvelope command) => command.ExpiresAt + _kit.Options.ClockSkew;

    [Fact]
    public void A_copy_of_a_finished_command_after_its_expiry_repeats_the_final_result_and_says_nothing_of_the_clock()
    {
        var command = CommandKit.Unsigned();
        var payload = CommandKit.Signed(_kit.Supervisor, command);
        var verifier = _kit.Verifier();
        var first = verifier.Verify(payload, false, Now);
        verifier.Start(first.CommandId);
        verifier.Finish(first.CommandId, new CommandFinal(true, "lockdown started"));

        var copy = verifier.Verify(payload, false, ExpiredAt(command).AddMinutes(2));

        Assert.False(copy.Accepted);
        Assert.Null(copy.Rejection);
        Assert.Equal("handled before", copy.Detail);
        Assert.Equal(new CommandFinal(true, "lockdown started"), copy.Repeat!.Final);
        Assert.Null(copy.Clock);
        Assert.True(copy.OnlyRead);
        Assert.False(copy.Unrecorded);
    }

    [Fact]
    public void A_copy_of_a_started_command_after_its_expiry_is_marked_started_for_the_caller()
    {
        var command = CommandKit.Unsigned();
        var payload = CommandKit.Signed(_kit.Supervisor, command);
        var verifier = _kit.Verifier();
        verifier.Start(verifier.Verify(payload, false, Now).CommandId);

        var copy = verifier.Verify(payload, false, ExpiredAt(command));

        Assert.True(copy.Started);
        Assert.Equal(CommandVerifier.Interrupted, copy.Repeat!.Final);
    }

    [Fact]
    public void Anything_else_after_its_expiry_is_still_refused_as_expired()
    {
        var verifier = _kit.Verifier();

        // Never seen.
        var unseen = CommandKit.Unsigned();
        var refused = verifier.Verify(CommandKit.Signed(_kit.Supervisor, unseen), false, ExpiredAt(unseen));
        Assert.Equal(CommandRejection.Expired, refused.Rejection);
        Assert.NotNull(refused.Clock);

        // Recorded, never handed to the controller: its own turn refuses it as expired too.
        var queued = CommandKit.Unsigned();
        var queuedPayload = CommandKit.Signed(_kit.Supervisor, queued);
        Assert.True(verifier.Verify(queuedPayload, false, Now).Accepted);
        Assert.Equal(CommandRejection.Expired, verifier.Verify(queuedPayload, false, ExpiredAt(queued)).Rejection);

        // Finished, but other bytes under its id: a variant is no copy.
        var finished = CommandKit.Unsigned();
        var finishedPayload = CommandKit.Signed(_kit.Supervisor, finished);
        verifier.Finish(verifier.Verify(finishedPayload, false, Now).CommandId, new CommandFinal(true, null));
        Assert.Equal(CommandRejection.Expired, verifier.Verify(CommandKit.Respelt(finishedPayload), false, ExpiredAt(finished)).Rejection);

        // A forged copy is refused for its signature before its expiry is looked at.
        var forged = CommandKit.Signed(_kit.Stranger, finished);
        Assert.Equal(CommandRejection.BadSignature, verifier.Verify(forged, false, ExpiredAt(finished)).Rejection);
    }

    // The store prunes only when a command is recorded: on a quiet gateway the row outlives its
    // window by days. Past the window a copy is refused as expired (held by the rejection audit),
    // not answered as a repeat that the repeat audit, having forgotten the command, journals anew.
    [Fact]
    public void A_copy_past_the_window_its_id_is_kept_for_is_refused_as_expired_though_the_store_still_holds_it()
    {
        var command = CommandKit.Unsigned();
        var payload = CommandKit.Signed(_kit.Supervisor, command);
        var verifier = _kit.Verifier();
        verifier.Finish(verifier.Verify(payload, false, Now).CommandId, new CommandFinal(true, null));
        var windowEnd = command.ExpiresAt + CommandVerifierOptions.MaxClockSkew;

        Assert.NotNull(verifier.Verify(payload, false, windowEnd.AddTicks(-1)).Repeat);
        var late = verifier.Verify(payload, false, windowEnd.AddDays(3));

        Assert.Equal(CommandRejection.Expired, late.Rejection);
        Assert.NotNull(_kit.Seen.Find(command.Id, System.Security.Cryptography.SHA256.HashData(payload)));
    }

    [Fact]
    public void A_store_that_cannot_be_read_leaves_the_copy_refused_as_expired()
    {
        var command = CommandKit.Unsigned();
        var payload = CommandKit.Signed(_kit.Supervisor, command);
        var store = new UnreadableStore(_kit.Seen);
        var verifier = new CommandVerifier(_kit.Keys, store, _kit.Options);
        verifier.Finish(verifier.Verify(payload, false, Now).CommandId, new CommandFinal(true, null));

        store.Unreadable = true;
        var copy = verifier.Verify(payload, false, ExpiredAt(command));

        Assert.Equal(CommandRejection.Expired, copy.Rejection);
        Assert.Equal(1, store.Reads);
    }

    private sealed class UnreadableStore(ISeenCommandIds inner) : ISeenCommandIds
    {
        public bool Unreadable { get; set; }

        public int Reads { get; private set; }

        public SeenCommand Record(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final = null) =>
            inner.Record(id, payloadHash, window, now, final);

        public void Start(string id) => inner.Start(id);

        public void Finish(string id, CommandFinal final) => inner.Finish(id, final);

        public SeenCommand? Find(string id, byte[] payloadHash)
        {
            Reads++;
            return Unreadable ? throw new InvalidOperationException("disk I/O error") : inner.Find(id, payloadHash);
        }
    }
}
