namespace EdgeGuard.Core.Commands;

/// <summary>What the office was finally told about a command: <c>done</c>, or <c>rejected</c> and why.</summary>
/// <param name="Done">True for <c>done</c>, false for <c>rejected</c>.</param>
/// <param name="Reason">The result's reason (a note for <c>done</c>, always set for <c>rejected</c>).</param>
public sealed record CommandFinal(bool Done, string? Reason);

/// <summary>What <see cref="ISeenCommandIds.Record"/> found under an id before this call.</summary>
public enum SeenStatus
{
    /// <summary>Never seen (or forgotten since it expired): recorded now.</summary>
    New,

    /// <summary>
    /// Seen before with the same payload bytes, but its handling never finished and it was never
    /// handed to the controller: it is queued in this process, or a stop or crash came first.
    /// </summary>
    Unfinished,

    /// <summary>Seen before with the same payload bytes and finished: <see cref="SeenCommand.Final"/> says how.</summary>
    Finished,

    /// <summary>
    /// Seen before with the same payload bytes and handed to the controller (<see
    /// cref="ISeenCommandIds.Start"/>), but never finished: it is still executing in this
    /// process, or a stop's deadline or a crash cut an earlier run short (then it is interrupted:
    /// it may have taken effect, so it must never run again). The store cannot tell which; the
    /// caller can.
    /// </summary>
    Started,

    /// <summary>Seen before with other payload bytes: someone reuses the id.</summary>
    OtherPayload,
}

/// <summary>The replay store's answer for one id.</summary>
/// <param name="Status">What was found.</param>
/// <param name="Final">The stored final result when <paramref name="Status"/> is <see cref="SeenStatus.Finished"/>.</param>
public readonly record struct SeenCommand(SeenStatus Status, CommandFinal? Final)
{
    /// <summary>
    /// What a known id's stored record says about a payload hashing to <paramref name="payloadHash"/>:
    /// the one rule both stores decide by. A record without a hash (from before schema 12) never
    /// proves the same bytes.
    /// </summary>
    public static SeenCommand Of(byte[]? storedHash, CommandFinal? final, bool started, ReadOnlySpan<byte> payloadHash) =>
        storedHash is null || !storedHash.AsSpan().SequenceEqual(payloadHash) ? new(SeenStatus.OtherPayload, null)
        : final is not null ? new(SeenStatus.Finished, final)
        : started ? new(SeenStatus.Started, null)
        : new(SeenStatus.Unfinished, null);
}

/// <summary>
/// Command ids the gateway has authenticated, with a hash of each one's signed payload and, once
/// its handling finished, its final result. This makes the gateway an idempotent receiver: a
/// broker redelivery (the same bytes again, after a lost PUBACK, a stop or a crash) is answered
/// with what the first delivery got, or executed if it never was, while an id reused with other
/// bytes is refused as a replay. A persistent implementation (SQLite, next to the journal) keeps
/// this across restarts. A store whose bounded wait ran out (a hung disk) throws a
/// <see cref="TimeoutException"/> or an exception caused by one (<see cref="UnrecordedCommands.DidNotAnswerInTime"/>);
/// any other exception is a failure.
/// </summary>
public interface ISeenCommandIds
{
    /// <summary>
    /// Records <paramref name="id"/> with <paramref name="payloadHash"/> unless it is known, and says
    /// what was known before. The id is kept for its command's whole <paramref name="window"/>: it
    /// may be dropped once the wall clock (<paramref name="now"/>, the verifier's) is past
    /// <see cref="ReplayWindow.Until"/>, so the command is refused as expired anyway, <em>and</em> the
    /// window's length of real time has passed since it was recorded (<see cref="ReplayHorizon"/>), so
    /// no wall-clock step can drop it early. Ids past both are pruned on every call, which keeps the
    /// store bounded. <paramref name="final"/>, when given, marks a new or unfinished id finished at
    /// once (a command refused after it was recorded).
    /// </summary>
    SeenCommand Record(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final = null);

    /// <summary>
    /// <see cref="Record"/> (with no final result) waiting at most <paramref name="wait"/> for the
    /// store, or its own bound when that is shorter: for a type that
    /// <see cref="UnrecordedCommands.RunsUnrecorded"/>, whose wait shares one short deadline with
    /// the journal's (the handler's <c>LockdownRecordingBudget</c>). Past it the store throws as
    /// past its own bound (<see cref="UnrecordedCommands.DidNotAnswerInTime"/>). A store that never
    /// waits (in memory) need not override it; one that waits for a disk must.
    /// </summary>
    SeenCommand RecordWithin(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, TimeSpan wait) =>
        Record(id, payloadHash, window, now);

