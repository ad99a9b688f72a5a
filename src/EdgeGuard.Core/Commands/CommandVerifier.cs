using System.Security.Cryptography;

namespace EdgeGuard.Core.Commands;

/// <summary>
/// Decides whether a command payload may be acted on. Checks run cheapest and least trusting
/// first, and nothing the payload says is believed until its signature verified: the replay
/// store is only written for authentic commands, so a forger cannot burn a real command's id.
/// Never throws for any payload; pure apart from the replay store, which may throw (a failing or
/// hung disk): the caller refuses the command then, <c>unavailable</c>. Except for an authentic,
/// permitted <c>lockdown</c> the store did not answer for in time: it is kept in
/// <paramref name="unrecorded"/> instead and accepted (<see cref="CommandVerdict.Unrecorded"/>).
/// </summary>
public sealed partial class CommandVerifier(IOperatorKeys keys, ISeenCommandIds seen, CommandVerifierOptions options, UnrecordedCommands? unrecorded = null)
{
    private readonly UnrecordedCommands _unrecorded = unrecorded ?? new UnrecordedCommands(TimeProvider.System);

    /// <summary>The commands accepted without the replay store's record (tests and diagnostics).</summary>
    public UnrecordedCommands Unrecorded => _unrecorded;

    /// <summary>Checks <paramref name="payload"/> received with <paramref name="retained"/> at <paramref name="now"/>.</summary>
    /// <param name="payload">The command's exact bytes.</param>
    /// <param name="retained">Whether the broker delivered it as a retained message.</param>
    /// <param name="now">The gateway's wall clock.</param>
    /// <param name="unrecordedWait">
    /// The most the replay store may wait for an authentic, permitted command of a type that
    /// <see cref="UnrecordedCommands.RunsUnrecorded"/> (<see cref="ISeenCommandIds.RecordWithin"/>):
    /// what is left of its recording deadline. Null, and for every other command: the store's own
    /// bound.
    /// </param>
    public CommandVerdict Verify(ReadOnlySpan<byte> payload, bool retained, DateTimeOffset now, TimeSpan? unrecordedWait = null)
    {
        if (payload.Length > options.MaxPayloadBytes)
        {
            return Reject(CommandRejection.Oversized, "", $"payload is {payload.Length} bytes, more than {options.MaxPayloadBytes}");
        }

        var command = CommandEnvelope.TryParse(payload, out var error, out var malformed, out var id);
        if (command is null)
        {
            return Reject(malformed ? CommandRejection.Malformed : CommandRejection.InvalidField, id, error ?? "unreadable");
        }

        // After parsing so the answer can name the command; before any key is looked at.
        if (retained)
        {
            return Reject(CommandRejection.Retained, id, "retained messages are never obeyed as commands");
        }

        if (keys.Find(command.Operator) is not { } key)
        {
            return keys.Unavailable(command.Operator) is { } problem
                ? Reject(CommandRejection.KeyUnavailable, id, $"the key of operator '{command.Operator}' cannot be used on this gateway ({problem}); their commands are refused until a technician restores it")
                : Reject(CommandRejection.UnknownOperator, id, $"no key is registered for operator '{command.Operator}'");
        }

        bool valid;
        try
        {
            valid = key.Verifies(command.SigningBytes(), command.Signature.AsSpan());
        }
        catch (CryptographicException)
        {
            valid = false;
        }

        if (!valid)
        {
            return Reject(CommandRejection.BadSignature, id, $"signature does not verify with the key of '{command.Operator}'");
        }

        if (command.Site != options.Site || command.Gateway != options.Gateway)
        {
            return Reject(CommandRejection.WrongGateway, id, $"command is for {command.Site}/{command.Gateway}, this is {options.Site}/{options.Gateway}");
        }

        // Authentic and addressed here from this point on, so what its times say about the
        // gateway's clock can be believed (fault.clock; CommandClockWatch).
        if (now >= command.ExpiresAt + options.ClockSkew)
        {
            if (CopyOfHandled(command, key, payload, id, now) is { } copy)
            {
                return copy;
            }

            return Reject(CommandRejection.Expired, id, $"expired at {WireTime.Format(command.ExpiresAt)}, now {WireTime.Format(now)}") with
            {
                Clock = new CommandClock(command.Operator, command.IssuedAt, now, WithinSkew: false),
            };
        }

        if (command.IssuedAt > now + options.ClockSkew)
        {
            return Reject(CommandRejection.IssuedInFuture, id, $"issued at {WireTime.Format(command.IssuedAt)}, more than {options.ClockSkew.TotalSeconds:0} s after now {WireTime.Format(now)}") with
            {
                Clock = new CommandClock(command.Operator, command.IssuedAt, now, WithinSkew: false),
            };
        }

        var clock = new CommandClock(command.Operator, command.IssuedAt, now, WithinSkew: true);
        if (command.ExpiresAt - command.IssuedAt > options.MaxLifetime)
        {
            return Reject(CommandRejection.LifetimeTooLong, id, $"valid for {(command.ExpiresAt - command.IssuedAt).TotalSeconds:0} s, at most {options.MaxLifetime.TotalSeconds:0} s allowed") with { Clock = clock };
        }

        // Decided before the replay store is asked, so that an authentic command refused here is
        // recorded as finished in the same write; reported after the replay check, as documented.
        string? refusal = null;
        if (!RolePermissions.Allows(key.Role, command.Type))
        {
            refusal = $"a {key.Role.ToString().ToLowerInvariant()} may not send '{CommandTypes.Wire(command.Type)}'";
        }
        else if (!key.Sites.IsDefaultOrEmpty && !key.Sites.Contains(command.Site))
        {
            refusal = $"operator '{command.Operator}' may not command site {command.Site}";
        }

        // Remembered for as long as it could be accepted, by the wall clock and in real elapsed time
        // (see ISeenCommandIds, ReplayHorizon). The hash of the exact bytes tells a redelivery
        // (same bytes) from someone reusing the id.
        var refused = refusal is null ? null : new CommandFinal(false, $"{CommandRejection.RoleNotAllowed.Code()}: {refusal}");
        var window = RememberedWindow(command);
        var hash = SHA256.HashData(payload);
        var (seenBefore, fromMemory, storeFailure) = Record(command, hash, window, now, refused, unrecordedWait);
        switch (seenBefore.Status)
        {
            case SeenStatus.OtherPayload:
                return Reject(CommandRejection.Replayed, id, $"command id {command.Id} was seen before with other content") with { Clock = clock };
            case SeenStatus.Finished:
                return new CommandVerdict(null, null, id, "handled before") { Repeat = new RepeatedCommand(new VerifiedCommand(command, key.Role), seenBefore.Final!), Clock = clock, Unrecorded = fromMemory, StoreFailure = storeFailure };
            case SeenStatus.Started:
                // Handed to the controller and not finished: never run again either way, since it
                // may have taken effect. Whether it still runs here is the caller's to say.
                return new CommandVerdict(null, null, id, "started before") { Repeat = new RepeatedCommand(new VerifiedCommand(command, key.Role), Interrupted), Started = true, Clock = clock, Unrecorded = fromMemory, StoreFailure = storeFailure };
        }

        if (refusal is not null)
        {
            return Reject(CommandRejection.RoleNotAllowed, id, refusal) with { Clock = clock };
        }

        return new CommandVerdict(new VerifiedCommand(command, key.Role) { Key = key, ClockSkew = options.ClockSkew }, null, id, "verified")
        {
            Unfinished = seenBefore.Status == SeenStatus.Unfinished, Clock = clock, Unrecorded = fromMemory, StoreFailure = storeFailure,
        };
    }

