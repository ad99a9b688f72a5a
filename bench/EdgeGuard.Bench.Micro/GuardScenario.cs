using System.Diagnostics;

namespace EdgeGuard.Bench.Micro;

/// <summary>The point changes the benchmarks repeat, each as the controller would see it.</summary>
internal enum Step
{
    /// <summary>Door contact opens or closes; after its 25 ms debounce nothing but the point changes (outputs untouched).</summary>
    DoorChange,

    /// <summary>Panic button pressed: leading edge, lockdown, all five outputs rewritten.</summary>
    PanicPress,

    /// <summary>Panic button released after its lock-out: point change only.</summary>
    PanicRelease,

    /// <summary>Keyswitch turned; after its 50 ms debounce the lockdown clears and all five outputs are rewritten.</summary>
    KeyClear,

    /// <summary>Keyswitch back: point change only.</summary>
    KeyRelease,
}

/// <summary>
/// Drives a <see cref="ControllerPath"/> through a guard's actions on a synthetic clock that moves
/// ten seconds per action, so every debounce and lock-out has run out before the next one and no
/// point changes often enough to count as chattering (8 changes in 10 s).
/// </summary>
internal sealed class GuardScenario(ControllerPath path)
{
    /// <summary>The lockdown cycle: press, release, clear, release; two of four steps write every output.</summary>
    public static readonly Step[] LockdownCycle = [Step.PanicPress, Step.PanicRelease, Step.KeyClear, Step.KeyRelease];

    private TimeSpan _clock = TimeSpan.FromSeconds(1);
    private bool _doorOpen;

    public ControllerPath Path => path;

    /// <summary>When set, <see cref="TimedStart"/> is stamped just before the part of a step the target covers.</summary>
    public bool StampStart { get; init; }

    /// <summary><see cref="Stopwatch.GetTimestamp"/> just before the timed part of the last step.</summary>
    public long TimedStart { get; private set; }

    /// <summary>
    /// Runs one step. For debounced points the raw edge is fed first (outside the timed part),
    /// then the timer fires at the filter's deadline: that tick is "the point change after
    /// debounce" the target is about. Panic buttons act on the leading edge, so the edge is timed.
    /// </summary>
    public void Run(Step step)
    {
        _clock += TimeSpan.FromSeconds(10);
        switch (step)
        {
            case Step.DoorChange:
                _doorOpen = !_doorOpen;
                Debounced(BenchSite.Door, _doorOpen);
                break;
            case Step.PanicPress:
                Stamp();
                path.Edge(BenchSite.Panic, active: true, _clock);
                break;
            case Step.PanicRelease:
                Stamp();
                path.Edge(BenchSite.Panic, active: false, _clock);
                break;
            case Step.KeyClear:
                Debounced(BenchSite.Key, active: true);
                break;
            case Step.KeyRelease:
                Debounced(BenchSite.Key, active: false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(step), step, null);
        }
    }

    private void Debounced(string pointId, bool active)
    {
        path.Edge(pointId, active, _clock);
        var due = path.DeadlineOf(pointId);
        _clock = due;
        Stamp();
        path.Timer(due);
    }

    private void Stamp()
    {
        if (StampStart)
        {
            TimedStart = Stopwatch.GetTimestamp();
        }
    }
}
