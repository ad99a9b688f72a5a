namespace EdgeGuard.Core.Commands;

/// <summary>
/// Authentic commands this process carried out without the replay store's record: the store did
/// not answer within its bounded wait (an SD card hung in fsync holds the journal writer inside its
/// commit for minutes). Only a type that <see cref="RunsUnrecorded"/> is ever kept here. It stands
/// in for the store for the life of the process: a second copy of the same bytes is answered from
/// here, never executed again, and another payload under the same id is a replay. Each id is kept
/// for its command's whole <see cref="ReplayWindow"/> by both clocks, as the stores keep theirs
/// (<see cref="ReplayHorizon"/>), and a finished one is handed to the store once it answers again
/// (<see cref="CommandVerifier.HandOverUnrecorded"/>); a restart forgets what was not handed over.
/// </summary>
/// <remarks>Thread-safe. Bounded by <see cref="Capacity"/>: when full, nothing more runs unrecorded.</remarks>
public sealed class UnrecordedCommands
{
    /// <summary>
    /// The most ids kept at once. Only authentic lockdowns land here, each kept for at most about
    /// 25 minutes (its lifetime and the largest skew either side): an office sends a handful; more
    /// means a stolen key, refused as today.
    /// </summary>
    public const int Capacity = 1024;

    private readonly Dictionary<string, Entry> _kept = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly RunningClock _clock;

    /// <summary>Ids forgotten by <paramref name="time"/>'s monotonic clock (<see cref="RunningClock"/>) and the wall clock.</summary>
    public UnrecordedCommands(TimeProvider time)
    {
        // Nothing here outlives the process, so its running clock starts at zero with it.
        _clock = new RunningClock(time ?? throw new ArgumentNullException(nameof(time)));
        _clock.Resume(TimeSpan.Zero);
    }

    /// <summary>
    /// Whether a command of <paramref name="type"/> may be carried out when neither the replay
    /// store nor the journal can record it in time. Only <c>lockdown</c>: a locked door is the
    /// fail-secure side, and a copy run again (after a restart) only locks again. Anything that
    /// unlocks, clears, evacuates or changes configuration stays refused <c>unavailable</c>.
    /// </summary>
    public static bool RunsUnrecorded(CommandType type) => type == CommandType.Lockdown;

    /// <summary>
    /// Whether <paramref name="failure"/>, thrown by a replay store or a command journal, says it
    /// did not answer within its bounded wait (a <see cref="TimeoutException"/>, or an exception
    /// caused by one), as opposed to an error that refuses (a failing disk, a broken database).
    /// </summary>
    public static bool DidNotAnswerInTime(Exception failure)
    {
        for (var e = failure; e is not null; e = e.InnerException)
        {
            if (e is TimeoutException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>How many ids are kept (tests and diagnostics).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _kept.Count;
            }
        }
    }

    /// <summary>
    /// What is known here about <paramref name="id"/> with <paramref name="payloadHash"/>, by the
    /// rule of <see cref="SeenCommand.Of"/>; null when the id is not kept here.
    /// </summary>
    public SeenCommand? Find(string id, ReadOnlySpan<byte> payloadHash, DateTimeOffset now)
    {
        lock (_lock)
        {
            Prune(now);
            return _kept.TryGetValue(id, out var entry) ? SeenCommand.Of(entry.PayloadHash, entry.Final, entry.Started, payloadHash) : null;
        }
    }

    /// <summary>
    /// Keeps a new <paramref name="id"/>, accepted by this process without the store's record;
    /// <paramref name="started"/> when it is already being handed to the controller (its start
    /// mark timed out). False when <see cref="Capacity"/> ids are kept already (or it is kept).
    /// </summary>
    public bool TryAdd(string id, byte[] payloadHash, ReplayWindow window, DateTimeOffset now, bool started = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(payloadHash);
        lock (_lock)
        {
            var horizon = Prune(now);
            if (_kept.Count >= Capacity || _kept.ContainsKey(id))
            {
                return false;
            }

            _kept.Add(id, new Entry((byte[])payloadHash.Clone(), window, horizon.KeepUntil(window), null, started));
            return true;
        }
    }

    /// <summary>Whether <paramref name="id"/> is kept here (carried out, or to be, without the store's record).</summary>
    public bool Holds(string id)
    {
        lock (_lock)
        {
            return _kept.ContainsKey(id);
        }
    }

    /// <summary>Marks a kept id handed to the controller; false when it is not kept here.</summary>
    public bool Start(string id)
    {
        lock (_lock)
        {
            if (!_kept.TryGetValue(id, out var entry))
            {
                return false;
            }

            if (entry.Final is null)
            {
                _kept[id] = entry with { Started = true };
            }

            return true;
        }
    }

    /// <summary>Stores a kept id's final result (the first one stays); false when it is not kept here.</summary>
    public bool Finish(string id, CommandFinal final)
    {
        ArgumentNullException.ThrowIfNull(final);
        lock (_lock)
        {
            if (!_kept.TryGetValue(id, out var entry))
            {
                return false;
            }

            if (entry.Final is null)
            {
                _kept[id] = entry with { Final = final };
            }

            return true;
        }
    }

    /// <summary>The kept ids that have a final result, to hand to the replay store.</summary>
    public IReadOnlyList<(string Id, byte[] PayloadHash, ReplayWindow Window, CommandFinal Final)> Finished()
    {
        lock (_lock)
        {
            return [.. _kept.Where(e => e.Value.Final is not null).Select(e => (e.Key, e.Value.PayloadHash, e.Value.Window, e.Value.Final!))];
        }
    }

    /// <summary>Forgets <paramref name="id"/>: the replay store holds it now.</summary>
    public void Forget(string id)
    {
        lock (_lock)
        {
            _kept.Remove(id);
        }
    }

    // Under _lock. Both clocks past the window, as the stores prune (ReplayHorizon.HasPassed).
    private ReplayHorizon Prune(DateTimeOffset now)
    {
        var horizon = _clock.HorizonAt(now);
        foreach (var old in _kept.Where(e => horizon.HasPassed(e.Value.Window.Until, e.Value.KeepUntil)).Select(e => e.Key).ToList())
        {
            _kept.Remove(old);
        }

        return horizon;
    }

    private sealed record Entry(byte[] PayloadHash, ReplayWindow Window, TimeSpan KeepUntil, CommandFinal? Final, bool Started = false);
}