    // The replay check: this process's memory of lockdowns carried out unrecorded first (a copy of
    // one is answered from it, with no wait for a store that may still hang), then the store. When
    // the store does not answer in time, an authentic, permitted lockdown is looked up in the
    // store's committed rows (a read that waits for no writer): one the store holds is answered
    // from its row, like any copy; only one it is known not to hold is kept in memory and
    // accepted. Anything else, a read that fails too, or any other store failure, throws as
    // before (refused unavailable): a copy of a lockdown done and cleared must never lock again.
    // A command that may run unrecorded waits at most unrecordedWait: the rest of its recording
    // deadline, shared with the journal's flush. Only when nothing refuses it: a refused one is
    // recorded finished, with the store's own bound, as any other type.
    private (SeenCommand Seen, bool FromMemory, Exception? StoreFailure) Record(
        CommandEnvelope command, byte[] hash, ReplayWindow window, DateTimeOffset now, CommandFinal? refused, TimeSpan? unrecordedWait)
    {
        if (_unrecorded.Find(command.Id, hash, now) is { } remembered)
        {
            return (remembered, true, null);
        }

        try
        {
            return (refused is null && unrecordedWait is { } wait && UnrecordedCommands.RunsUnrecorded(command.Type)
                ? seen.RecordWithin(command.Id, hash, window, now, wait)
                : seen.Record(command.Id, hash, window, now, refused), false, null);
        }
        catch (Exception ex) when (refused is null && UnrecordedCommands.RunsUnrecorded(command.Type)
            && UnrecordedCommands.DidNotAnswerInTime(ex))
        {
            if (seen.Find(command.Id, hash) is { } stored)
            {
                // Not from memory, but not a store answer either: nothing was written.
                return (stored, false, ex);
            }

            if (!_unrecorded.TryAdd(command.Id, hash, window, now))
            {
                throw;
            }

            return (new SeenCommand(SeenStatus.New, null), true, ex);
        }
    }

