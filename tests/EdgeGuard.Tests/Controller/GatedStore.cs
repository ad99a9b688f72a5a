using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;

namespace EdgeGuard.Tests.Controller;

/// <summary>
/// A safety-state store whose saves, while <see cref="Hold"/> is set, block on a gate the test
/// opens, as an fsync on a dying SD card that does not return; while <see cref="Failure"/> is set,
/// they throw it (after the gate, when held), as a disk error; <see cref="FailureFor"/> fails the
/// saves of chosen states only. A held save also passes on one <see cref="PassOne"/>, so a test
/// can end one save and hold the next. Counts the saves started, the most
/// running at once, and keeps each state saved in the order its save ended.
/// </summary>
internal sealed class GatedStore : ISafetyStateStore
{
    private readonly Lock _lock = new();
    private readonly List<SafetyState> _saved = [];
    private int _inside;
    private int _started;
    private int _mostInside;
    private volatile bool _hold;
    private volatile Exception? _failure;
    private volatile Func<SafetyState, Exception?>? _failureFor;
    private readonly Semaphore _pass = new(0, int.MaxValue);

    /// <summary>Saves that start while this is set wait for <see cref="Gate"/>.</summary>
    public bool Hold { get => _hold; set => _hold = value; }

    /// <summary>Saves that end while this is set throw it and save nothing.</summary>
    public Exception? Failure { get => _failure; set => _failure = value; }

    /// <summary>Saves of a state this returns an exception for throw it (after the gate).</summary>
    public Func<SafetyState, Exception?>? FailureFor { get => _failureFor; set => _failureFor = value; }

    /// <summary>Released once per held save that started (it is then blocked on the gate).</summary>
    public SemaphoreSlim HeldStarts { get; } = new(0);

    /// <summary>Set once a held save has started (it is then blocked on the gate).</summary>
    public ManualResetEventSlim HeldSaveStarted { get; } = new();

    /// <summary>Opens the gate for every held save, those to come included.</summary>
    public ManualResetEventSlim Gate { get; } = new();

    /// <summary>
    /// Released once per save that ended, from inside <see cref="Save"/>: before the saver's thread
    /// has handed the loop that end. A test that then asserts what the end leads to (a restore, the
    /// next save) waits for SiteController.SafetySaverIdle first, then settles.
    /// </summary>
    public SemaphoreSlim Ended { get; } = new(0);

    /// <summary>Lets one held save through (the one running, or the next), the gate still shut.</summary>
    public void PassOne() => _pass.Release();

    public int Started => Volatile.Read(ref _started);

    public int MostInside => Volatile.Read(ref _mostInside);

    /// <summary>The states saved, in the order their saves ended.</summary>
    public IReadOnlyList<SafetyState> Saved
    {
        get
        {
            lock (_lock)
            {
                return [.. _saved];
            }
        }
    }

    public SafetyState Load() => SafetyState.Initial;

    public void Save(SafetyState state)
    {
        lock (_lock)
        {
            _inside++;
            _started++;
            _mostInside = Math.Max(_mostInside, _inside);
        }

        if (Hold)
        {
            HeldSaveStarted.Set();
            HeldStarts.Release();
            WaitHandle.WaitAny([Gate.WaitHandle, _pass], TimeSpan.FromSeconds(60));
        }

        var failure = Failure ?? FailureFor?.Invoke(state);
        lock (_lock)
        {
            _inside--;
            if (failure is null)
            {
                _saved.Add(state);
            }
        }

        Ended.Release();
        if (failure is not null)
        {
            throw failure;
        }
    }
}