    /// <summary>
    /// Marks <paramref name="id"/> as handed to the controller, durably, before it is: from then on a
    /// redelivery is never executed again, even if no final result is ever stored (see
    /// <see cref="SeenStatus.Started"/>). No-op for an unknown, started or finished id.
    /// </summary>
    void Start(string id);

    /// <summary>
    /// <see cref="Start"/> waiting at most <paramref name="wait"/> for the store, or its own bound
    /// when that is shorter: for a type that <see cref="UnrecordedCommands.RunsUnrecorded"/> whose
    /// recording deadline has passed already (its <c>command.received</c> outlasted it, so the card
    /// is known to hang). Past it the store throws as past its own bound. A store that never waits
    /// need not override it; one that waits for a disk must.
    /// </summary>
    void StartWithin(string id, TimeSpan wait) => Start(id);

    /// <summary>Stores the final result of <paramref name="id"/>; a later redelivery is answered with it. No-op for an unknown or finished id.</summary>
    void Finish(string id, CommandFinal final);

    /// <summary>
    /// What the store holds under <paramref name="id"/> for a payload hashing to
    /// <paramref name="payloadHash"/> (by the rule of <see cref="SeenCommand.Of"/>), or null when it
    /// holds nothing under the id. Only reads, and never waits for the journal's writer (the SQLite
    /// store reads its committed rows on a connection of its own): asked after <see cref="Record"/>
    /// did not answer in time, so that only an id the store is known not to hold is carried out
    /// without a record. Nothing is pruned: an id past its time still reads as held (the safe side).
    /// </summary>
    /// <exception cref="Exception">The store could not be read within its own bounded wait.</exception>
    SeenCommand? Find(string id, byte[] payloadHash);
}

/// <summary>In-memory <see cref="ISeenCommandIds"/> for tests and tools (forgotten at restart); the same rules as the SQLite one.</summary>
public sealed class InMemorySeenCommandIds : ISeenCommandIds
{
    private readonly Dictionary<string, Entry> _seen = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly RunningClock _clock;

    /// <summary>A store whose ids are forgotten by <see cref="TimeProvider.System"/>'s monotonic clock.</summary>
    public InMemorySeenCommandIds()
        : this(TimeProvider.System)
    {
    }

    /// <summary>A store whose ids are forgotten by <paramref name="time"/>'s monotonic clock (<see cref="RunningClock"/>).</summary>
    public InMemorySeenCommandIds(TimeProvider time)
    {
        // Nothing outlives the process, so the clock starts at zero with it.
        _clock = new RunningClock(time);
        _clock.Resume(TimeSpan.Zero);
    }

    /// <summary>How many ids are remembered.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _seen.Count;
            }
        }
    }

    /// <inheritdoc />
    public SeenCommand Record(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, CommandFinal? final = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(payloadHash);
        lock (_lock)
        {
            var horizon = _clock.HorizonAt(now);
            var keepUntil = horizon.KeepUntil(window);
            foreach (var old in _seen.Where(e => horizon.HasPassed(e.Value.ForgetAfter, e.Value.KeepUntil)).Select(e => e.Key).ToList())
            {
                _seen.Remove(old);
            }

            if (!_seen.TryGetValue(id, out var entry))
            {
                _seen.Add(id, new Entry(window.Until, keepUntil, (byte[])payloadHash.Clone(), final));
                return new SeenCommand(SeenStatus.New, null);
            }

            var known = SeenCommand.Of(entry.PayloadHash, entry.Final, entry.Started, payloadHash);
            if (known.Status == SeenStatus.Unfinished && final is not null)
            {
                _seen[id] = entry with { Final = final };
            }

            return known;
        }
    }

    /// <inheritdoc />
    public void Start(string id)
    {
        lock (_lock)
        {
            if (_seen.TryGetValue(id, out var entry) && entry.Final is null)
            {
                _seen[id] = entry with { Started = true };
            }
        }
    }

    /// <inheritdoc />
    public void Finish(string id, CommandFinal final)
    {
        ArgumentNullException.ThrowIfNull(final);
        lock (_lock)
        {
            if (_seen.TryGetValue(id, out var entry) && entry.Final is null)
            {
                _seen[id] = entry with { Final = final };
            }
        }
    }

    /// <inheritdoc />
    public SeenCommand? Find(string id, byte[] payloadHash)
    {
        ArgumentNullException.ThrowIfNull(payloadHash);
        lock (_lock)
        {
            return _seen.TryGetValue(id, out var entry) ? SeenCommand.Of(entry.PayloadHash, entry.Final, entry.Started, payloadHash) : null;
        }
    }

    private sealed record Entry(DateTimeOffset ForgetAfter, TimeSpan KeepUntil, byte[] PayloadHash, CommandFinal? Final, bool Started = false);
}