    /// <summary>
    /// Whether <paramref name="command"/> is past its <c>expires_at</c> (plus the clock skew) at
    /// <paramref name="now"/>, by the same rule as <see cref="Verify"/>. Checked again just before an
    /// accepted command is handed to the controller: a journal or replay store stuck on a hung disk
    /// can hold it for minutes after it verified, and an order is never carried out after its time.
    /// </summary>
    public bool HasExpired(CommandEnvelope command, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(command);
        return now >= command.ExpiresAt + options.ClockSkew;
    }

    /// <summary>
    /// Why <paramref name="command"/> may no longer be acted on because the key that verified it
    /// is no longer its operator's (withdrawn: the file removed or spoilt, a stolen key revoked;
    /// or replaced by a rotation); null while it still is. Checked again just before an accepted
    /// command is handed to the controller, for every type: a command can wait in the queue while
    /// the key is withdrawn, and the controller, told of the withdrawal first, would then count an
    /// all-clear it signed as an approval, or carry out any other order of a key no longer trusted.
    /// A key read again unchanged (another instance, the same public key and role) still is.
    /// </summary>
    public string? KeyWithdrawn(VerifiedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Withdrawn(command, keys.Find(command.Command.Operator));
    }

    /// <summary>
    /// As <see cref="KeyWithdrawn"/>, asked by the controller as it executes the command, from the
    /// keys trusted at that moment (<see cref="IOperatorKeys.Trusted"/>: memory only, no file read on
    /// the loop). The handler's check comes earlier, and a withdrawal in between reaches the
    /// controller first: the key lookup drops the key before it tells the controller, so whatever
    /// the controller has been told of, this sees, and an all-clear signed by the withdrawn key is
    /// refused rather than counted. One withdrawn later reaches the controller after the command,
    /// and drops an approval it counted.
    /// </summary>
    public string? KeyNoLongerTrusted(VerifiedCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return Withdrawn(command, keys.Trusted(command.Command.Operator));
    }

    private string? Withdrawn(VerifiedCommand command, OperatorKey? current)
    {
        var @operator = command.Command.Operator;
        if (current is { } key && key.Role == command.Role
            && (command.Key is not { } verifiedWith || key.PublicKey.AsSpan().SequenceEqual(verifiedWith.PublicKey.AsSpan())))
        {
            return null;
        }

        var problem = keys.Unavailable(@operator) is { } why ? $" ({why})" : "";
        return $"the key of operator '{@operator}' that verified it was withdrawn or replaced before it could be executed{problem}; "
            + "not carried out: send a new command signed with a trusted key";
    }

    /// <summary>
    /// The final result of a command whose execution was cut short (a stop's deadline, a crash)
    /// after it was handed to the controller: rejected, since whether it took effect is unknown.
    /// </summary>
    public static CommandFinal Interrupted { get; } = new(false, "interrupted: the gateway stopped while executing it, so whether it took effect is unknown; check the state and send a new command if needed");

    /// <summary>
    /// Marks a command as handed to the controller, durably, before it is (see
    /// <see cref="ISeenCommandIds.Start"/>); in memory only for one accepted unrecorded.
    /// </summary>
    /// <param name="commandId">The command's id.</param>
    /// <param name="wait">
    /// The most the store may wait (<see cref="ISeenCommandIds.StartWithin"/>): for a command that
    /// may run unrecorded whose recording deadline has passed. Null: the store's own bound.
    /// </param>
    /// <exception cref="Exception">Whatever the replay store throws when it cannot be written.</exception>
    public void Start(string commandId, TimeSpan? wait = null)
    {
        if (!_unrecorded.Start(commandId))
        {
            if (wait is { } bound)
            {
                seen.StartWithin(commandId, bound);
            }
            else
            {
                seen.Start(commandId);
            }
        }
    }

    /// <summary>
    /// Keeps in memory, as handed to the controller, a command whose start mark the replay store
    /// did not take in time (<see cref="Start"/> timed out) although it recorded the command: only
    /// a type that <see cref="UnrecordedCommands.RunsUnrecorded"/>, with the hash of the payload it
    /// was accepted from. From then on it is memory's, as one accepted unrecorded: copies are
    /// answered from there and <see cref="HandOverUnrecorded"/> finishes the store's row.
    /// </summary>
    /// <returns>False when it may not run so (another type, or memory is full): refuse it.</returns>
    public bool StartUnrecorded(CommandEnvelope command, byte[] payloadHash, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(command);
        return UnrecordedCommands.RunsUnrecorded(command.Type)
            && _unrecorded.TryAdd(command.Id, payloadHash, RememberedWindow(command), now, started: true);
    }

    // How long a command's id is remembered: for as long as any skew this gateway may be
    // configured with could accept it, not only the current one. The store outlives a restart and
    // the skew does not: remembered by a skew of 30 s and accepted after a restart under 300 s, an
    // evacuate captured at the broker ran a second time about four minutes later.
    // The skew in force counts too where a caller set one larger than the configuration allows.
    private ReplayWindow RememberedWindow(CommandEnvelope command)
    {
        var skew = options.ClockSkew > CommandVerifierOptions.MaxClockSkew ? options.ClockSkew : CommandVerifierOptions.MaxClockSkew;
        return new(command.IssuedAt - skew, command.ExpiresAt + skew);
    }

    /// <summary>
    /// Stores a command's final result, so that a redelivery of it is answered with that result
    /// instead of being executed again; in memory only for one accepted unrecorded, until
    /// <see cref="HandOverUnrecorded"/>.
    /// </summary>
    /// <exception cref="Exception">Whatever the replay store throws when it cannot be written.</exception>
    public void Finish(string commandId, CommandFinal final)
    {
        if (!_unrecorded.Finish(commandId, final))
        {
            seen.Finish(commandId, final);
        }
    }

    /// <summary>
    /// Records in the replay store, with their final results, the commands carried out unrecorded
    /// that have finished, and forgets them here: from then on a copy is answered from the store,
    /// after a restart too. Called once the store answers again; the ones still running wait for
    /// the next call. Stops at the first the store does not take (one store wait at most).
    /// </summary>
    /// <returns>How many were handed over.</returns>
    /// <exception cref="Exception">Whatever the replay store throws; those not handed over stay here.</exception>
    public int HandOverUnrecorded(DateTimeOffset now)
    {
        var handed = 0;
        foreach (var (id, hash, window, final) in _unrecorded.Finished())
        {
            // A new or unfinished row is written finished at once; a started one gets the final too
            // (left started, a copy after a restart would be told "interrupted"); a row with
            // another payload stays as it is, and never lets the command run again.
            if (seen.Record(id, hash, window, now, final).Status == SeenStatus.Started)
            {
                seen.Finish(id, final);
            }

            _unrecorded.Forget(id);
            handed++;
        }

        return handed;
    }

    private static CommandVerdict Reject(CommandRejection rejection, string id, string detail) => new(null, rejection, id, detail);
}
